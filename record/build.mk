# record/ and bpf/: the recorder.  Not part of `make tools`.
RECORD_SRCS += record/record.c record/options.c record/session.c record/builtin.c record/host.c \
	record/ringrd.c \
	record/preflight.c \
	record/sink.c record/families.c record/container.c
# stacks (-g): capture, kernel symbols, user address resolution, dedup
RECORD_SRCS += record/stack.c record/ksyms.c record/stackres.c record/perfmap.c record/strpool.c
UNIT_TESTS += tests/test_ksyms.c
ROOT_TESTS += tests/test_stacks.c
TEST_HELPERS += tests/work_stacks.c
BPF_SRCS += bpf/proc.bpf.c bpf/file.bpf.c bpf/net.bpf.c bpf/syscall.bpf.c bpf/sched.bpf.c bpf/maps.bpf.c
RECORD_SRCS += record/generic.c record/probespec.c record/list_events.c # probes engineer
# executable mappings per process (issue 12): record/maps.c, the mapping
# block it feeds (format/mapping.c), their unit test and the root test
RECORD_SRCS += record/maps.c record/maps_rec.c
UNIT_TESTS += tests/test_maps.c
ROOT_TESTS += tests/test_maps_root.c
TEST_HELPERS += tests/work_dlopen.c
$(OUTPUT)/tests/libwork_dso.so: tests/work_dso.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -shared -o $@ $<
root-tests: $(OUTPUT)/tests/libwork_dso.so
BPF_SRCS += bpf/generic.bpf.c # probes engineer

# Syscall names of the build machine, for the `syscall` enum in the schema.
$(OUTPUT)/syscall_names.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\2 \1/p' | sort -n | \
		awk '{ printf "\t{ %s, \"%s\" },\n", $$1, $$2 }' > $@
$(OUTPUT)/obj/record/builtin.o: $(OUTPUT)/syscall_names.h
# BPF objects also depend on the shared headers they include.
$(BPF_OBJS): bpf/sys.bpf.h bpf/common.bpf.h bpf/events.h bpf/stack.bpf.h

# Root/BPF integration tests, the workloads they record, the openat storm.
ROOT_TESTS += tests/test_record.c
# containers recorded for real: podman, runc and busybox-static (issue 14)
ROOT_TESTS += tests/test_containers.c
TEST_HELPERS += tests/work_files.c tests/work_exec.c tests/work_connect.c
BENCHES += tests/bench/bench_record.c
# bench_record's floor is a minimal recorder of its own (tests/bench/floor.bpf.c):
# so it links libbpf and a skeleton, not by the pattern rule for benchmarks.
$(OUTPUT)/bench/floor.bpf.o: tests/bench/floor.bpf.c bpf/events.h $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp
$(OUTPUT)/bench_floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bench_floor_bpf > $@
$(OUTPUT)/bench/bench_record: tests/bench/bench_record.c $(OUTPUT)/bench_floor.skel.h
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(RECORD_LIBS)

# generic probes (probes engineer): parser unit test and fuzzer, the root
# test and the uprobe/USDT workloads it records.
UNIT_TESTS += tests/test_probespec.c
FUZZERS += tests/fuzz/fuzz_probespec.c
ROOT_TESTS += tests/test_probes.c
TEST_HELPERS += tests/work_uprobe.c tests/work_usdt.c
BENCHES += tests/bench/bench_probes.c
# Every BPF program verifies within a bound, the kprobe ones included (they
# never attach on a kernel without kprobes): a root test built with libbpf
# and the skeletons, so not by the pattern rule for tests.
ROOT_TESTS += tests/test_bpf_verify.c
$(OUTPUT)/tests/test_bpf_verify: tests/test_bpf_verify.c $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lcmocka $(RECORD_LIBS)

