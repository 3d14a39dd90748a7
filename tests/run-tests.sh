#!/usr/bin/env bash
# Run test binaries, print each one's output, and close with one summary
# line: "N passed, N failed, N skipped" counted over the test binaries'
# cmocka results.  A binary exits 77 to say it skipped as a whole (no BPF,
# not root) after printing why.
set -u
passed=0 failed=0 skipped=0 bad=()
for t in "$@"; do
	out=$(mktemp)
	"$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
		rm -f "$out"
		continue
	fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	s=$(grep -c '^\[  SKIPPED \]' "$out")
	passed=$((passed + p))
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		[ "$f" -eq 0 ] && f=1
		failed=$((failed + f))
		bad+=("$t")
	fi
	rm -f "$out"
done
[ ${#bad[@]} -gt 0 ] && echo "failing: ${bad[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
