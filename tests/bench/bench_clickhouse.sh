#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench_clickhouse: `bpftape import --clickhouse` of a large tape into a
# real clickhouse-server (tests/clickhouse-cluster.sh), beside
# clickhouse-client's own load of the very same rows from RowBinary files
# (the ceiling: ClickHouse ingesting, with no tape to decode), in the same
# run.  Prints events/s of both, and bpftape's CPU time.
#
# Environment: BPFTAPE, OUTPUT, BENCH_CH_EVENTS (default 10000000; 1000000
# with BENCH_QUICK=1).  Exits 77 where clickhouse-server cannot run.
set -u
OUTPUT=${OUTPUT:-build}
BPFTAPE=${BPFTAPE:-$OUTPUT/bpftape}
events=${BENCH_CH_EVENTS:-$([ -n "${BENCH_QUICK:-}" ] && echo 1000000 || echo 10000000)}
if ! command -v clickhouse-client >/dev/null; then
	echo "bench_clickhouse: clickhouse-client is not installed (make deps)"
	exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-ch.XXXXXX")
url=$(tests/clickhouse-cluster.sh start "$dir/cluster")
rc=$?
if [ $rc -ne 0 ]; then
	echo "bench_clickhouse: $url"
	rm -rf "$dir"
	exit $rc
fi
trap 'tests/clickhouse-cluster.sh stop "$dir/cluster"; rm -rf "$dir"' EXIT
port=${url##*:}
# the first server's native port (tests/clickhouse-cluster.sh)
native=$((port + 1))
client() { clickhouse-client --host 127.0.0.1 --port "$native" "$@"; }

"$OUTPUT/tests/test_query" --write-golden "$dir/bench.tape" bench "$events" || exit 1
n=$("$BPFTAPE" info "$dir/bench.tape" | sed -n 's/^ *events: *\([0-9]*\).*/\1/p' | head -1)
echo "bench_clickhouse: tape ${n:-?} events, $(($(stat -c %s "$dir/bench.tape") / 1000000)) MB"

TIMEFORMAT='%R %U %S'
t=$( { time "$BPFTAPE" import -q --clickhouse "$url" --database bench "$dir/bench.tape" \
	2>"$dir/import.err"; } 2>&1) || { cat "$dir/import.err"; exit 1; }
read -r wall user sys <<<"$t"
cat "$dir/import.err"
rows=$(client --query "SELECT sum(rows) FROM system.parts WHERE database = 'bench' AND active")
bytes=$(client --query "SELECT sum(data_uncompressed_bytes) FROM system.parts WHERE database = 'bench' AND active")

# the ceiling: the same rows, already RowBinary, loaded by clickhouse-client
client --query "CREATE DATABASE ceiling"
tables=$(client --query "SELECT name FROM system.tables WHERE database = 'bench' AND name != 'tapes'")
for tb in $tables; do
	client --query "CREATE TABLE ceiling.\`$tb\` AS bench.\`$tb\`"
	client --query "SELECT * FROM bench.\`$tb\` FORMAT RowBinary" >"$dir/$tb.bin"
done
t=$( { time for tb in $tables; do
	client --query "INSERT INTO ceiling.\`$tb\` FORMAT RowBinary" <"$dir/$tb.bin" || exit 1
done; } 2>&1) || exit 1
read -r cwall cuser csys <<<"$t"
crows=$(client --query "SELECT sum(rows) FROM system.parts WHERE database = 'ceiling' AND active")
awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v rows="$rows" -v bytes="$bytes" \
	-v cw="$cwall" -v crows="$crows" 'BEGIN {
	printf "bench_clickhouse: import --clickhouse: %d events (%d rows, %.0f MB in the tables) in %.2f s wall = %.2f M events/s (goal >= 1); bpftape CPU %.2f s\n", n, rows, bytes / 1e6, w, n / w / 1e6, u + s
	printf "bench_clickhouse: clickhouse-client, the same %d rows from RowBinary files: %.2f s wall = %.2f M events/s (the ceiling)\n", crows, cw, n / cw / 1e6
	printf "bench_clickhouse: import / ceiling: %.2fx the time\n", w / cw
}'
