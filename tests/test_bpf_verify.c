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

/* Load every program of @obj; a program the kernel cannot attach to (a
 * tracepoint it lacks) is reported and left out rather than failed. */
static void verify_object(struct bpf_object *obj)
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
		printf("%-12s %-20s %7u insns verified\n", bpf_object__name(obj),
		       bpf_program__name(prog), info.verified_insns);
		if (info.verified_insns > MAX_VERIFIED_INSNS)
			fail_msg("%s: %u verified instructions, over %u", bpf_program__name(prog),
				 info.verified_insns, MAX_VERIFIED_INSNS);
	}
}

#define VERIFY_SKEL(name)                                                                          \
	static void test_##name(void **state)                                                      \
	{                                                                                          \
		struct name##_bpf *skel = name##_bpf__open();                                      \
                                                                                                   \
		(void)state;                                                                       \
		assert_non_null(skel);                                                             \
		verify_object(skel->obj);                                                          \
		name##_bpf__destroy(skel);                                                         \
	}

VERIFY_SKEL(proc)
VERIFY_SKEL(file)
VERIFY_SKEL(net)
VERIFY_SKEL(syscall)
VERIFY_SKEL(sched)
VERIFY_SKEL(generic)
VERIFY_SKEL(maps)

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* the verifier's log, when a program fails, is the useful part */
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc),  cmocka_unit_test(test_file),
		cmocka_unit_test(test_net),   cmocka_unit_test(test_syscall),
		cmocka_unit_test(test_sched), cmocka_unit_test(test_generic),
		cmocka_unit_test(test_maps),
	};

	if (geteuid()) {
		printf("test_bpf_verify: needs root (loads BPF programs)\n");
		return 77;
	}
	libbpf_set_print(quiet);
	return cmocka_run_group_tests_name("bpf_verify", tests, NULL, NULL);
}
