# replay/: the offline verbs.
REPLAY_SRCS += replay/replay.c replay/filter.c replay/info.c replay/recover.c replay/export.c \
	replay/perfetto.c replay/predicate.c replay/expr.c replay/output.c replay/tapes.c \
	replay/redact.c replay/summary.c replay/stackfold.c
TEST_HELPERS += tests/gen_golden.c
UNIT_TESTS += tests/test_expr.c tests/test_replay.c tests/test_redact.c
FUZZERS += tests/fuzz/fuzz_expr.c tests/fuzz/fuzz_replay.c tests/fuzz/fuzz_filter.c
BENCHES += tests/bench/bench_replay.c
# bpftape summary (issue 14): the engine's histogram and bounds, and the
# report's figures on the golden tapes
UNIT_TESTS += tests/test_summary.c
SCRIPT_TESTS += tests/test_summary.sh
# ...and on a real recording (root)
ROOT_TESTS += tests/test_summary_root.c
# the engines of filter, replay and export called without argv (issue 13)
UNIT_TESTS += tests/test_engine.c
