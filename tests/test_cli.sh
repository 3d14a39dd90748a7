#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The command line as a newcomer meets it: every verb that `bpftape --help`
# lists has --help with an "Examples:" section, `bpftape help VERB` prints
# the same, and a wrong command line (unknown option, missing or bad value,
# no FILE) gets one line "bpftape VERB: what; see 'bpftape VERB --help'" and
# status 2; a file that cannot be read is status 1 and named.  Then export's
# output mode, the output rule (never the input, never through a planted
# link, nothing left by a killed verb), what recover counts as lost, and the
# quiet of long verbs when stderr is not a terminal.  Prints cmocka-style
# result lines.
#
# Run from the repository root: tests/test_cli.sh  (OUTPUT=build dir, or
# BPFTAPE=path of the binary)
set -u
OUTPUT=${OUTPUT:-build}
BPFTAPE=${BPFTAPE:-$OUTPUT/bpftape}
GOLD=tests/golden
TAPE=$GOLD/replay-basic.tape
VALID=$GOLD/format-valid.tape

if [ ! -x "$BPFTAPE" ]; then
	echo "test_cli: $BPFTAPE is not built (make $BPFTAPE)"
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] build"
	exit 1
fi

# The verbs the binary lists; the offline ones must all be there.
verbs=$("$BPFTAPE" --help | sed -n '/^Verbs:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}')
if [ -z "$verbs" ]; then
	echo "test_cli: '$BPFTAPE --help' lists no verbs"
	"$BPFTAPE" --help 2>&1 | head -20
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] bpftape --help"
	exit 1
fi
for v in replay filter info recover export query import; do
	if ! grep -qx "$v" <<<"$verbs"; then
		echo "test_cli: skipped: $BPFTAPE has no '$v' verb (its --help lists: ${verbs//$'\n'/ })"
		exit 77
	fi
done

. "$(dirname "$0")/harness.sh"

