#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bpftape summary on the golden tapes: every figure against the content
# tests/golden_summary.h wrote (counted by hand there), in the JSON parsed by
# python3 and in the text; the selection options; several tapes; and bad
# input: usage errors (status 2, one line), a missing or foreign file
# (status 1, named), a damaged chunk (status 3, named, the rest counted).
#
# Run from the repository root: tests/test_summary.sh  (OUTPUT=build dir, or
# BPFTAPE=path of the binary)
set -u
OUTPUT=${OUTPUT:-build}
BPFTAPE=${BPFTAPE:-$OUTPUT/bpftape}
GOLD=tests/golden
TAPE=$GOLD/summary-basic.tape

if [ ! -x "$BPFTAPE" ]; then
	echo "test_summary: skipped: $BPFTAPE is not built"
	exit 77
fi
if ! command -v python3 >/dev/null; then
	echo "test_summary: skipped: no python3 to parse the JSON"
	exit 77
fi

. "$(dirname "$0")/harness.sh"

bp() {
	"$BPFTAPE" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# check ARGS... -- PYTHON: `bpftape summary --json ARGS` exits 0 with one
# JSON object as s, on which the PYTHON assertions hold
check() {
	local args=()
	while [ "$1" != "--" ]; do
		args+=("$1")
		shift
	done
	shift
	bp summary --json "${args[@]}"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
def eq(got, want, what):
    if got != want:
        sys.exit("%s: %r, want %r" % (what, got, want))
def rows(l, *keys):
    return [tuple(r[k] for k in keys) for r in l]
exec(sys.argv[2])
' "$tmp/out" "$1" || { head -c 3000 "$tmp/out"; return 1; }
}

whole() {
	check "$TAPE" -- '
eq(s["whole"], True, "whole")
eq(s["counts_from"], "index", "counts_from")
eq(s["events"], 142, "events")
eq(s["span_ns"], 1900000000, "span")
eq(s["types"], {"fork": 2, "exec": 2, "exit": 2, "open": 9, "connect": 4, "syscall": 123}, "types")
p = s["processes"]
eq(p["count"], 3, "processes")
eq(rows(p["by_events"], "pid", "comm", "events", "syscalls", "syscall_ns"),
   [(300, "worker", 132, 120, 5150000), (302, "helper", 9, 3, 150), (100, "bash", 1, 0, 0)], "by_events")
eq(rows(p["by_syscall_time"], "pid", "syscall_ns"), [(300, 5150000), (302, 150)], "by_syscall_time")
sc = s["syscalls"]
keys = ("syscall", "calls", "errors", "total_ns", "avg_ns", "p50_ns", "p99_ns", "max_ns")
# read: latencies 1..100 us; p50 50 us and p99 99 us are reported as the top
# of their histogram buckets: 50175 (bucket 49664..50175) and 99327
# (98304..99327), within 1/64 above; write: all 5 us, clamped to the max
eq(rows(sc["rows"], *keys),
   [("read", 100, 10, 5050000, 50500, 50175, 99327, 100000),
    ("write", 20, 0, 100000, 5000, 5000, 5000, 5000),
    ("close", 3, 0, 150, 50, 50, 50, 50)], "syscall rows")
# total: the 62nd of 123 values is the 39th read, 39 us: bucket 38912..39423
eq(rows([sc["total"]], *keys), [("total", 123, 10, 5150150, 41871, 39423, 99327, 100000)], "total")
f = s["files"]
eq((f["opens"], f["failures"], f["count"], f["other_opens"]), (9, 4, 3, 0), "files")
eq(rows(f["by_opens"], "path", "opens", "failures"),
   [("/etc/hosts", 5, 0), ("/nonexistent", 3, 3), ("/etc/shadow", 1, 1)], "by_opens")
eq(rows(f["by_failures"], "path", "failures", "last_error"),
   [("/nonexistent", 3, "ENOENT"), ("/etc/shadow", 1, "EACCES")], "by_failures")
c = s["connections"]
eq(c["connects"], 4, "connects")
eq(rows(c["rows"], "destination", "result", "count"),
   [("10.0.0.1:80", "ok", 2), ("10.0.0.1:80", "ECONNREFUSED", 1), ("[::1]:443", "EINPROGRESS", 1)], "connections")
t = s["exec_tree"]
eq(len(t), 1, "roots")
eq((t[0]["pid"], t[0]["cmd"], t[0]["exec"], t[0]["events"], t[0]["subtree_events"]),
   (100, "bash -l", False, 1, 142), "root")
w = t[0]["children"][0]
eq((w["pid"], w["ppid"], w["cmd"], w["exec"], w["events"], w["subtree_events"]),
   (300, 100, "worker --fast", True, 132, 141), "worker")
h = w["children"][0]
eq((h["pid"], h["ppid"], h["cmd"], h["events"], h["subtree_events"], h["children"]),
   (302, 300, "helper -v", 9, 9, []), "helper")
l = s["losses"]
eq((l["lost"], l["records"]), (15, 2), "losses")
eq(rows(l["by_cpu"], "cpu", "lost", "records"), [(0, 10, 1), (1, 5, 1)], "by_cpu")
'
}
run "summary --json: every figure of the golden tape" whole

text() {
	bp summary "$TAPE"
	[ "$rc" -eq 0 ] || { echo "status $rc"; cat "$tmp/err"; return 1; }
	diff -u "$GOLD/summary-basic.txt" "$tmp/out"
}
run "summary: the text of the golden tape" text

strace_layout() {
	bp summary "$TAPE"
	grep -q '^% time     seconds  usecs/call       p50       p99       max     calls    errors syscall$' "$tmp/out" &&
		grep -q '^ 98\.06    0\.005050          50      50\.2      99\.3     100\.0       100        10 read$' "$tmp/out" &&
		grep -q '^100\.00    0\.005150          41      39\.4      99\.3     100\.0       123        10 total$' "$tmp/out" ||
		{ cat "$tmp/out"; return 1; }
}
run "summary: syscalls laid out as strace -c" strace_layout

# ---- selections: counted from the events read ----
run "summary --pid 302" check --pid 302 "$TAPE" -- '
eq((s["whole"], s["counts_from"], s["events"]), (False, "events", 9), "events")
eq(s["types"], {"exec": 1, "connect": 4, "syscall": 3, "exit": 1}, "types")
eq(rows(s["syscalls"]["rows"], "syscall", "calls"), [("close", 3)], "syscalls")
eq(rows(s["processes"]["by_events"], "pid", "events"), [(302, 9)], "processes")
eq(s["files"]["opens"], 0, "opens")
# its parent is outside the selection: the tree starts at it
eq([(n["pid"], n["ppid"]) for n in s["exec_tree"]], [(302, 300)], "tree")
# losses are kept by time, not by pid (as replay keeps them)
eq(s["losses"]["lost"], 15, "lost")
'
run "summary --since 1.2s --until 1.3s" check --since 1.2s --until 1.3s "$TAPE" -- '
eq(s["events"], 6, "events")
eq(s["types"], {"fork": 1, "exec": 1, "connect": 4}, "types")
eq((s["losses"]["lost"], s["losses"]["records"]), (5, 1), "losses in the range")
'
run "summary -f 'ret < 0'" check -f 'ret < 0' "$TAPE" -- '
eq(s["events"], 16, "events")
eq(rows(s["syscalls"]["rows"], "syscall", "calls", "errors"), [("read", 10, 10)], "syscalls")
eq((s["files"]["opens"], s["files"]["failures"]), (4, 4), "files")
eq(rows(s["connections"]["rows"], "result", "count"), [("ECONNREFUSED", 1), ("EINPROGRESS", 1)], "connections")
'
run "summary --type open --comm 'work*'" check --type open --comm 'work*' "$TAPE" -- '
eq(s["types"], {"open": 9}, "types")
eq((s["syscalls"]["rows"], s["syscalls"]["total"]["calls"]), ([], 0), "no syscalls")
eq(s["losses"]["lost"], 0, "--type without lost")
'
# --type alone: all of those types, counted by the index
run "summary --type open,syscall" check --type open,syscall "$TAPE" -- '
eq((s["whole"], s["counts_from"], s["events"]), (False, "index", 132), "events")
eq(s["types"], {"open": 9, "syscall": 123}, "types")
eq(s["syscalls"]["total"]["calls"], 123, "calls")
eq(s["processes"]["count"], 2, "processes")
'
run "summary --tid 301" check --tid 301 "$TAPE" -- '
eq(s["events"], 51, "events: 50 reads and one open")
eq(rows(s["syscalls"]["rows"], "syscall", "calls", "errors", "total_ns"), [("read", 50, 10, 2550000)], "reads: the even ones, every failing one")
eq([(n["pid"], n["ppid"], n["cmd"], n["exec"]) for n in s["exec_tree"]], [(300, 100, "worker --fast", False)], "its exec, outside the selection")
'
run "summary --top 1" check --top 1 "$TAPE" -- '
eq([r["pid"] for r in s["processes"]["by_events"]], [300], "one process")
eq((len(s["syscalls"]["rows"]), s["syscalls"]["more"]), (1, 2), "one syscall, 2 more")
# the busiest process and its ancestors
eq([n["pid"] for n in s["exec_tree"]], [100], "root")
eq([n["pid"] for n in s["exec_tree"][0]["children"]], [300], "child")
eq(s["exec_tree"][0]["children"][0]["children"], [], "no helper")
'
run "summary --top 0: every row" check --top 0 "$TAPE" -- '
eq(len(s["processes"]["by_events"]), 3, "rows")
'
# two tapes of two hosts: merged, processes named by host
run "summary of two hosts' tapes" check "$TAPE" "$GOLD/replay-basic.tape" -- '
eq((s["tapes"], s["events"], s["counts_from"]), (2, 160, "index"), "events")
eq(s["types"]["syscall"], 126, "syscalls")
eq(sorted((r["host"], r["pid"]) for r in s["processes"]["by_events"])[:2],
   [("golden-host.example.org", 100), ("golden-host.example.org", 101)], "hosts")
eq(s["losses"]["lost"], 1249, "losses of both")
'

# ---- bad input ----
usage_error() {
	bp summary "$@"
	[ "$rc" -eq 2 ] || { echo "status $rc, want 2"; cat "$tmp/err"; return 1; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -q "^bpftape summary: .*see 'bpftape summary --help'" "$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
}
run "summary: no FILE" usage_error
run "summary --top x" usage_error --top x "$TAPE"
run "summary --top -1" usage_error --top -1 "$TAPE"
run "summary --top (no value)" usage_error --top
run "summary --since xyz" usage_error --since xyz "$TAPE"
run "summary --type nosuch" usage_error --type nosuch "$TAPE"
run "summary -f 'pid =='" usage_error -f 'pid ==' "$TAPE"

unreadable() {
	bp summary "$1"
	[ "$rc" -eq 1 ] || { echo "status $rc, want 1"; cat "$tmp/err"; return 1; }
	[ ! -s "$tmp/out" ] || { echo "stdout:"; cat "$tmp/out"; return 1; }
	grep -q "^bpftape summary: .*$1.*$2" "$tmp/err" || { cat "$tmp/err"; return 1; }
}
run "summary: missing file" unreadable "$tmp/missing.tape" "No such file"
cp "$GOLD/format-foreign.tape" "$tmp/foreign.tape" 2>/dev/null || printf 'not a tape at all' >"$tmp/foreign.tape"
printf 'not a tape at all, just text\n' >"$tmp/text.tape"
run "summary: not a tape" unreadable "$tmp/text.tape" "not a tape"

# format-crc.tape: 600 events, 76 of them in the chunk at offset 1896
damaged() {
	bp summary --json "$1"
	[ "$rc" -eq 3 ] || { echo "status $rc, want 3"; cat "$tmp/err"; return 1; }
	grep -q "^bpftape summary: .*offset 1896.*(skipped)" "$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["events"], s["counts_from"]) == (524, "events"), (s["events"], s["counts_from"])
' "$tmp/out"
}
crc=$GOLD/format-crc.tape
head -c $(($(stat -c %s "$crc") - 36)) "$crc" >"$tmp/crc-nofooter.tape"
run "summary: a bad chunk: status 3, the rest counted" damaged "$crc"
run "summary: a bad chunk, no footer: status 3" damaged "$tmp/crc-nofooter.tape"

summary
