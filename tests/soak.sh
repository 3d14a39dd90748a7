#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Soak (`make soak`): SOAK_SECONDS (default 600) of a busy mixed workload --
# processes, files, TCP over 127.0.0.1 -- recorded with -e all (SOAK_EVENTS;
# syscall and sched events make it some 0.4 MB/s here, so the tapes turn
# over within two minutes) and --rotate 20M --keep 4.
# Prints the recorder's RSS (sampled every 10 s from /proc/PID/status), its
# summary line, where and when every drop happened (`bpftape info` of each
# kept tape), and `bpftape info --verify` of every kept tape.
#
# Fails if a kept tape does not verify, if the recorder fails, or if its
# memory grows: the highest RSS of the second half of the run may not
# exceed the highest of the first half by more than SOAK_RSS_SLACK_KB
# (default 4096; the first half includes the ring buffer's warm-up).
#
# Env: BPFTAPE (default build/bpftape), SOAK_BUFFER (--buffer), HELPERS (default build/tests, where
# work_files and work_connect are), SOAK_SECONDS, SOAK_DIR (default a new
# directory under /tmp, removed on success).  Needs root.

set -u

BPFTAPE=${BPFTAPE:-build/bpftape}
HELPERS=${HELPERS:-build/tests}
SECS=${SOAK_SECONDS:-600}
SLACK=${SOAK_RSS_SLACK_KB:-4096}
EVENTS=${SOAK_EVENTS:-all}
BUFFER=${SOAK_BUFFER:-16M} # a small ring (64K) shows drops and their records

if [ "$(id -u)" != 0 ]; then
	echo "soak: needs root to load BPF programs (run: sudo make soak)" >&2
	exit 77
fi
for f in "$BPFTAPE" "$HELPERS/work_files" "$HELPERS/work_connect"; do
	if [ ! -x "$f" ]; then
		echo "soak: $f is not executable: build it first (make soak builds all)" >&2
		exit 1
	fi
done
case $SECS in
'' | *[!0-9]*)
	echo "soak: SOAK_SECONDS='$SECS': expected a number of seconds" >&2
	exit 2
	;;
esac

DIR=${SOAK_DIR:-$(mktemp -d /tmp/bpftape-soak-XXXXXX)}
mkdir -p "$DIR/files" || exit 1
TAPE=$DIR/soak.tape
ERR=$DIR/record.err

# The workload: four loops until the deadline, then it exits and the
# recording ends with it.
cat >"$DIR/workload.sh" <<EOF
#!/bin/bash
end=\$((SECONDS + $SECS))
procs() {
	while [ \$SECONDS -lt \$end ]; do
		/bin/true
		/bin/sh -c 'echo soak >/dev/null; exit 3'
	done
}
files() {
	while [ \$SECONDS -lt \$end ]; do
		"$HELPERS/work_files" "$DIR/files" 500 >/dev/null
	done
}
# unique names: strings that do not compress to nothing, so that the
# rotation turns over within a few minutes
names() {
	local i=0
	mkdir -p "$DIR/names"
	while [ \$SECONDS -lt \$end ]; do
		i=\$((i + 1))
		echo \$i >"$DIR/names/n\$i-\$RANDOM\$RANDOM"
		if [ \$((i % 200)) -eq 0 ]; then
			rm -f "$DIR/names/"n*
		fi
	done
}
sockets() {
	while [ \$SECONDS -lt \$end ]; do
		"$HELPERS/work_connect" >/dev/null
	done
}
procs & files & names & sockets &
wait
EOF
chmod 755 "$DIR/workload.sh"

echo "soak: ${SECS} s of processes, files and 127.0.0.1 sockets into $TAPE (--rotate 20M --keep 4)"
# its own process group: whatever happens, the workload can be killed with it
setsid "$BPFTAPE" record -e "$EVENTS" --buffer "$BUFFER" --rotate 20M --keep 4 -o "$TAPE" --user root \
	-- "$DIR/workload.sh" 2>"$ERR" &
REC=$!
trap 'kill -KILL -- -$REC 2>/dev/null; exit 130' INT TERM

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

samples=()
start=$SECONDS
next=$((start + 10))
while kill -0 "$REC" 2>/dev/null; do
	if [ $SECONDS -ge $next ]; then
		r=$(rss_kb "$REC")
		[ -n "$r" ] && samples+=("$((SECONDS - start)):$r")
		next=$((next + 10))
	fi
	sleep 1
	# a recorder that outlives its workload by a minute is stuck
	if [ $((SECONDS - start)) -gt $((SECS + 60)) ]; then
		echo "soak: FAIL: the recorder is still running $((SECS + 60)) s in; killing it" >&2
		kill -KILL -- -"$REC"
	fi
