# SPDX-License-Identifier: MIT
#
# Shared by the script tests (sourced, after their skip checks): a scratch
# directory $tmp removed on exit, cmocka-style result lines, and the
# closing summary.
#   run NAME CMD...   one test: CMD's output is shown (its first
#                     $RUN_LOG_LINES lines, default 20) only when it fails
#   summary           the totals; exits 1 if a test failed, else 0
# A script that judges its tests itself adds to $passed and $failed.

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=()

run() {
	local name=$1
	shift
	echo "[ RUN      ] $name"
	if "$@" >"$tmp/log" 2>&1; then
		echo "[       OK ] $name"
		passed=$((passed + 1))
	else
		sed 's/^/    /' "$tmp/log" | head -"${RUN_LOG_LINES:-20}"
		echo "[  FAILED  ] $name"
		failed+=("$name")
	fi
}

summary() {
	local f

	echo "[==========] $((passed + ${#failed[@]})) test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	if [ ${#failed[@]} -gt 0 ]; then
		echo "[  FAILED  ] ${#failed[@]} test(s), listed below:"
		for f in "${failed[@]}"; do
			echo "[  FAILED  ] $f"
		done
		exit 1
	fi
	exit 0
}
