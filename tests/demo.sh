#!/usr/bin/env bash
# make demo: record a few seconds of a small workload, replay the first
# events, summarize the tape and run three example queries.
set -euo pipefail
bpftape=${BPFTAPE:-build/bpftape}
out=${OUTPUT:-build}
tape=$out/demo.tape

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: recording needs root (BPF); run 'sudo make demo'." >&2
	exit 1
fi

step "bpftape record -o $tape -- sh -c '<a small workload>'"
"$bpftape" record -o "$tape" -- sh -c '
	for i in $(seq 15); do
		cat /etc/hostname > /dev/null
		ls /nonexistent-$i 2> /dev/null || true
		echo "line $i" > /tmp/bpftape-demo.txt
		sleep 0.1
	done
	rm -f /tmp/bpftape-demo.txt'

step "bpftape replay $tape | head -20"
"$bpftape" replay "$tape" | head -20

step "bpftape info $tape"
"$bpftape" info "$tape"

step "events per type"
"$bpftape" query "$tape" -c "SELECT type, count(*) AS events FROM events GROUP BY type ORDER BY events DESC"

step "failed opens"
"$bpftape" query "$tape" -c "SELECT comm, path, ret FROM open WHERE ret < 0 LIMIT 10"

step "processes the workload started"
"$bpftape" query "$tape" -c "SELECT pid, ppid, comm, replace(argv, char(0), ' ') AS argv FROM processes WHERE exe IS NOT NULL AND ppid IN (SELECT pid FROM processes WHERE comm = 'sh') LIMIT 10"

printf '\nThe tape is %s: try "%s replay --json %s" or "%s query %s".\n' "$tape" "$bpftape" "$tape" "$bpftape" "$tape"
