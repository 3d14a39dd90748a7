#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The offline verbs under valgrind: replay (text and JSON), filter (with and
# without redaction), info --verify, summary, recover, export (perfetto, chrome, csv), query
# and import over the golden tapes, the damaged ones included, and over the
# inputs the fuzzers once crashed on (tests/fuzz/regress/).  A test fails on
# any memory error or definite leak (valgrind exits 99), on a crash, or when
# a verb fails on a tape it should read.  Prints cmocka-style result lines.
#
# Run from the repository root: tests/test_valgrind.sh  (OUTPUT=build dir)
set -u
OUTPUT=${OUTPUT:-build}
BPFTAPE=$OUTPUT/bpftape
GOLD=tests/golden

if ! command -v valgrind >/dev/null; then
	echo "test_valgrind: skipped: valgrind is not installed (apt-get install valgrind)"
	exit 77
fi
# valgrind cannot run an AddressSanitizer binary; under `make sanitize` the
# verbs' code runs with ASan in the unit tests (test_replay, test_query,
# test_fuzz_regress) instead.
case $OUTPUT in
*/san | san)
	echo "test_valgrind: skipped: $OUTPUT is a sanitizer build (ASan replaces valgrind there)"
	exit 77
	;;
esac
if [ ! -x "$BPFTAPE" ]; then
	echo "test_valgrind: skipped: $BPFTAPE is not built (make $BPFTAPE)"
	exit 77
fi
if nm -D "$BPFTAPE" 2>/dev/null | grep -q '__asan_init' ||
	ldd "$BPFTAPE" 2>/dev/null | grep -q libasan; then
	echo "test_valgrind: skipped: $BPFTAPE is built with AddressSanitizer (valgrind cannot run it)"
	exit 77
fi

. "$(dirname "$0")/harness.sh"

VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	--show-leak-kinds=definite)

# vg OK NAME ARGS...: run `bpftape ARGS...` under valgrind, one job per CPU
# (valgrind is single-threaded; this halves the wall time on two cores).
# OK is "ok" when the verb must succeed, "any" when it may refuse the input
# (damaged tapes) as long as it exits cleanly.  "@" in ARGS is the job's own
# output path.  Results are collected by report().
jobs_max=$(nproc 2>/dev/null || echo 2)
njob=0
running=0
vg() {
	local want=$1 name=$2 d
	shift 2
	njob=$((njob + 1))
	d=$tmp/job$(printf '%04d' $njob)
	mkdir -p "$d"
	printf '%s\n' "$name" >"$d/name"
	(
		args=()
		for a in "$@"; do
			args+=("${a//@/$d/o}")
		done
		"${VG[@]}" "$BPFTAPE" "${args[@]}" >/dev/null 2>"$d/err" </dev/null
		rc=$?
		if [ "$rc" -eq 99 ] || [ "$rc" -ge 128 ] ||
			{ [ "$want" = ok ] && [ "$rc" -ne 0 ]; }; then
			echo "bpftape ${args[*]} exited $rc" >"$d/fail"
		fi
		rm -f "$d"/o*
	) &
	running=$((running + 1))
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
}

report() {
	local d name
	wait
	for d in "$tmp"/job*; do
		name=$(cat "$d/name")
		if [ -f "$d/fail" ]; then
			echo "[ RUN      ] $name"
			cat "$d/fail"
			tail -40 "$d/err"
			echo "[  FAILED  ] $name"
			failed+=("$name")
		else
			echo "[       OK ] $name"
			passed=$((passed + 1))
		fi
	done
}

SQL="SELECT type, count(*) FROM events GROUP BY type;
SELECT ts, time, pid, comm, type, args FROM events WHERE ts > 1000 AND pid > 0 ORDER BY ts DESC;
SELECT * FROM processes; SELECT * FROM losses; SELECT * FROM meta; SELECT * FROM types;
SELECT * FROM open WHERE ret < 0; SELECT * FROM exec; SELECT * FROM connect"

key=$tmp/key
printf 'valgrind-test-key-0123456789' >"$key"

# Tapes every verb must read.
for t in "$GOLD/replay-basic.tape" "$GOLD/format-valid.tape"; do
	b=$(basename "$t" .tape)
	vg ok "$b: replay" replay "$t"
	vg ok "$b: replay --json" replay --json --time wall "$t"
	vg ok "$b: replay -f" replay -f 'ret < 0 || path =~ "/etc/*"' "$t"
	vg ok "$b: filter" filter -q -o @.tape --since 0.0001 --type open "$t"
	vg ok "$b: filter --redact all" filter -q -o @.tape --redact all --key "$key" "$t"
	vg ok "$b: info --verify" info --verify "$t"
	vg ok "$b: info --json" info --json "$t"
	vg ok "$b: summary" summary "$t"
	vg ok "$b: summary --json -f" summary --json --top 0 -f 'ret < 0' "$t"
	vg ok "$b: recover" recover -o @.tape "$t"
	vg ok "$b: export perfetto" export --format perfetto -o @.out "$t"
	vg ok "$b: export chrome" export --format chrome -o @.out "$t"
	vg ok "$b: export csv" export --format csv -o @.out "$t"
	vg ok "$b: import" import -q -o @.db "$t"
done
# query fails when a per-type table the tape lacks is named: only the
# first golden tape has open, exec and connect.
vg ok "replay-basic: query" query "$GOLD/replay-basic.tape" -c "$SQL"
vg ok "replay-basic: query --format json" query --format json "$GOLD/replay-basic.tape" \
	-c "SELECT * FROM events; SELECT * FROM processes"
vg ok "two tapes: query" query --format csv "$GOLD/replay-basic.tape" "$GOLD/format-valid.tape" \
	-c "SELECT file, host, type, count(*) FROM events GROUP BY 1, 2, 3"

# Damaged tapes and fuzzer finds: any verdict, but clean.
for t in "$GOLD"/format-badfooter.tape "$GOLD"/format-crc.tape "$GOLD"/format-empty.tape \
	"$GOLD"/format-foreign.tape "$GOLD"/format-truncated.tape tests/fuzz/regress/*/*; do
	[ -f "$t" ] || continue
	b=$(basename "$t")
	vg any "$b: replay --json" replay --json "$t"
	vg any "$b: info --verify" info --verify "$t"
	vg any "$b: summary --json" summary --json "$t"
	vg any "$b: recover" recover -o @.tape "$t"
	vg any "$b: filter --redact all" filter -q -o @.tape --redact all --key "$key" "$t"
	vg any "$b: import" import -q -o @.db "$t"
	vg any "$b: query" query "$t" -c "SELECT type, count(*) FROM events GROUP BY type;
		SELECT * FROM events WHERE ts > 5; SELECT * FROM processes; SELECT * FROM types"
done

report
summary