# bp ARGS...: run bpftape with stdout in $tmp/out, stderr in $tmp/err, and
# its status in $rc.
bp() {
	"$BPFTAPE" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# usage_error VERB ARGS...: `bpftape VERB ARGS...` is a usage error: status 2
# and one line on stderr naming the verb and pointing at its --help.
usage_error() {
	local v=$1
	shift
	bp "$v" "$@"
	[ "$rc" -eq 2 ] || { echo "status $rc, want 2; stderr:"; cat "$tmp/err"; return 1; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "want one line, stderr:"; cat "$tmp/err"; return 1; }
	grep -q "^bpftape $v: .*see 'bpftape $v --help'" "$tmp/err" ||
		{ echo "stderr does not start 'bpftape $v:' and point at --help:"; cat "$tmp/err"; return 1; }
}

has_examples() {
	bp "$1" --help
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	grep -qx 'Examples:' "$tmp/out" || { echo "no 'Examples:' line in:"; cat "$tmp/out"; return 1; }
}

help_verb_same() {
	local a b
	a=$("$BPFTAPE" "$1" --help 2>&1; echo "status $?")
	b=$("$BPFTAPE" help "$1" 2>&1; echo "status $?")
	[ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") | head; return 1; }
}

top_help() {
	bp --help
	[ "$rc" -eq 0 ] && grep -qx 'Examples:' "$tmp/out" || { cat "$tmp/out"; return 1; }
	bp help
	[ "$rc" -eq 0 ] && grep -qx 'Examples:' "$tmp/out" || { cat "$tmp/out"; return 1; }
	bp help no-such-verb
	[ "$rc" -eq 2 ] && grep -q "unknown verb 'no-such-verb'" "$tmp/err" || { cat "$tmp/err"; return 1; }
}

# main(): no verb, an unknown verb, -h, help with more than one verb
dispatch() {
	bp
	[ "$rc" -eq 2 ] && grep -qx 'Verbs:' "$tmp/err" && [ ! -s "$tmp/out" ] ||
		{ echo "no verb: status $rc"; cat "$tmp/err"; return 1; }
	bp no-such-verb x
	[ "$rc" -eq 2 ] && grep -qx "bpftape: unknown verb 'no-such-verb'; run 'bpftape --help' for the list" "$tmp/err" ||
		{ echo "unknown verb: status $rc"; cat "$tmp/err"; return 1; }
	bp -h
	[ "$rc" -eq 0 ] && grep -qx 'Verbs:' "$tmp/out" || { echo "-h: status $rc"; return 1; }
	bp help info replay
	[ "$rc" -eq 2 ] && grep -q "^bpftape help: one verb at a time" "$tmp/err" ||
		{ echo "help with two verbs: status $rc"; cat "$tmp/err"; return 1; }
}

run "bpftape --help: examples; help VERB" top_help
run "bpftape: no verb, unknown verb, -h, help A B" dispatch
for v in $verbs; do
	run "$v --help: exit 0, Examples:" has_examples "$v"
	run "$v --bogus: one line, exit 2" usage_error "$v" --bogus
	run "help $v = $v --help" help_verb_same "$v"
done

# ---- usage errors of the offline verbs ----
o=$tmp/o.tape
run "replay: no FILE" usage_error replay
run "replay --time bogus" usage_error replay --time bogus "$TAPE"
run "replay --time (no value)" usage_error replay --time
run "replay --since xyz" usage_error replay --since xyz "$TAPE"
run "replay --since xyz before a missing file" usage_error replay --since xyz "$tmp/missing.tape"
run "replay -f with a syntax error" usage_error replay -f 'pid ==' "$TAPE"
run "replay --pid 12x" usage_error replay --pid 12x "$TAPE"
run "replay --type not in the tape" usage_error replay --type nosuch "$TAPE"
run "replay --pace=0" usage_error replay --pace=0 "$TAPE"
run "replay --pace=inf" usage_error replay --pace=inf "$TAPE"
run "replay --pace=1e999" usage_error replay --pace=1e999 "$TAPE"
run "replay --since @-5 (no sign)" usage_error replay --since @-5 "$TAPE"
run "replay --since '@ 5' (no blank)" usage_error replay --since "@ 5" "$TAPE"
run "filter --until @9300000000 (overflows as ns)" usage_error filter -o "$o" --until @9300000000 "$TAPE"
run "replay --json=1 (takes no value)" usage_error replay --json=1 "$TAPE"
run "replay -z (unknown short option)" usage_error replay -z "$TAPE"
run "filter: no -o" usage_error filter "$TAPE"
run "filter: no FILE" usage_error filter -o "$o"
run "filter --redact nope" usage_error filter -o "$o" --redact nope "$TAPE"
run "filter -o (no value)" usage_error filter "$TAPE" -o
run "filter --since xyz" usage_error filter -o "$o" --since xyz "$TAPE"
run "info: no FILE" usage_error info
run "recover: no -o" usage_error recover "$TAPE"
run "recover: no FILE" usage_error recover -o "$o"
run "recover: two FILEs" usage_error recover -o "$o" "$TAPE" "$VALID"
run "export: no --format" usage_error export "$TAPE"
run "export --format nope" usage_error export --format nope "$TAPE"
run "export: no FILE" usage_error export --format csv
run "export --until xyz" usage_error export --format csv --until xyz "$TAPE"
run "query: no FILE" usage_error query -c 'SELECT 1'
run "query --format nope" usage_error query --format nope "$TAPE" -c 'SELECT 1'
run "query -c (no value)" usage_error query "$TAPE" -c

# ---- a file that cannot be read: status 1, named ----
# missing VERB ARGS...: ARGS name $tmp/missing.tape
missing() {
	bp "$@"
	[ "$rc" -eq 1 ] || { echo "status $rc, want 1"; cat "$tmp/err"; return 1; }
	grep -q "^bpftape $1: .*$tmp/missing.tape" "$tmp/err" ||
		{ echo "stderr does not name the file:"; cat "$tmp/err"; return 1; }
}
m=$tmp/missing.tape
run "replay: missing file" missing replay "$m"
run "filter: missing file" missing filter -o "$o" "$m"
run "info: missing file" missing info "$m"
run "recover: missing file" missing recover -o "$o" "$m"
run "export: missing file" missing export --format csv "$m"
run "query: missing file" missing query "$m" -c 'SELECT 1'
run "import: missing file" missing import -o "$tmp/m.db" "$m"

# hostile_name VERB ARGS...: ARGS name $hm, a file whose name carries ESC,
# BEL, CSI and a C1 CSI; stderr names it escaped, with no control byte but
# the newlines that end its lines.
hm=$tmp/$'e\e[2J\a\xc2\x9b\e]0;T\a'.tape
hostile_name() {
	bp "$@"
	[ "$rc" -eq 1 ] || { echo "status $rc, want 1"; cat -v "$tmp/err"; return 1; }
	if tr -d '\n' <"$tmp/err" | LC_ALL=C grep -q '[[:cntrl:]]' ||
		LC_ALL=C grep -qP '\xc2[\x80-\x9f]' "$tmp/err"; then
		echo "a control byte reached stderr:"
		cat -v "$tmp/err"
		return 1
	fi
	grep -qF 'e\x1b[2J\x07\xc2\x9b\x1b]0;T\x07.tape' "$tmp/err" ||
		{ echo "stderr does not name the file escaped:"; cat -v "$tmp/err"; return 1; }
}
run "replay: a file name with control bytes" hostile_name replay "$hm"
run "filter: a file name with control bytes" hostile_name filter -o "$o" "$hm"
run "info: a file name with control bytes" hostile_name info "$hm"
run "info --verify: a file name with control bytes" hostile_name info --verify "$hm"
run "recover: a file name with control bytes" hostile_name recover -o "$o" "$hm"
run "export: a file name with control bytes" hostile_name export --format csv "$hm"
run "query: a file name with control bytes" hostile_name query "$hm" -c 'SELECT 1'
run "import: a file name with control bytes" hostile_name import -o "$tmp/m.db" "$hm"
# recover's report on stdout names its output: escaped too
recover_hostile_out() {
	bp recover -o "$hm" "$GOLD/format-truncated.tape"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat -v "$tmp/err"; return 1; }
	if tr -d '\n' <"$tmp/out" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		echo "a control byte reached stdout:"
		cat -v "$tmp/out"
		return 1
	fi
	grep -qF 'e\x1b[2J\x07\xc2\x9b\x1b]0;T\x07.tape: kept' "$tmp/out" ||
		{ echo "stdout does not name the output escaped:"; cat -v "$tmp/out"; return 1; }
	rm -f "$hm"
}
run "recover: an output name with control bytes" recover_hostile_out

# ---- what is not a regular file: refused by name, never waited on ----
# not_a_file WHAT PATH VERB ARGS...: ARGS name PATH; status 1, WHAT said
not_a_file() {
	local what=$1 path=$2
	shift 2
	timeout 20 "$BPFTAPE" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -ne 124 ] || { echo "still waiting after 20 s"; return 1; }
	[ "$rc" -eq 1 ] || { echo "status $rc, want 1"; cat "$tmp/err"; return 1; }
	grep -q "^bpftape $1: .*$path.*$what" "$tmp/err" ||
		{ echo "stderr does not name the file and what it is:"; cat "$tmp/err"; return 1; }
}
# the loadable extension's tape_events(FILE) in sqlite3, where sqlite3 can
# load it: not a sanitizer build, whose runtime must come first in a process
ext_skip=
if ! command -v sqlite3 >/dev/null; then
	ext_skip="no sqlite3 command"
