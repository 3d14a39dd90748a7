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

# ---- the header tiers (docs/HACKING.md) on every include line ----
SCRIPT_TESTS += tests/test_includes.sh

# ---- the package (issue 13): make install into a DESTDIR, libtape's
# exports, pkg-config, the man page, the bash completion, make uninstall ----
SCRIPT_TESTS += tests/test_install.sh
# it installs what `make` builds
unit-tests: $(OUTPUT)/bpftape_sqlite.so $(LIBTAPE_SO) $(LIBTAPE) $(OUTPUT)/bpftape.1

# ---- record/'s decoding, sink and host metadata, without root or BPF (issue
# 13): each test links just the record/ objects it needs, compiled apart from
# the recorder's own (which wait for the BPF skeletons), so neither libbpf
# nor clang's BPF target is needed
RECORD_UNIT_TESTS := tests/test_builtin.c tests/test_sink.c tests/test_host.c
UNIT_TESTS += $(RECORD_UNIT_TESTS)
$(OUTPUT)/tests/rec/%.o: record/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@
$(OUTPUT)/tests/rec/builtin.o: $(OUTPUT)/syscall_names.h
$(OUTPUT)/tests/test_builtin: $(OUTPUT)/tests/rec/builtin.o $(OUTPUT)/tests/rec/container.o
$(OUTPUT)/tests/test_sink: $(OUTPUT)/tests/rec/sink.o
$(OUTPUT)/tests/test_host: $(OUTPUT)/tests/rec/host.o
$(patsubst tests/%.c,$(OUTPUT)/tests/%,$(RECORD_UNIT_TESTS)): $(OUTPUT)/tests/%: tests/%.c $(LIBTAPE)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< $(filter %.o,$^) $(LIBTAPE) \
		-lcmocka $(FORMAT_LIBS)

# ---- a test file per replay/ module (issue 13): each calls its module's own
# functions (test_replay.c runs the verbs end to end)
UNIT_TESTS += tests/test_siphash.c tests/test_cli.c tests/test_predicate.c \
	tests/test_tapes.c tests/test_output.c tests/test_info.c \
	tests/test_recover.c tests/test_filter.c tests/test_perfetto.c \
	tests/test_export.c tests/test_filter_stacks.c tests/test_filter_bins.c
# export's folded stacks and Chrome stackFrames on real record -g tapes (root)
ROOT_TESTS += tests/test_export_stacks_root.c

# ---- record -g (issue 12): a process that exec'd on one CPU and made its
# event on another; code named by a /tmp/perf-PID.map (JIT) ----
ROOT_TESTS += tests/test_stacks_mig.c
TEST_HELPERS += tests/work_stacks_mig.c
$(OUTPUT)/tests/work_stacks_mig: ALL_CFLAGS += -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-shrink-wrap -O1
ROOT_TESTS += tests/test_stacks_jit.c
UNIT_TESTS += tests/test_perfmap.c
FUZZERS += tests/fuzz/fuzz_perfmap.c
$(OUTPUT)/tests/test_perfmap: tests/test_perfmap.c record/perfmap.c record/strpool.c $(LIBTAPE)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< record/perfmap.c record/strpool.c \
		$(LIBTAPE) \
		-lcmocka $(FORMAT_LIBS)
# the string pool and clock perfmap.c and stackres.c share
UNIT_TESTS += tests/test_strpool.c
$(OUTPUT)/tests/test_strpool: tests/test_strpool.c record/strpool.c $(LIBTAPE)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< record/strpool.c $(LIBTAPE) \
		-lcmocka $(FORMAT_LIBS)
TEST_HELPERS += tests/work_stacks_jit.c
$(OUTPUT)/tests/work_stacks_jit: ALL_CFLAGS += -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-shrink-wrap -O1
# ---- record -g --stack-copy (issue 12): the callers of libc's frameless
# open() wrapper, recovered by its CFI at record time ----
ROOT_TESTS += tests/test_stacks_unwind.c
TEST_HELPERS += tests/work_unwind.c
# frame pointers in the workload's own code, whatever the build's flags
$(OUTPUT)/tests/work_unwind: ALL_CFLAGS += -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-shrink-wrap -O1

# ---- stacks in SQL (issue 12): stack_id and frames through query, import
# and the extension, on tapes written in-process ----
UNIT_TESTS += tests/test_query_stacks.c
$(OUTPUT)/tests/test_query_stacks: $(OUTPUT)/bpftape_sqlite.so

# ---- stacks (issue 12): record -g beside perf record -g in one run,
# kernel frames of tcp_state and of a tracepoint, binaries deleted or gone
ROOT_TESTS += tests/test_stacks_live.c
# stacks sent by reference (issue 12): one chain's frames once per CPU,
# and nothing referred to that a full ring lost
ROOT_TESTS += tests/test_stacks_ref.c
# the user stack walk where frame pointers leave the stack (x86-64)
ROOT_TESTS += tests/test_stacks_walk.c
TEST_HELPERS += tests/work_stacks_fp.c
$(OUTPUT)/tests/work_stacks_fp: ALL_CFLAGS += -fno-omit-frame-pointer
# a corrupt binary block in an otherwise good tape, through replay
UNIT_TESTS += tests/test_stacks_bad.c
