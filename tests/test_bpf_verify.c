// SPDX-License-Identifier: MIT
/*
 * Every BPF program of every family passes the verifier, with wide
 * headroom.  bpftape loads only the programs a recording uses, and on a
 * kernel without kprobes the kprobe/kretprobe ones are never loaded by the
 * other tests: this one loads every program of every skeleton (root, BPF)
 * and prints what the verifier processed for each.
 *
 * The bound is a tenth of the kernel's 1M limit.  The count depends on the
 * kernel build's state pruning (one 6.18 build counted 304,449 where the
 * previous one stayed under 250,000 for the same program), so programs are
 * written to keep it small on any build: loops as bpf_loop() callbacks,
 * verified in a pass or two, with offsets the verifier cannot enumerate.
 *
 * Which code is verified depends on the rodata a recording sets: the
 * verifier drops the branches a constant rules out.  So every skeleton is
 * loaded three ways: as built (no stacks, the defaults), and with every
 * event, filter and stack kind on (the largest frames: the file family's
 * program with the mappings, exec and socket syscalls, under 512 bytes of
 * stack with the mappings' callbacks on top), with stacks by frame
 * pointers and with a stack copy.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "file.skel.h"
#include "generic.skel.h"
#include "maps.skel.h"
#include "net.skel.h"
#include "proc.skel.h"
#include "sched.skel.h"
#include "syscall.skel.h"

#define MAX_VERIFIED_INSNS 100000

/* How the rodata is set before loading. */
struct conf {
	const char *name;
	bool all;	     /* every event, filter and stack kind */
	unsigned stack_copy; /* bytes of user stack copied (with all) */
};

static const struct conf as_built = {"as built", false, 0};
static const struct conf all_fp = {"all, -g", true, 0};
static const struct conf all_copy = {"all, -g copy", true, 512};

/* Load every program of @obj; a program the kernel cannot attach to (a
 * tracepoint it lacks) is reported and left out rather than failed. */
static void verify_object(struct bpf_object *obj, const struct conf *c)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, true);
	err = bpf_object__load(obj);
	if (err)
		fail_msg("%s: programs do not load: %s", bpf_object__name(obj), strerror(-err));
	bpf_object__for_each_program(prog, obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len), 0);
		printf("%-12s %-13s %-20s %7u insns verified\n", bpf_object__name(obj), c->name,
		       bpf_program__name(prog), info.verified_insns);
		if (info.verified_insns > MAX_VERIFIED_INSNS)
			fail_msg("%s: %u verified instructions, over %u", bpf_program__name(prog),
				 info.verified_insns, MAX_VERIFIED_INSNS);
	}
}

/* The rodata of @skel for @c; @set_want: the family's `want` (or nothing). */
#define CONFIGURE(skel, c, set_want)                                                               \
	do {                                                                                       \
		if ((c)->all) {                                                                    \
			set_want;                                                                  \
			(skel)->rodata->filter_flags = ~0u;                                        \
			(skel)->rodata->stack_kinds = ~0u;                                         \
			(skel)->rodata->stack_kernel_kinds = ~0u;                                  \
			(skel)->rodata->stack_copy = (c)->stack_copy;                              \
		}                                                                                  \
	} while (0)

#define VERIFY_SKEL(name, set_want)                                                                \
	static void test_##name(void **state)                                                      \
	{                                                                                          \
		const struct conf *c = *state;                                                     \
		struct name##_bpf *skel = name##_bpf__open();                                      \
                                                                                                   \
		assert_non_null(skel);                                                             \
		CONFIGURE(skel, c, set_want);                                                      \
		verify_object(skel->obj, c);                                                       \
		name##_bpf__destroy(skel);                                                         \
	}

VERIFY_SKEL(proc, skel->rodata->want = ~0u)
VERIFY_SKEL(file, skel->rodata->want = ~0u)
VERIFY_SKEL(net, skel->rodata->want = ~0u)
VERIFY_SKEL(syscall, skel->rodata->want = ~0u)
VERIFY_SKEL(sched, skel->rodata->want = ~0u)
VERIFY_SKEL(generic, (void)0)
VERIFY_SKEL(maps, (void)0)

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* the verifier's log, when a program fails, is the useful part */
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

int main(void)
{
#define EACH_CONF(t)                                                                               \
	cmocka_unit_test_prestate(t, (void *)&as_built),                                           \
		cmocka_unit_test_prestate(t, (void *)&all_fp),                                     \
		cmocka_unit_test_prestate(t, (void *)&all_copy)
	const struct CMUnitTest tests[] = {
		EACH_CONF(test_proc),	 EACH_CONF(test_file),	EACH_CONF(test_net),
		EACH_CONF(test_syscall), EACH_CONF(test_sched), EACH_CONF(test_generic),
		EACH_CONF(test_maps),
	};

	if (geteuid()) {
		printf("test_bpf_verify: needs root (loads BPF programs)\n");
		return 77;
	}
	libbpf_set_print(quiet);
	return cmocka_run_group_tests_name("bpf_verify", tests, NULL, NULL);
}