elif [ ! -f "$OUTPUT/bpftape_sqlite.so" ]; then
	ext_skip="no $OUTPUT/bpftape_sqlite.so"
elif readelf -d "$OUTPUT/bpftape_sqlite.so" 2>/dev/null | grep -q 'NEEDED.*lib[at]san'; then
	ext_skip="the extension is built with a sanitizer, which sqlite3 cannot load"
fi
ext_not_a_file() {
	timeout 20 sqlite3 :memory: -cmd ".load $OUTPUT/bpftape_sqlite" \
		"SELECT count(*) FROM tape_events('$2')" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -ne 124 ] || { echo "still waiting after 20 s"; return 1; }
	[ "$rc" -ne 0 ] && grep -q "$2.*$1" "$tmp/err" || { echo "status $rc"; cat "$tmp/err"; return 1; }
}
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
for w in "FIFO $tmp/fifo" "directory $tmp/dir" "character device /dev/null"; do
	p=${w##* }
	w=${w% *}
	run "replay: a $w" not_a_file "$w" "$p" replay "$p"
	run "filter: a $w" not_a_file "$w" "$p" filter -o "$o" "$p"
	run "info: a $w" not_a_file "$w" "$p" info "$p"
	run "recover: a $w" not_a_file "$w" "$p" recover -o "$o" "$p"
	run "export: a $w" not_a_file "$w" "$p" export --format csv "$p"
	run "query: a $w" not_a_file "$w" "$p" query "$p" -c 'SELECT 1'
	if [ -z "$ext_skip" ]; then
		run "sqlite3: tape_events() over a $w" ext_not_a_file "$w" "$p"
	else
		echo "[  SKIPPED ] sqlite3: tape_events() over a $w: $ext_skip"
	fi
	run "import: a $w" not_a_file "$w" "$p" import -o "$tmp/m.db" "$p"
done

# ---- export's output ----
export_mode() {
	local out=$tmp/e.csv
	(umask 022 && "$BPFTAPE" export --format csv -o "$out" "$TAPE") || return 1
	[ "$(stat -c %a "$out")" = 600 ] || { echo "mode $(stat -c %a "$out"), want 600"; return 1; }
	[ "$(wc -l <"$out")" -gt 1 ] || { echo "empty export"; return 1; }
}
export_bad_out() {
	bp export --format csv -o "$tmp/no-dir/e.csv" "$TAPE"
	[ "$rc" -eq 1 ] || { echo "status $rc, want 1"; cat "$tmp/err"; return 1; }
	grep -qx "bpftape export: $tmp/no-dir/e.csv: No such file or directory" "$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
}
run "export -o: mode 0600" export_mode
run "export -o in a missing directory: named" export_bad_out

# ---- the output rule: never the input, never through a planted link ----
# own_input VERB ARGS...: OUT is the input (another spelling of it, or a
# link to it); refused with status 1, the input intact.
own_input() {
	cp "$TAPE" "$tmp/in.tape"
	local sum=$(cksum <"$tmp/in.tape")
	bp "$@"
	[ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || { echo "status $rc, want 1 or 2"; cat "$tmp/err"; return 1; }
	grep -q "input" "$tmp/err" || { echo "no word of the input:"; cat "$tmp/err"; return 1; }
	[ "$(cksum <"$tmp/in.tape")" = "$sum" ] || { echo "the input changed"; return 1; }
	[ -z "$(find "$tmp" -name '.*tmp' -o -name '*.tmp-*')" ] || { echo "temporary files left:"; ls -A "$tmp"; return 1; }
}
run "recover -o ./IN IN: refused" own_input recover -o "$tmp/./in.tape" "$tmp/in.tape"
run "export -o IN IN: refused" own_input export --format csv -o "$tmp/in.tape" "$tmp/in.tape"
run "import -o IN IN: refused" own_input import -o "$tmp/./in.tape" "$tmp/in.tape"
own_input_link() {
	ln -sf "$tmp/in.tape" "$tmp/in-link"
	own_input "$@"
}
run "filter -o LINK-TO-IN IN: refused" own_input_link filter -o "$tmp/in-link" "$tmp/in.tape"
run "export -o LINK-TO-IN IN: refused" own_input_link export --format csv -o "$tmp/in-link" "$tmp/in.tape"
# planted VERB ARGS... -o OUT: OUT is a link to another file; the link is
# replaced by the output, the file it pointed at stays as it was.
planted() {
	echo precious >"$tmp/victim"
	rm -f "$tmp/planted"
	ln -s "$tmp/victim" "$tmp/planted"
	bp "$@"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	[ "$(cat "$tmp/victim")" = precious ] || { echo "written through the link"; return 1; }
	[ -f "$tmp/planted" ] && [ ! -L "$tmp/planted" ] || { echo "the link is still there"; return 1; }
}
# killed VERB ARGS...: SIGKILL while VERB writes its output (a long list
# of inputs keeps it busy) leaves nothing under the output's name, and no
# other file either.  The kill must land while the output is open; a run
# that ended first is tried again.
killed() {
	local d=$tmp/killed out pid i many=() seen
	for i in $(seq 3000); do many+=("$TAPE"); done
	for i in $(seq 10); do
		rm -rf "$d"
		mkdir "$d"
		"$BPFTAPE" "$@" -o "$d/out" "${many[@]}" >/dev/null 2>&1 &
		pid=$!
		seen=
		for _ in $(seq 2000); do
			if ls -l /proc/$pid/fd 2>/dev/null | grep -q "$d/"; then seen=1; break; fi
			sleep 0.001
		done
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		[ -n "$seen" ] || continue
		[ ! -e "$d/out" ] || { echo "$d/out exists after SIGKILL"; return 1; }
		[ -z "$(ls -A "$d")" ] || { echo "left behind:"; ls -A "$d"; return 1; }
		return 0
	done
	echo "the output was never seen open"
	return 1
}
run "export killed while writing: no partial OUT" killed export --format csv
run "filter killed while writing: no partial OUT" killed filter -q

run "export -o PLANTED-LINK: replaced, not followed" planted export --format csv -o "$tmp/planted" "$TAPE"
run "filter -o PLANTED-LINK: replaced, not followed" planted filter -o "$tmp/planted" "$TAPE"
run "recover -o PLANTED-LINK: replaced, not followed" planted recover -o "$tmp/planted" "$TAPE"
run "import -o PLANTED-LINK: replaced, not followed" planted import -o "$tmp/planted" "$TAPE"

# ---- one overwrite rule: every verb replaces an existing OUT ----
replaces() {
	echo old >"$tmp/old.out"
	bp "$@"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	[ "$(cat "$tmp/old.out")" != old ] || { echo "OUT was kept"; return 1; }
}
run "filter replaces an existing OUT" replaces filter -o "$tmp/old.out" "$TAPE"
run "recover replaces an existing OUT" replaces recover -o "$tmp/old.out" "$TAPE"
run "export replaces an existing OUT" replaces export --format csv -o "$tmp/old.out" "$TAPE"
run "import replaces an existing OUT" replaces import -o "$tmp/old.out" "$TAPE"
run "import --force: no such option" usage_error import --force -o "$tmp/x.db" "$TAPE"

# ---- recover: what counts as lost ----
# recovered IN WANT: recover IN; WANT "nothing" (nothing lost) or "lost".
recovered() {
	local in=$1 want=$2 rebuilt=$3
	bp recover -o "$tmp/fixed.tape" "$in"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	[ ! -s "$tmp/err" ] || { echo "stderr not quiet when not a terminal:"; cat "$tmp/err"; return 1; }
	cat "$tmp/out"
	case $want in
	nothing) grep -q '; nothing lost$' "$tmp/out" || return 1 ;;
	lost) grep -q '; lost [0-9]* bad block(s), [1-9][0-9]* byte(s) of input$' "$tmp/out" || return 1 ;;
	esac
	if [ "$rebuilt" = rebuilt ]; then
		grep -q '^  index rebuilt: ' "$tmp/out" || { echo "no 'index rebuilt' line"; return 1; }
	else
		! grep -q 'index rebuilt' "$tmp/out" || { echo "an intact index is not rebuilt"; return 1; }
	fi
	"$BPFTAPE" info --verify "$tmp/fixed.tape" >/dev/null
}
size=$(stat -c %s "$VALID")
head -c $((size - 36)) "$VALID" >"$tmp/nofooter.tape"
head -c $((size - 20)) "$VALID" >"$tmp/tornfooter.tape"
head -c $((size - 700)) "$VALID" >"$tmp/tornchunk.tape"
run "recover: an intact tape loses nothing" recovered "$VALID" nothing intact
run "recover: a tape without its footer loses nothing" recovered "$tmp/nofooter.tape" nothing rebuilt
run "recover: a torn footer loses nothing" recovered "$tmp/tornfooter.tape" nothing rebuilt
run "recover: a bad trailer CRC loses nothing" recovered "$GOLD/format-badfooter.tape" nothing rebuilt
run "recover: a torn chunk is lost" recovered "$tmp/tornchunk.tape" lost rebuilt

