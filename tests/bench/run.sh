#!/usr/bin/env bash
# Run every benchmark binary and print its figures.  BENCH_QUICK=1 asks the
# benchmarks that support it for a shorter run.  Environment for the
# benchmarks: BPFTAPE (the bpftape binary), OUTPUT (the build directory).
set -u
rc=0
for b in "$@"; do
	echo "=== $(basename "$b")"
	"$b"
	r=$?
	if [ "$r" -eq 77 ]; then
		echo "(skipped)"
	elif [ "$r" -ne 0 ]; then
		echo "$(basename "$b") failed with status $r"
		rc=1
	fi
done
exit $rc
