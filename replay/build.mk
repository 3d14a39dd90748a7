# replay/: the bpftape command and its offline verbs.
REPLAY_SRCS += replay/main.c
REPLAY_SRCS += replay/replay.c replay/filter.c replay/info.c replay/recover.c replay/export.c replay/perfetto.c \
	replay/predicate.c replay/expr.c replay/proctab.c replay/output.c replay/tapes.c \
	replay/redact.c replay/siphash.c replay/cli.c
TEST_HELPERS += tests/gen_golden.c
UNIT_TESTS += tests/test_expr.c tests/test_replay.c tests/test_redact.c
FUZZERS += tests/fuzz/fuzz_expr.c tests/fuzz/fuzz_replay.c tests/fuzz/fuzz_filter.c
BENCHES += tests/bench/bench_replay.c
