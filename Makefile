# SPDX-License-Identifier: MIT
#
# bpftape build.  Everything is built out of tree into $(OUTPUT).
#
#   make            everything: bpftape (with the recorder), the SQLite extension
#   make tools      the offline verbs only, without libbpf or clang-BPF
#   make check      deps, build, every test, then the unit tests under ASan+UBSan
#   make demo       deps, build, record a few seconds, replay and query them
#   make bench      benchmarks under tests/bench/, printing their figures
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make deps       install the missing Debian packages (idempotent)
#   make format     clang-format every C file in place
#   make install    bpftape, libtape (.so, .a, header, libtape.pc), the SQLite
#                   extension, the man page and bash completion under
#                   $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
#   V=1             show full commands

OUTPUT ?= build
VERSION := 0.1.0

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
.PHONY: all tools check demo bench fuzz deps format clean unit-tests root-tests \
	sanitize lint

WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers -Wshadow -Wstrict-prototypes
BASE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -DBPFTAPE_VERSION='"$(VERSION)"' \
	-Iformat/include -I$(OUTPUT) -fPIC
ifeq ($(SAN),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
endif
CFLAGS ?=
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS = $(SAN_LDFLAGS) $(LDFLAGS)

FORMAT_LIBS := -lzstd
TOOLS_LIBS := $(FORMAT_LIBS) -lsqlite3 -lcurl -lm -lpthread
RECORD_LIBS := -lbpf -lelf -lz

# Each module lists its sources in its own fragment.
FORMAT_SRCS :=
CLI_SRCS :=
REPLAY_SRCS :=
QUERY_SRCS :=
RECORD_SRCS :=
BPF_SRCS :=
UNIT_TESTS :=
ROOT_TESTS :=
TEST_HELPERS :=
SCRIPT_TESTS :=
BENCH_SCRIPTS :=
BENCHES :=
FUZZERS :=
# before the modules: their rules name it as a prerequisite (expanded at once)
LIBTAPE := $(OUTPUT)/libtape.a
# The shared library's version is libtape's own (TAPE_LIB_VERSION_* in
# format/include/bpftape/tape.h), not the file format's; MAJOR is in the soname.
tape_lib_version = $(shell sed -n 's/^\#define TAPE_LIB_VERSION_$(1) *//p' format/include/bpftape/tape.h)
LIBTAPE_MAJOR := $(call tape_lib_version,MAJOR)
LIBTAPE_VERSION := $(LIBTAPE_MAJOR).$(call tape_lib_version,MINOR).$(call tape_lib_version,PATCH)
LIBTAPE_SONAME := libtape.so.$(LIBTAPE_MAJOR)
LIBTAPE_SO := $(OUTPUT)/libtape.so.$(LIBTAPE_VERSION)
include format/build.mk
include cli/build.mk
include replay/build.mk
include query/build.mk
include record/build.mk
include tests/build.mk
include examples/build.mk

obj = $(patsubst %.c,$(OUTPUT)/obj/%.o,$(1))

FORMAT_OBJS := $(call obj,$(FORMAT_SRCS))
CLI_OBJS := $(call obj,$(CLI_SRCS))
REPLAY_OBJS := $(call obj,$(REPLAY_SRCS))
QUERY_OBJS := $(call obj,$(QUERY_SRCS))
RECORD_OBJS := $(call obj,$(RECORD_SRCS))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

all: $(OUTPUT)/bpftape $(OUTPUT)/bpftape_sqlite.so $(LIBTAPE_SO) $(OUTPUT)/bpftape.1

# The offline build lives in its own tree so that it never links libbpf.
tools:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/tools NO_RECORD=1 $(OUTPUT)/tools/bpftape

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/obj/%.o: %.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBTAPE): $(FORMAT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# libtape exports only what format/include/bpftape/tape.h declares (it pushes default
# visibility); internal helpers are hidden in the .so and carry the tape__
# prefix in the .a, so a program's own crc32c or buf_free never meets them.
$(FORMAT_OBJS): ALL_CFLAGS += -fvisibility=hidden

$(LIBTAPE_SO): $(FORMAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(LIBTAPE_SONAME) -Wl,-z,defs -o $@ \
		$^ $(FORMAT_LIBS)
	$(Q)ln -sf $(notdir $@) $(OUTPUT)/$(LIBTAPE_SONAME)
	$(Q)ln -sf $(LIBTAPE_SONAME) $(OUTPUT)/libtape.so

# A verb is in the table once its module has sources.
ifneq ($(REPLAY_SRCS),)
BASE_CFLAGS += -DBPFTAPE_HAVE_REPLAY=1
endif
ifneq ($(QUERY_SRCS),)
BASE_CFLAGS += -DBPFTAPE_HAVE_QUERY=1
endif
ifneq ($(or $(filter 1,$(NO_RECORD)),$(if $(RECORD_SRCS),,none)),)
BPFTAPE_OBJS := $(CLI_OBJS) $(REPLAY_OBJS) $(QUERY_OBJS)
BPFTAPE_LIBS := $(TOOLS_LIBS)
else
BPFTAPE_OBJS := $(CLI_OBJS) $(REPLAY_OBJS) $(QUERY_OBJS) $(RECORD_OBJS)
BPFTAPE_LIBS := $(TOOLS_LIBS) $(RECORD_LIBS)
BASE_CFLAGS += -DBPFTAPE_HAVE_RECORD=1
endif

# The verb table depends on which modules list sources (BPFTAPE_HAVE_*).
$(OUTPUT)/obj/cli/main.o: format/build.mk cli/build.mk replay/build.mk query/build.mk \
	record/build.mk

$(OUTPUT)/bpftape: $(BPFTAPE_OBJS) $(LIBTAPE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(BPFTAPE_OBJS) $(LIBTAPE) $(BPFTAPE_LIBS)

# ---- BPF -------------------------------------------------------------------

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) \
	-I/usr/include/$(shell uname -m)-linux-gnu -Wall -Werror

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(OUTPUT)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# Recorder objects include the skeletons.
$(RECORD_OBJS): $(SKELS)

# ---- tests -----------------------------------------------------------------

TEST_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(UNIT_TESTS))
ROOT_TEST_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(ROOT_TESTS))
HELPER_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(TEST_HELPERS))
BENCH_BINS := $(patsubst tests/bench/%.c,$(OUTPUT)/bench/%,$(BENCHES))