# ---- a damaged tape: what is intact is read, each bad block named, status 3 ----
# partial VERB ARGS...: status 3, the bad chunk (offset 1896 of format-crc.tape)
# named with its file on stderr, and a closing line
partial() {
	bp "$@"
	[ "$rc" -eq 3 ] || { echo "status $rc, want 3"; cat "$tmp/err"; return 1; }
	grep -q "^bpftape $1: .*crc.*\.tape: .*offset 1896: CRC mismatch" "$tmp/err" ||
		{ echo "stderr does not name the bad block:"; cat "$tmp/err"; return 1; }
	grep -q "^bpftape $1: 1 damaged block(s) skipped" "$tmp/err" ||
		{ echo "no closing line:"; cat "$tmp/err"; return 1; }
}
# partial_rows WANT VERB ARGS...: as partial, and stdout's last line is WANT
partial_rows() {
	local want=$1
	shift
	partial "$@" || return 1
	[ "$(tail -1 "$tmp/out")" = "$want" ] || { echo "got:"; cat "$tmp/out"; return 1; }
}
# partial_db DB WANT VERB ARGS...: as partial, and DB holds WANT events
partial_db() {
	local db=$1 want=$2
	shift 2
	rm -f "$db"
	partial "$@" || return 1
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM events')" = "$want" ] ||
		{ echo "$db: $(sqlite3 "$db" 'SELECT count(*) FROM events') events, want $want"; return 1; }
}
# partial_tape OUT WANT VERB ARGS...: as partial, and OUT holds WANT events
partial_tape() {
	local out=$1 want=$2
	shift 2
	rm -f "$out"
	partial "$@" || return 1
	"$BPFTAPE" info "$out" | grep -q "^  events: *$want\$" ||
		{ "$BPFTAPE" info "$out"; return 1; }
}
partial_verify() {
	bp info --verify "$1"
	[ "$rc" -eq 3 ] && grep -q "BAD: .*offset 1896: CRC mismatch" "$tmp/out" ||
		{ echo "status $rc"; cat "$tmp/out" "$tmp/err"; return 1; }
}
crc=$GOLD/format-crc.tape
csize=$(stat -c %s "$crc")
head -c $((csize - 36)) "$crc" >"$tmp/crc-nofooter.tape"
# format-crc.tape: 600 events, 76 of them in the chunk at offset 1896
for t in "$crc" "$tmp/crc-nofooter.tape"; do
	k=index
	[ "$t" = "$crc" ] || k="no footer"
	run "replay, a bad chunk ($k): partial" partial replay "$t"
	run "export, a bad chunk ($k): partial" partial export --format csv "$t"
	run "filter, a bad chunk ($k): partial, the rest written" \
		partial_tape "$tmp/p.tape" 524 filter -o "$tmp/p.tape" "$t"
	run "query count(*), a bad chunk ($k): partial, intact events only" \
		partial_rows 524 query "$t" --format csv -c 'SELECT count(*) FROM events'
	run "query by type, a bad chunk ($k): partial" \
		partial_rows 524 query "$t" --format csv -c \
		'SELECT sum(n) FROM (SELECT type, count(comm) AS n FROM events GROUP BY type)'
	command -v sqlite3 >/dev/null &&
		run "import, a bad chunk ($k): partial, the rest written" \
			partial_db "$tmp/p.db" 524 import -q -o "$tmp/p.db" "$t"
	run "info --verify, a bad chunk ($k): status 3" partial_verify "$t"
