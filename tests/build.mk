# tests/: cmocka unit tests (no root), root/BPF tests, workload helpers,
# benchmarks and fuzz targets.
UNIT_TESTS += tests/test_format.c
# the output file rule (format/outfile.c)
UNIT_TESTS += tests/test_outfile.c
# the one renderer, and every output's round trip of awkward bytes
UNIT_TESTS += tests/test_render.c
ROOT_TESTS +=
TEST_HELPERS +=
BENCHES += tests/bench/bench_format.c
FUZZERS += tests/fuzz/fuzz_reader.c

# ---- independent Python reader vs libtape (tests/test_format_py.sh) ----
TEST_HELPERS += tests/tape_dump.c
SCRIPT_TESTS += tests/test_format_py.sh

# ---- hardening (issue 6): fuzz finds replayed, offline verbs under valgrind ----
UNIT_TESTS += tests/test_fuzz_regress.c
SCRIPT_TESTS += tests/test_valgrind.sh

# ---- the command line: help, usage errors, exit codes (tests/test_cli.sh) ----
SCRIPT_TESTS += tests/test_cli.sh
# it runs the bpftape this build makes
unit-tests: $(OUTPUT)/bpftape

# ---- the package (issue 13): make install into a DESTDIR, libtape's
# exports, pkg-config, the man page, the bash completion, make uninstall ----
SCRIPT_TESTS += tests/test_install.sh
# it installs what `make` builds
unit-tests: $(OUTPUT)/bpftape_sqlite.so $(LIBTAPE_SO) $(LIBTAPE) $(OUTPUT)/bpftape.1
