#!/usr/bin/env bash
# Run each libFuzzer target for a bounded time over its seed corpus
# (tests/fuzz/corpus/<target>/), in a scratch copy so the checked-in corpus
# only changes by hand.  Crashes are written to build/fuzz/crash-<target>-*.
set -eu
secs=$1
shift
rc=0
for f in "$@"; do
	name=$(basename "$f")
	seeds=tests/fuzz/corpus/$name
	work=$(dirname "$f")/corpus-$name
	mkdir -p "$work"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
	echo "  FUZZ     $name for ${secs}s"
	if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$(dirname "$f")/crash-$name-" "$work" 2>"$(dirname "$f")/$name.log"; then
		tail -50 "$(dirname "$f")/$name.log"
		rc=1
	else
		grep -E 'stat::number_of_executed_units|Done' "$(dirname "$f")/$name.log" | tail -2
	fi
done
exit $rc
