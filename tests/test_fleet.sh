#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The fleet in ClickHouse (docs/FLEET.md) against two real
# clickhouse-server processes, one cluster of two shards
# (tests/clickhouse-cluster.sh): three hosts' tapes loaded with
# `import --clickhouse --cluster` live whole on their hosts' shards; every
# worked question of FLEET.md gives across the cluster exactly what
# `bpftape query` gives over the same tapes; a second load is skipped, a
# cut-off one is undone and done again, a type that gained a field adds
# the column; a server that is down, a refused password, an unknown
# cluster, a damaged tape, a column of another type: a clear error.
# Skips, saying why, where clickhouse-server cannot run.
#
# Run from the repository root: tests/test_fleet.sh  (OUTPUT=build dir)
set -u
OUTPUT=${OUTPUT:-build}
BPFTAPE=${BPFTAPE:-$OUTPUT/bpftape}
GOLDEN=$OUTPUT/tests/test_query

for tool in curl python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "test_fleet: $tool is not installed (make deps); skipped"
		exit 77
	fi
done

. tests/harness.sh

cluster=$tmp/cluster
url=$(tests/clickhouse-cluster.sh start "$cluster")
rc=$?
if [ $rc -ne 0 ]; then
	echo "test_fleet: $url; skipped"
	exit 77