done

# replay --follow names damage in what is appended while it follows
follow_damage() {
	local live=$tmp/live.tape pid i
	head -c 1896 "$tmp/crc-nofooter.tape" >"$live" # up to the bad chunk
	"$BPFTAPE" replay --follow "$live" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for i in $(seq 200); do [ -s "$tmp/out" ] && break; sleep 0.1; done
	tail -c +1897 "$tmp/crc-nofooter.tape" >>"$live"
	for i in $(seq 200); do grep -q 'offset 1896' "$tmp/err" && break; sleep 0.1; done
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 3 ] && grep -q "^bpftape replay: .*live.tape: .*offset 1896: CRC mismatch" "$tmp/err" ||
		{ echo "status $rc"; cat "$tmp/err"; return 1; }
}
run "replay --follow: damage in what the recorder appends is named, status 3" follow_damage

# a damaged index or trailer holds no events: readers are not partial, but
# info --verify reports it
old_footer() {
	python3 -c 'import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
ioff = struct.unpack_from("<Q", d, len(d) - 16)[0]
d[ioff + 25] ^= 1 if sys.argv[3] == "index" else 0
d[len(d) - 5] ^= 1 if sys.argv[3] == "trailer" else 0
open(sys.argv[2], "wb").write(d)' "$VALID" "$tmp/oldfooter.tape" "$1"
	bp replay "$tmp/oldfooter.tape"
	[ "$rc" -eq 0 ] || { echo "replay: status $rc, want 0"; cat "$tmp/err"; return 1; }
	"$BPFTAPE" replay "$VALID" | cmp -s - "$tmp/out" || { echo "replay differs"; return 1; }
	bp info --verify "$tmp/oldfooter.tape"
	[ "$rc" -eq 3 ] && grep -q "BAD: .*old footer" "$tmp/out" ||
		{ echo "info --verify: status $rc"; cat "$tmp/out"; return 1; }
}
run "a bad index CRC: no events lost, verify reports it" old_footer index
run "a bad trailer CRC: no events lost, verify reports it" old_footer trailer