# `make soak`: ten minutes (SOAK_SECONDS) of a busy workload recorded with
# rotation; RSS, drops and every kept tape's --verify.  Root; not in check.
.PHONY: soak
soak: all $(OUTPUT)/tests/work_files $(OUTPUT)/tests/work_connect
	BPFTAPE=$(OUTPUT)/bpftape HELPERS=$(OUTPUT)/tests tests/soak.sh

# record's options from its command line, without root or BPF (issue 13):
# the parser and the event names it checks -e against, built from source
# (the recorder's objects wait for the BPF skeletons)
UNIT_TESTS += tests/test_record_opts.c
RECORD_OPTS_SRCS := record/options.c record/builtin.c record/container.c
$(OUTPUT)/tests/test_record_opts: tests/test_record_opts.c $(RECORD_OPTS_SRCS) \
		$(OUTPUT)/syscall_names.h $(LIBTAPE) $(CLI_OBJS) $(REPLAY_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< $(RECORD_OPTS_SRCS) \
		$(filter-out %/main.o,$(CLI_OBJS) $(REPLAY_OBJS)) $(LIBTAPE) -lcmocka $(TOOLS_LIBS)

# Symbols of ELF binaries (libelf, liblzma for MiniDebugInfo) and CFI
# unwinding of frameless frames (libdw), for stacks (issue 12).
RECORD_SRCS += record/elfsym.c
RECORD_LIBS += -llzma
ELFSYM_LIBS := -lelf -llzma
# Unit tests, no root: built with the record sources they test and their
# libraries, so not by the pattern rule for tests.
UNIT_TESTS += tests/test_elfsym.c
$(OUTPUT)/tests/test_elfsym: tests/test_elfsym.c record/elfsym.c tests/symtest.h $(LIBTAPE) \
		| $(OUTPUT)/tests/work_labels
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< record/elfsym.c $(LIBTAPE) -lcmocka \
		$(ELFSYM_LIBS) -ldl
# untyped labels (hand-written assembly's _start), for test_elfsym
$(OUTPUT)/tests/work_labels: tests/work_labels.S | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -nostdlib -static -Wl,--build-id -o $@ $<
RECORD_SRCS += record/unwind.c
RECORD_LIBS += -ldw
UNIT_TESTS += tests/test_unwind.c
# frame pointers everywhere in it: the test walks its own frame chain
$(OUTPUT)/tests/test_unwind: tests/test_unwind.c record/elfsym.c record/unwind.c tests/symtest.h \
		$(LIBTAPE) | $(OUTPUT)/tests/libwork_dbgframe.so
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fno-omit-frame-pointer -fno-optimize-sibling-calls $(ALL_LDFLAGS) \
		-o $@ $< record/elfsym.c record/unwind.c $(LIBTAPE) -lcmocka $(ELFSYM_LIBS) -ldw \
		-lpthread -ldl

# CFI in .debug_frame only, for test_unwind
$(OUTPUT)/tests/libwork_dbgframe.so: tests/work_dbgframe.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fPIC -shared -nostdlib -fno-asynchronous-unwind-tables -fno-unwind-tables \
		-o $@ $<

# the stacks workload walks by frame pointers, whatever the build's flags
$(OUTPUT)/tests/work_stacks: ALL_CFLAGS += -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-shrink-wrap -O1

# bpftape symbolize (issue 12): debug files found after recording, by
# build-id in directories or through debuginfod (libdebuginfod, dlopen'd)
RECORD_SRCS += record/symbolize.c
ROOT_TESTS += tests/test_symbolize.c
UNIT_TESTS += tests/test_symbolize_unit.c
$(OUTPUT)/tests/test_symbolize_unit: tests/test_symbolize_unit.c record/symbolize.c record/elfsym.c \
		$(LIBTAPE) $(CLI_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< record/symbolize.c record/elfsym.c \
		$(filter-out %/main.o,$(CLI_OBJS)) $(LIBTAPE) -lcmocka $(ELFSYM_LIBS) $(TOOLS_LIBS) -ldl