fi
trap 'tests/clickhouse-cluster.sh stop "$cluster"; rm -rf "$tmp"' EXIT
port=${url##*:}
shard1=http://127.0.0.1:$port
shard2=http://127.0.0.2:$port

# SQL over HTTP to one server; prints the TSV answer, fails on an error
ch() {
	local srv=$1
	shift
	curl -sS --fail-with-body "$srv/?database=bpftape&distributed_product_mode=local" \
		--data-binary "$*"
}

# Three hosts: cityHash64 puts web1 and web2 on the first shard, db2 on
# the second; each tape has its own filler events so the counts differ.
"$GOLDEN" --write-golden "$tmp/web1.tape" web1 0 &&
	"$GOLDEN" --write-golden "$tmp/web2.tape" web2 50 &&
	"$GOLDEN" --write-golden "$tmp/db2.tape" db2 100 || exit 1
tapes=("$tmp/web1.tape" "$tmp/web2.tape" "$tmp/db2.tape")

test_load_cluster() {
	"$BPFTAPE" import -q --clickhouse "$url" --cluster fleet "${tapes[@]}" 2>"$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
	grep -q '10941 events of 3 tapes' "$tmp/err" || { cat "$tmp/err"; return 1; }
}

test_sharded_by_host() {
	local a b want got

	a=$(ch "$shard1" 'SELECT host, count() FROM `events:local` GROUP BY host ORDER BY host') || return 1
	b=$(ch "$shard2" 'SELECT host, count() FROM `events:local` GROUP BY host ORDER BY host') || return 1
	echo "shard 1: $a"
	echo "shard 2: $b"
	# both shards hold hosts, and no host is on both
	[ -n "$a" ] && [ -n "$b" ] || return 1
	[ -z "$(comm -12 <(cut -f1 <<<"$a") <(cut -f1 <<<"$b"))" ] || return 1
	want=$("$BPFTAPE" query --format csv "${tapes[@]}" \
		-c 'SELECT host, count(*) FROM events GROUP BY host ORDER BY host' | tail -n +2 | tr , '\t')
	got=$(ch "$shard2" 'SELECT host, count() FROM events GROUP BY host ORDER BY host') || return 1
	[ "$want" = "$got" ] || { echo "want $want, got $got"; return 1; }
	# every table: the same rows per host through either shard
	for t in processes losses meta types frames open exec syscall; do
		want=$("$BPFTAPE" query --format csv "${tapes[@]}" \
			-c "SELECT host, count(*) FROM $t GROUP BY host ORDER BY host" | tail -n +2 | tr , '\t')
		got=$(ch "$shard1" "SELECT host, count() FROM $t GROUP BY host ORDER BY host") || return 1
		[ "$want" = "$got" ] || { echo "$t: want $want, got $got"; return 1; }
	done
}

# The worked questions of docs/FLEET.md, in order, and the same questions
# for `bpftape query` over the three tapes.
sqlite_questions=(
	'SELECT host, type, count(*) AS n FROM events GROUP BY host, type ORDER BY host, n DESC, type'
	'SELECT host, pid, comm, count(*) AS opens, group_concat(path, '\'' '\'') AS files FROM open GROUP BY host, pid, comm ORDER BY host, pid'
	'SELECT host, ret_str AS error, count(*) AS n, group_concat(DISTINCT path) AS paths FROM open WHERE ret < 0 GROUP BY host, ret_str ORDER BY host, n DESC, error'
	'WITH RECURSIVE tree(host, pid, depth) AS (SELECT host, pid, 0 FROM processes WHERE comm = '\''make'\'' UNION ALL SELECT p.host, p.pid, tree.depth + 1 FROM processes p JOIN tree ON p.host = tree.host AND p.ppid = tree.pid) SELECT p.host, substr('\''          '\'', 1, 2 * depth) || p.argv AS command, p.pid, p.exit_code, (p.exit_ts - p.start_ts) / 1000000 AS ms FROM tree JOIN processes p USING (host, pid) ORDER BY p.host, p.start_ts'
	'SELECT host, pid, ppid, argv, exit_code, exit_time FROM processes WHERE exit_code != 0 OR exit_signal != 0 ORDER BY host, exit_ts'
	'WITH r AS (SELECT host, nr_str AS syscall, latency, row_number() OVER (PARTITION BY host, nr_str ORDER BY latency) AS k, count(*) OVER (PARTITION BY host, nr_str) AS n FROM syscall) SELECT host, syscall, n AS calls, min(CASE WHEN k >= 0.50 * n THEN latency END) AS p50_ns, min(CASE WHEN k >= 0.90 * n THEN latency END) AS p90_ns, min(CASE WHEN k >= 0.99 * n THEN latency END) AS p99_ns, max(latency) AS max_ns FROM r GROUP BY host, syscall ORDER BY host, calls DESC, syscall'
	'SELECT s.host, s.time, s.pid, p.comm, s.nr_str AS syscall, s.latency_str AS latency FROM syscall s JOIN processes p USING (host, pid) ORDER BY s.latency DESC, s.ts, s.host LIMIT 3'
	'SELECT host, addr_str AS destination, count(*) AS attempts, sum(ret < 0) AS failed, group_concat(DISTINCT ret_str) AS errors FROM connect GROUP BY host, addr_str ORDER BY host, attempts DESC, destination'
	'SELECT host, substr(time, 1, 19) AS second, count(*) AS events FROM events GROUP BY host, second ORDER BY events DESC, second, host LIMIT 3'
	'SELECT host, time, type, args FROM events WHERE pid = 1002 AND ts BETWEEN 1001000000000 AND 1001100000000 ORDER BY ts, host'
	'SELECT r.host, r.pid, p.comm, count(*) AS reads, sum(max(r.ret, 0)) AS bytes, sum(r.ret < 0) AS errors FROM read r JOIN processes p USING (host, pid) GROUP BY r.host, r.pid ORDER BY bytes DESC, r.host, r.pid'
	'SELECT host, cpu, count, (last_ts - first_ts) / 1e6 AS over_ms, (SELECT count(*) FROM events e WHERE e.host = losses.host AND e.ts BETWEEN first_ts AND last_ts) AS kept FROM losses ORDER BY host, cpu, first_ts'
	'SELECT host, pid, json_extract(args, '\''$.path'\'') AS path, json_extract(args, '\''$.flags'\'') AS flags FROM events WHERE type = '\''open'\'' AND json_extract(args, '\''$.flags'\'') LIKE '\''%O_CREAT%'\'' ORDER BY host, ts'
	'SELECT host, (ts - (SELECT min(ts) FROM events e WHERE e.host = events.host)) / 500000000 * 500 AS from_ms, count(*) AS events, count(DISTINCT pid) AS pids, sum(type = '\''open'\'') AS opens FROM events GROUP BY host, from_ms ORDER BY events DESC, from_ms, host LIMIT 3'
	'SELECT host, key, value FROM meta WHERE key LIKE '\''host.%'\'' ORDER BY host, key'
	'SELECT e.host, coalesce(nullif(p.container_name, '\'''\''), '\''(host)'\'') AS container, p.runtime, count(*) AS events FROM events e JOIN processes p USING (host, pid) GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1'
	'SELECT o.host, s.symbol, count(*) AS opens, sum(o.ret < 0) AS failed FROM open o JOIN (SELECT file, stack_id, symbol, min(depth) FROM frames WHERE NOT kernel AND binary NOT LIKE '\''%/libc.so%'\'' GROUP BY file, stack_id) s ON s.file = o.file AND s.stack_id = o.stack_id GROUP BY o.host, s.symbol ORDER BY o.host, opens DESC, s.symbol'
)

test_worked_questions() {
	local n=0 bad=0

	python3 - docs/FLEET.md >"$tmp/chq" <<'PY' || return 1
import re, sys
text = open(sys.argv[1]).read()
part = text.split("## Worked questions", 1)[1]
for q in re.findall(r"^### \d+\..*?```sql\n(.*?)```", part, re.S | re.M):
    print(q.strip().rstrip(";").replace("\n", " "))
PY
	[ "$(wc -l <"$tmp/chq")" -eq ${#sqlite_questions[@]} ] ||
		{ echo "FLEET.md has $(wc -l <"$tmp/chq") questions, the test ${#sqlite_questions[@]}"; return 1; }
	while IFS= read -r q; do
		n=$((n + 1))
		"$BPFTAPE" query --format csv "${tapes[@]}" -c "${sqlite_questions[n - 1]}" \
			>"$tmp/want$n.csv" || { echo "question $n: bpftape query failed"; bad=1; continue; }
		ch "$shard2" "$q FORMAT CSVWithNames" >"$tmp/got$n.csv" ||
			{ echo "question $n: $(cat "$tmp/got$n.csv")"; bad=1; continue; }
	done <"$tmp/chq"
	# one interpreter for every comparison: starting one is slow here
	python3 - "$tmp" "$n" <<'PY' || bad=1
import csv, re, sys
def norm(cell):
    if cell == "\\N":
        return ""
    # DateTime64 prints 2023-11-14 22:13:21.004000006; the tape's text
    # reads 2023-11-14T22:13:21.004000006Z
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d{9})?", cell)
    if m:
        cell = m.group(1) + "T" + m.group(2) + (m.group(3) + "Z" if m.group(3) else "")
    try:
        return float(cell)
    except ValueError:
        return cell
def rows(path):
    try:
        return [[norm(c) for c in r] for r in list(csv.reader(open(path)))[1:]]
    except OSError:
        return None
bad = 0
for n in range(1, int(sys.argv[2]) + 1):
    want = rows(f"{sys.argv[1]}/want{n}.csv")
    got = rows(f"{sys.argv[1]}/got{n}.csv")
    if want is None or got is None:
        continue
    if want != got or not want:
        print(f"question {n}: ClickHouse differs from bpftape query")
        print("  want:", want[:6])
        print("  got: ", got[:6])
        bad = 1
sys.exit(bad)
PY
	echo "$n questions compared"
	[ $bad -eq 0 ]
}

test_second_load_skipped() {
	local before after

	before=$(ch "$shard1" 'SELECT count() FROM events') || return 1
	"$BPFTAPE" import -q --clickhouse "$url" --cluster fleet "${tapes[@]}" 2>"$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
	cat "$tmp/err"
	[ "$(grep -c 'skipped (--replace loads it again)' "$tmp/err")" -eq 3 ] || return 1
	after=$(ch "$shard1" 'SELECT count() FROM events') || return 1
	[ "$before" = "$after" ]
}

test_cut_off_load_redone() {
	local id want got

	# as a load killed half-way leaves it: a newer "loading" status and
	# rows of the tape (here: every row of db2 once more)
	id=$(ch "$shard2" "SELECT tape FROM tapes WHERE host = 'db2' LIMIT 1") || return 1
	want=$(ch "$shard2" "SELECT count() FROM events WHERE host = 'db2'") || return 1
	ch "$shard2" "INSERT INTO \`tapes:local\` SELECT host, tape, file, 0, 'loading', now(), version + 1 FROM \`tapes:local\` WHERE tape = '$id' AND status = 'complete'" || return 1
	ch "$shard2" "INSERT INTO \`events:local\` SELECT * FROM \`events:local\` WHERE tape = '$id'" || return 1
	got=$(ch "$shard2" "SELECT count() FROM events WHERE host = 'db2'") || return 1
	[ "$got" -eq $((2 * want)) ] || { echo "setup: $got rows"; return 1; }
	"$BPFTAPE" import -q --clickhouse "$url" --cluster fleet "$tmp/db2.tape" 2>"$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
	cat "$tmp/err"
	grep -q 'removing the rows of an unfinished load' "$tmp/err" || return 1
	got=$(ch "$shard2" "SELECT count() FROM events WHERE host = 'db2'") || return 1
	[ "$got" = "$want" ] || { echo "db2 events: want $want, got $got"; return 1; }
	got=$(ch "$shard2" "SELECT argMax(status, version) FROM tapes WHERE tape = '$id'") || return 1
	[ "$got" = complete ]
}

test_new_field_adds_column() {
	local want got s t

	# the tables as an older recorder left them: `open` without `mode`
	for s in "$shard1" "$shard2"; do
		for t in open 'open:local'; do
			ch "$s" "ALTER TABLE \`$t\` DROP COLUMN mode" || return 1
		done
	done
	"$BPFTAPE" import -q --clickhouse "$url" --cluster fleet --replace "$tmp/web2.tape" \
		2>"$tmp/err" || { cat "$tmp/err"; return 1; }
	cat "$tmp/err"
	grep -q 'gains column mode Nullable(UInt32)' "$tmp/err" || return 1
	# the rows loaded now have it, the older ones read NULL
	want=$("$BPFTAPE" query --format csv "$tmp/web2.tape" \
		-c 'SELECT count(*), sum(mode) FROM open' | tail -1 | tr , '\t')
	got=$(ch "$shard1" "SELECT count(), sum(mode) FROM open WHERE mode IS NOT NULL") || return 1
	[ "$want" = "$got" ] || { echo "want $want, got $got"; return 1; }
	got=$(ch "$shard1" "SELECT uniqExact(host) FROM open WHERE mode IS NULL") || return 1
	[ "$got" = 2 ]
}

test_one_server() {
	local want got

	"$BPFTAPE" import -q --clickhouse "$shard2" --database solo "$tmp/web1.tape" 2>"$tmp/err" ||
		{ cat "$tmp/err"; return 1; }
	want=$("$BPFTAPE" query --format csv "$tmp/web1.tape" \
		-c 'SELECT count(*), sum(ret) FROM syscall' | tail -1 | tr , '\t')
	got=$(curl -sS "$shard2/?database=solo" --data-binary 'SELECT count(), sum(ret) FROM syscall') || return 1
	[ "$want" = "$got" ] || { echo "want $want, got $got"; return 1; }
	# no cluster: plain tables, no local ones
	got=$(curl -sS "$shard2/" --data-binary "SELECT count() FROM system.tables WHERE database = 'solo' AND name LIKE '%:local'")
	[ "$got" = 0 ]
}

# fails with status $1 and a message matching $2
fails_with() {
	local status=$1 pattern=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>&1
	rc=$?
	cat "$tmp/out"
	[ "$rc" -eq "$status" ] || { echo "exit status $rc, want $status"; return 1; }
	grep -q -- "$pattern" "$tmp/out" || { echo "no '$pattern'"; return 1; }
}

test_bad_input() {
	local dead=http://127.0.0.1:$((port + 3))

	fails_with 1 "127.0.0.1:$((port + 3)): Couldn't connect" \
		"$BPFTAPE" import -q --clickhouse "$dead" "$tmp/web1.tape" || return 1
	fails_with 1 'Wrong password for user loader' \
		"$BPFTAPE" import -q --clickhouse "http://loader:wrong@127.0.0.1:$port" "$tmp/web1.tape" || return 1
	fails_with 1 'not an http:// or https:// URL' \
		"$BPFTAPE" import -q --clickhouse "ftp://127.0.0.1:$port" "$tmp/web1.tape" || return 1
	fails_with 1 "cluster 'nosuch'" \
		"$BPFTAPE" import -q --clickhouse "$url" --cluster nosuch "$tmp/web1.tape" || return 1
	fails_with 2 'not a ClickHouse identifier' \
		"$BPFTAPE" import -q --clickhouse "$url" --database 'a;b' "$tmp/web1.tape" || return 1
	fails_with 2 '-o and --clickhouse' \
		"$BPFTAPE" import -q -o "$tmp/x.db" --clickhouse "$url" "$tmp/web1.tape" || return 1
	head -c 4096 /dev/urandom >"$tmp/junk.tape"
	fails_with 1 'junk.tape' \
		"$BPFTAPE" import -q --clickhouse "$url" --database junk "$tmp/junk.tape" || return 1
	[ "$(curl -sS "$shard1/" --data-binary 'SELECT count() FROM junk.tapes')" = 0 ] || return 1
	# a column of another type than the tape's: named, nothing loaded
	curl -sS --fail-with-body "$shard1/" --data-binary 'CREATE DATABASE clash' || return 1
	curl -sS --fail-with-body "$shard1/" --data-binary \
		'CREATE TABLE clash.losses (host String, tape String, cpu String, first_ts UInt64, last_ts UInt64, count UInt64) ENGINE = MergeTree ORDER BY host' ||
		return 1
	fails_with 1 'column cpu is String, this tape needs UInt32' \
		"$BPFTAPE" import -q --clickhouse "$url" --database clash "$tmp/web1.tape" || return 1
	[ "$(curl -sS "$shard1/" --data-binary 'SELECT count() FROM clash.events')" = 0 ]
}

test_damaged_tape() {
	local size want got

	# one byte of the middle chunk changed: it fails its checksum and is
	# skipped, the rest loads, and the exit status says so
	cp "$tmp/web1.tape" "$tmp/damaged.tape"
	size=$(stat -c %s "$tmp/damaged.tape")
	printf '\xff' | dd of="$tmp/damaged.tape" bs=1 seek=$((size / 2)) conv=notrunc status=none
	fails_with 3 'damaged\|CRC\|checksum' \
		"$BPFTAPE" import -q --clickhouse "$url" --database damaged "$tmp/damaged.tape" || return 1
	want=$("$BPFTAPE" query --format csv "$tmp/damaged.tape" -c 'SELECT count(*) FROM events' 2>/dev/null | tail -1)
	got=$(curl -sS "$shard1/" --data-binary 'SELECT count() FROM damaged.events')
	echo "events: query $want, ClickHouse $got"
	[ "$want" = "$got" ] && [ "$got" -gt 0 ] && [ "$got" -lt 3597 ]
}

run load_cluster test_load_cluster
run sharded_by_host test_sharded_by_host
RUN_LOG_LINES=40 run worked_questions test_worked_questions
run second_load_skipped test_second_load_skipped
run cut_off_load_redone test_cut_off_load_redone
run new_field_adds_column test_new_field_adds_column
run one_server test_one_server
RUN_LOG_LINES=40 run bad_input test_bad_input
run damaged_tape test_damaged_tape
summary