done
wait "$REC"
rc=$?
kill -KILL -- -"$REC" 2>/dev/null # leftovers of the workload, if any

fail=0
echo
echo "== recorder"
cat "$ERR"
if [ $rc -ne 0 ]; then
	echo "soak: FAIL: bpftape record exited with status $rc" >&2
	fail=1
fi

echo
echo "== recorder RSS, sampled every 10 s (seconds:kB)"
echo "${samples[*]:-none}"
if [ ${#samples[@]} -ge 2 ]; then
	n=${#samples[@]}
	half=$((n / 2))
	min=; max=0; max1=0; max2=0
	for i in "${!samples[@]}"; do
		v=${samples[$i]#*:}
		[ -z "$min" ] || [ "$v" -lt "$min" ] && min=$v
		[ "$v" -gt "$max" ] && max=$v
		if [ "$i" -lt "$half" ]; then
			[ "$v" -gt "$max1" ] && max1=$v
		else
			[ "$v" -gt "$max2" ] && max2=$v
		fi
	done
	echo "RSS min ${min} kB, max ${max} kB; highest in the first half ${max1} kB, in the second ${max2} kB"
	if [ $((max2 - max1)) -gt "$SLACK" ]; then
		echo "soak: FAIL: the recorder's RSS grew by $((max2 - max1)) kB (> $SLACK kB)" >&2
		fail=1
	fi
else
	echo "soak: too short for RSS samples (SOAK_SECONDS >= 20 gives two)"
fi

# drops, as the summary counts them and as the tapes explain them
summary=$(grep '^bpftape record: [0-9]* events' "$ERR" | tail -1)
drops=$(echo "$summary" | sed -n 's/.* events, \([0-9]*\) drops.*/\1/p')
echo
echo "== drops: ${drops:-?} in the summary line; each loss record (cpu, when) of the kept tapes:"
tapes=()
kept_lost=0
for t in "$DIR"/soak.3.tape "$DIR"/soak.2.tape "$DIR"/soak.1.tape "$TAPE"; do
	[ -e "$t" ] && tapes+=("$t")
done
for t in "${tapes[@]}"; do
	echo "-- $(basename "$t")"
	# per CPU: how many, in how many records, from when to when
	"$BPFTAPE" info "$t" | awk '
		/^  (events|duration|size|chunks):/ { print }
		/^  losses:/ { print; inloss = 1; next }
		inloss && / on cpu / {
			n = $1; cpu = $4; a = $6; b = $9
			sub(/^\+/, "", a); sub(/^\+/, "", b)
			if (!(cpu in cnt)) { first[cpu] = a; cpus[++ncpu] = cpu }
			cnt[cpu] += n; recs[cpu]++; if (b + 0 > last[cpu] + 0) last[cpu] = b
			if (shown++ < 3) print
			next
		}
		{ inloss = 0 }
		END {
			if (shown > 3) print "    ... " shown - 3 " more records"
			for (i = 1; i <= ncpu; i++) {
				c = cpus[i]
				printf "    cpu %s: %d lost in %d records, from +%s s to +%s s\n", \
					c, cnt[c], recs[c], first[c], last[c]
			}
		}'
	lost=$("$BPFTAPE" info --json "$t" | sed -n 's/.*"lost":\([0-9]*\).*/\1/p')
	kept_lost=$((kept_lost + ${lost:-0}))
done
if [ ${#tapes[@]} -gt 0 ]; then
	echo "kept tapes hold $kept_lost of the ${drops:-?} drops in loss records (the rest, if any, were in tapes rotated away)"
	if ! grep -q rotated "$ERR" && [ "$kept_lost" != "${drops:-x}" ]; then
		echo "soak: FAIL: the summary counts ${drops:-?} drops, the tape $kept_lost" >&2
		fail=1
	fi
fi

echo
echo "== bpftape info --verify of every kept tape"
for t in "${tapes[@]}"; do
	if out=$("$BPFTAPE" info --verify "$t" 2>&1); then
		echo "$(basename "$t"): clean"
	else
		echo "$out" | grep -iv '^    ' | tail -5
		echo "soak: FAIL: $t does not verify" >&2
		fail=1
	fi
done
if [ ${#tapes[@]} -eq 0 ]; then
	echo "soak: FAIL: no tape written" >&2
	fail=1
fi

left=$(pgrep -g "$REC" 2>/dev/null | wc -l)
if [ "$left" -ne 0 ]; then
	echo "soak: FAIL: $left processes of the recording are still running" >&2
	fail=1
fi

if [ $fail -eq 0 ]; then
	echo
	echo "soak: PASS"
	[ -z "${SOAK_DIR:-}" ] && rm -rf "$DIR"
else
	echo "soak: tapes and logs kept in $DIR" >&2
fi
exit $fail