$(OUTPUT)/tests/%: tests/%.c $(LIBTAPE) $(CLI_OBJS) $(REPLAY_OBJS) $(QUERY_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< \
		$(filter-out %/main.o,$(CLI_OBJS) $(REPLAY_OBJS) $(QUERY_OBJS)) $(LIBTAPE) -lcmocka $(TOOLS_LIBS)

$(OUTPUT)/bench/%: tests/bench/%.c $(LIBTAPE) $(CLI_OBJS) $(REPLAY_OBJS) $(QUERY_OBJS)
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< \
		$(filter-out %/main.o,$(CLI_OBJS) $(REPLAY_OBJS) $(QUERY_OBJS)) $(LIBTAPE) $(TOOLS_LIBS)

unit-tests: $(TEST_BINS) $(HELPER_BINS)
	$(Q)OUTPUT=$(OUTPUT) tests/run-tests.sh $(TEST_BINS) $(SCRIPT_TESTS)

root-tests: all $(ROOT_TEST_BINS) $(HELPER_BINS)
	$(Q)BPFTAPE=$(abspath $(OUTPUT)/bpftape) tests/run-tests.sh $(ROOT_TEST_BINS)

sanitize:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/san SAN=1 NO_RECORD=1 unit-tests

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory tools
	$(Q)tests/check-tools-link.sh $(OUTPUT)/tools/bpftape
	$(Q)$(MAKE) --no-print-directory unit-tests root-tests
	$(Q)$(MAKE) --no-print-directory sanitize

bench: all $(BENCH_BINS)
	$(Q)BPFTAPE=$(abspath $(OUTPUT)/bpftape) OUTPUT=$(abspath $(OUTPUT)) tests/bench/run.sh $(BENCH_BINS) \
		$(BENCH_SCRIPTS)

demo: deps all
	$(Q)BPFTAPE=$(abspath $(OUTPUT)/bpftape) OUTPUT=$(abspath $(OUTPUT)) tests/demo.sh

# ---- fuzzing (clang libFuzzer) ----------------------------------------------

FUZZ_SECONDS ?= 60
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZERS))
FUZZ_CFLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -Iformat/include \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(FORMAT_SRCS) $(filter-out cli/main.c,$(CLI_SRCS)) $(REPLAY_SRCS) $(QUERY_SRCS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FORMAT_SRCS) \
		$(filter-out cli/main.c,$(CLI_SRCS)) $(REPLAY_SRCS) $(QUERY_SRCS) $(TOOLS_LIBS)

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- housekeeping ----------------------------------------------------------

DEB_PACKAGES := build-essential clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev \
	libzstd-dev libsqlite3-dev sqlite3 libcmocka-dev libclang-rt-14-dev \
	systemtap-sdt-dev python3 zstd linux-perf pkg-config groff-base man-db \
	podman runc busybox-static protobuf-compiler liblzma-dev libdw-dev xz-utils \
	libcurl4-openssl-dev clickhouse-server clickhouse-client libdebuginfod-dev debuginfod

deps:
	$(Q)tests/install-deps.sh $(DEB_PACKAGES)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	$(Q)rm -rf $(OUTPUT)

# make install / uninstall, the man page and the pkg-config file
include dist/build.mk

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
