#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The programs of examples/ (the C API as a user copies it) over the golden
# tapes: their answers are bpftape's own (query, replay --json), the live
# one follows a tape that grows in pieces and ends at its trailer, and
# each builds from the public headers alone.  Recording live is
# tests/test_examples_live.c's (root).  Prints cmocka-style result lines.
set -u
OUTPUT=${OUTPUT:-build}
BPFTAPE=${BPFTAPE:-$OUTPUT/bpftape}
EX=$OUTPUT/examples
GOLD=tests/golden
for b in "$BPFTAPE" "$EX/opens_per_comm" "$EX/follow_opens" "$EX/proc_of_event"; do
	if [ ! -x "$b" ]; then
		echo "test_examples: $b is not built (make)"
		echo "[  FAILED  ] 1 test(s), listed below:"
		echo "[  FAILED  ] build"
		exit 1
	fi
done
command -v python3 >/dev/null || { echo "test_examples: skipped: no python3"; exit 77; }

. "$(dirname "$0")/harness.sh"

# what query says: "COUNT COMM" lines, most first, then by name
query_counts() {
	"$BPFTAPE" query "$@" --format csv \
		-c 'SELECT count(*) AS n, comm FROM open GROUP BY comm ORDER BY n DESC, comm' |
		tail -n +2 | awk -F, '{ printf "%10d %s\n", $1, $2 }'
}

opens_same() {
	local want got
	want=$(query_counts "$@")
	got=$("$EX/opens_per_comm" "$@") || return 1
	[ -n "$want" ] && [ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
}
run "opens_per_comm: the counts of query (replay-basic)" opens_same "$GOLD/replay-basic.tape"
run "opens_per_comm: the counts of query (format-valid)" opens_same "$GOLD/format-valid.tape"

follow_done() {
	local want got
	want=$("$EX/opens_per_comm" "$1")
	got=$(timeout 20 "$EX/follow_opens" "$1") || { echo "status $?"; return 1; }
	[ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
}
run "follow_opens: a finished tape is read and ended" follow_done "$GOLD/format-valid.tape"

# A tape that grows as a recorder writes it: the header and a first part,
# then the rest (its last chunks, index and trailer).  follow_opens waits
# for more while the tape is unfinished, and ends once the trailer is in.
follow_growing() {
	local t=$GOLD/format-valid.tape live=$tmp/live.tape pid want rc
	local size=$(stat -c %s "$t")
	want=$("$EX/opens_per_comm" "$t")
	rm -f "$live"
	head -c $((size / 2)) "$t" >"$live"
	timeout 30 "$EX/follow_opens" "$live" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 1
	kill -0 "$pid" 2>/dev/null || { echo "ended on an unfinished tape:"; cat "$tmp/out" "$tmp/err"; return 1; }
	tail -c +$((size / 2 + 1)) "$t" >>"$live"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	[ "$want" = "$(cat "$tmp/out")" ] || { diff <(echo "$want") "$tmp/out"; return 1; }
}
run "follow_opens: waits on a growing tape, ends at its trailer" follow_growing

# started before the recorder names its tape, it waits for the name
follow_before() {
	local t=$GOLD/replay-basic.tape live=$tmp/later.tape pid
	rm -f "$live"
	timeout 30 "$EX/follow_opens" "$live" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 0.5
	# as the recorder does: the name comes with the header
	cp "$t" "$tmp/later.part" && mv "$tmp/later.part" "$live"
	wait "$pid" || { echo "status $?"; cat "$tmp/err"; return 1; }
	[ "$("$EX/opens_per_comm" "$t")" = "$(cat "$tmp/out")" ]
}
run "follow_opens: waits for the tape to appear" follow_before

# proc_of_event: each open's pid, ppid and exe as replay --json gives
# them, and the argv of the processes table
proc_same() {
	local t=$1 type=$2
	"$EX/proc_of_event" "$t" "$type" >"$tmp/procs" || return 1
	"$BPFTAPE" replay --json --type "$type" "$t" >"$tmp/json" || return 1
	"$BPFTAPE" query "$t" --format json -c 'SELECT pid, argv FROM processes' >"$tmp/argv" || return 1
	python3 - "$tmp/procs" "$tmp/json" "$tmp/argv" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
evs = [json.loads(l) for l in open(sys.argv[2])]
argv = {}
for row in json.load(open(sys.argv[3])):
    argv[row["pid"]] = row["argv"]
assert lines and len(lines) == len(evs), (len(lines), len(evs))
for line, ev in zip(lines, evs):
    head, _, args = line.partition(" argv")
    w = head.split()
    got = dict(pid=int(w[2]), ppid=int(w[4]), comm=w[6], exe=w[8])
    want = dict(pid=ev["pid"], ppid=ev.get("ppid", 0), comm=ev["comm"], exe=ev.get("exe", "?"))
    assert got == want, (line, want)
    assert args.strip() == argv[ev["pid"]], (line, argv[ev["pid"]])
print(len(lines), "events checked")
PY
}
run "proc_of_event: pid, ppid, exe of replay --json, argv of processes" proc_same "$GOLD/replay-basic.tape" open
run "proc_of_event: an exec's process is the new program" proc_same "$GOLD/replay-basic.tape" exec

# a user's build: the public headers and libtape, nothing else
public_only() {
	local pub=$tmp/include e
	mkdir -p "$pub/bpftape"
	cp format/include/bpftape/tape.h format/include/bpftape/tape_proctab.h "$pub/bpftape/"
	for e in opens_per_comm follow_opens proc_of_event; do
		${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -I"$pub" -o "$tmp/$e" "examples/$e.c" \
			"$OUTPUT/libtape.a" -lzstd ${SAN_LDFLAGS:-} || return 1
	done
	"$tmp/opens_per_comm" "$GOLD/replay-basic.tape" | grep -q ' cat$'
}
if readelf -s "$OUTPUT/libtape.a" 2>/dev/null | grep -q '__asan_'; then
	echo "[  SKIPPED ] examples build from the public headers alone: libtape.a has a sanitizer"
else
	run "examples build from the public headers alone" public_only
fi

summary