# ---- - is standard input for reading verbs, standard output for -o ----
# same_over_pipe VERB ARGS...: VERB over "cat TAPE |" and "-" prints what it
# prints over TAPE by name (info names the file it reads: - or TAPE)
same_over_pipe() {
	local a b
	a=$("$BPFTAPE" "$@" "$TAPE" 2>&1; echo "status $?")
	b=$(cat "$TAPE" | "$BPFTAPE" "$@" - 2>&1; echo "status $?")
	b=$(sed "s|^-\$|$TAPE|" <<<"$b")
	[ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") | head; return 1; }
}
run "replay -: a pipe reads as the file" same_over_pipe replay --json
run "export -: a pipe reads as the file" same_over_pipe export --format csv
run "query -: a pipe reads as the file" same_over_pipe query -c 'SELECT * FROM events'
run "info -: a pipe reads as the file" same_over_pipe info
# a tape that never got its footer (a recorder piped and killed) is scanned
pipe_unfinished() {
	local a b
	a=$("$BPFTAPE" replay "$tmp/nofooter-in.tape" 2>/dev/null)
	b=$(cat "$tmp/nofooter-in.tape" | "$BPFTAPE" replay - 2>/dev/null)
	[ -n "$a" ] && [ "$a" = "$b" ] || { echo "over a pipe:"; echo "$b" | head -3; return 1; }
}
vsize=$(stat -c %s "$VALID")
head -c $((vsize - 36)) "$VALID" >"$tmp/nofooter-in.tape"
run "replay -: an unfinished tape in a pipe is scanned" pipe_unfinished
# a regular file redirected in is read where it is
stdin_file() {
	"$BPFTAPE" replay - <"$TAPE" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
	"$BPFTAPE" replay "$TAPE" | cmp - "$tmp/out"
}
run "replay - < FILE" stdin_file
# filter -o - | replay -: the tape written to a pipe is whole (the writer
# never seeks), and equals the one written to a file
filter_pipe() {
	"$BPFTAPE" filter -q --type open,exec -o "$tmp/f1.tape" "$TAPE" || return 1
	cat "$TAPE" | "$BPFTAPE" filter -q --type open,exec -o - - | cat >"$tmp/f2.tape" || return 1
	cmp <("$BPFTAPE" replay "$tmp/f1.tape") <("$BPFTAPE" replay "$tmp/f2.tape") || return 1
	bp info --verify "$tmp/f2.tape"
	[ "$rc" -eq 0 ] || { echo "info --verify: status $rc"; cat "$tmp/out" "$tmp/err"; return 1; }
	grep -q 'index rebuilt\|no valid index' "$tmp/out" "$tmp/err" && { echo "no index"; return 1; }
	return 0
}
run "filter -o - -: a pipe to a pipe, a whole tape with its index" filter_pipe
export_stdout() {
	"$BPFTAPE" export --format csv "$TAPE" >"$tmp/e1" || return 1
	"$BPFTAPE" export --format csv -o - "$TAPE" | cat >"$tmp/e2" || return 1
	cmp "$tmp/e1" "$tmp/e2"
}
run "export -o -: standard output" export_stdout
recover_stdout() {
	bp recover -o - "$VALID"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	grep -q 'nothing lost' "$tmp/err" || { echo "no report on stderr:"; cat "$tmp/err"; return 1; }
	"$BPFTAPE" info --verify "$tmp/out" >/dev/null || { echo "stdout is not a clean tape"; return 1; }
}
run "recover -o -: the tape on stdout, the report on stderr" recover_stdout
import_stdin() {
	command -v sqlite3 >/dev/null || { echo "no sqlite3"; return 0; }
	cat "$TAPE" | "$BPFTAPE" import -q -o "$tmp/s.db" - 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
	[ "$(sqlite3 "$tmp/s.db" 'SELECT count(*) FROM events')" = \
		"$("$BPFTAPE" query --format csv "$TAPE" -c 'SELECT count(*) FROM events' | tail -1)" ]
}
run "import -: a pipe into a database" import_stdin
# the spool is a file in $TMPDIR: one that cannot be made is named
spool_tmpdir() {
	cat "$TAPE" | TMPDIR=$tmp/no-such-dir "$BPFTAPE" replay - >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "^bpftape replay: -: standard input: .*$tmp/no-such-dir" "$tmp/err" ||
		{ echo "status $rc"; cat "$tmp/err"; return 1; }
}
run "replay -: the spool's TMPDIR named when it cannot be used" spool_tmpdir
run "replay - -: usage error" usage_error replay - -
run "query - - -c: usage error" usage_error query - - -c 'SELECT 1'
run "replay --follow -: usage error" usage_error replay --follow -
run "query - without -c: usage error" usage_error query -
run "recover -o OUT -: usage error" usage_error recover -o "$o" -
# standard output that is an input: refused, the input intact
stdout_is_input() {
	cp "$TAPE" "$tmp/in.tape"
	local sum=$(cksum <"$tmp/in.tape")
	"$BPFTAPE" filter -o - "$tmp/in.tape" 1<>"$tmp/in.tape" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "standard output is the input" "$tmp/err" ||
		{ echo "status $rc"; cat "$tmp/err"; return 1; }
	[ "$(cksum <"$tmp/in.tape")" = "$sum" ] || { echo "the input changed"; return 1; }
}
run "filter -o - >IN: refused" stdout_is_input
# a tape to a terminal is refused; text (export) is not
tty_out() {
	command -v script >/dev/null || { echo "no script(1) to make a terminal"; return 0; }
	script -qec "$BPFTAPE filter -o - $TAPE" /dev/null >"$tmp/out" 2>&1
	grep -q "standard output is a terminal: a tape is binary" "$tmp/out" ||
		{ echo "filter -o - on a terminal:"; head -c 300 "$tmp/out"; return 1; }
	script -qec "$BPFTAPE export --format csv -o - $TAPE" /dev/null >"$tmp/out" 2>&1
	grep -q "^ts,time," "$tmp/out" || { echo "export -o - on a terminal:"; head -5 "$tmp/out"; return 1; }
}
run "filter -o - on a terminal: refused; export -o - is not" tty_out
# a FIFO never hangs a verb: without a reader the output fails at once;
# with one it gets the tape; read by name it is refused, through - it reads
fifo_out() {
	rm -f "$tmp/ofifo"
	mkfifo "$tmp/ofifo"
	timeout 20 "$BPFTAPE" filter -o "$tmp/ofifo" "$TAPE" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "no process reads this FIFO" "$tmp/err" ||
		{ echo "no reader: status $rc"; cat "$tmp/err"; return 1; }
	cat "$tmp/ofifo" >"$tmp/fromfifo.tape" &
	timeout 20 "$BPFTAPE" filter -o "$tmp/ofifo" "$TAPE" || { echo "with a reader: failed"; return 1; }
	wait
	"$BPFTAPE" info --verify "$tmp/fromfifo.tape" >/dev/null || { echo "not a tape"; return 1; }
	cat "$TAPE" >"$tmp/ofifo" &
	timeout 20 "$BPFTAPE" replay - <"$tmp/ofifo" >"$tmp/out" || { echo "replay - < FIFO failed"; return 1; }
	wait
	"$BPFTAPE" replay "$TAPE" | cmp - "$tmp/out"
}
run "FIFOs: an output without a reader fails at once; - reads one" fifo_out

# ---- one meaning per short option across verbs ----
# Every short option each verb's --help shows, as "VERB -X --long" lines.
short_options() {
	local v
	for v in $verbs; do
		"$BPFTAPE" "$v" --help 2>/dev/null |
			sed -n 's/^ *-\([A-Za-z]\), --\([a-z][a-z-]*\).*/-\1 --\2/p' |
			sed "s/^/$v /"
	done
}
# Two verbs that give one short option different long names fail; the
# table is printed (docs/USAGE.md, "Short options").
short_one_meaning() {
	local table bad
	table=$(short_options)
	[ -n "$table" ] || { echo "no short options found in any --help"; return 1; }
	bad=$(awk '{ if (($2 in m) && m[$2] != $3) print $2 ": " w[$2] " " m[$2] ", " $1 " " $3;
		if (!($2 in m)) { m[$2] = $3; w[$2] = $1 } }' <<<"$table")
	[ -z "$bad" ] || { echo "a short option with two meanings:"; echo "$bad"; return 1; }
}
# A short option a verb accepts is one its --help shows: every other
# letter is refused as unknown.
short_documented() {
	local v x shown failed=
	for v in $verbs; do
		shown=$("$BPFTAPE" "$v" --help 2>/dev/null | sed -n 's/^ *-\([A-Za-z]\), --.*/\1/p' | tr -d '\n')
		for x in {a..z} {A..Z}; do
			case $shown in *"$x"*) continue ;; esac
			"$BPFTAPE" "$v" "-$x" "$tmp/none" "$tmp/none" >/dev/null 2>"$tmp/err"
			grep -q "unknown.*-$x\|-$x.*unknown" "$tmp/err" ||
				{ echo "$v -$x is accepted but not in '$v --help':"; cat "$tmp/err"; failed=1; }
		done
	done
	[ -z "$failed" ]
}
run "a short option means one long option in every verb" short_one_meaning
run "every short option a verb takes is in its --help" short_documented

# ---- long verbs stay quiet when stderr is not a terminal ----
quiet_filter() {
	bp filter -o "$tmp/f.tape" "$TAPE"
	[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] || { echo "status $rc"; cat -A "$tmp/err"; return 1; }
}
run "filter: no progress when stderr is not a terminal" quiet_filter

summary
