// SPDX-License-Identifier: MIT
/*
 * Every generic probe program passes the verifier, with headroom.  bpftape
 * loads only the programs its probes use, and on a kernel without kprobes
 * the kprobe/kretprobe ones are never loaded by the other tests: this one
 * loads all six from the skeleton (root, BPF) and reports what the
 * verifier processed for each.
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

#include "generic.skel.h"

/* A quarter of the kernel's 1M limit: room for other compilers and kernels. */
#define MAX_VERIFIED_INSNS 250000

static void test_all_programs_verify(void **state)
{
	struct generic_bpf *skel = generic_bpf__open();
	struct bpf_program *prog;
	int err;

	(void)state;
	assert_non_null(skel);
	bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, true);
	err = generic_bpf__load(skel);
	if (err)
		fail_msg("generic programs do not load: %s", strerror(-err));
	bpf_object__for_each_program(prog, skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len), 0);
		printf("%-20s %7u insns verified\n", bpf_program__name(prog), info.verified_insns);
		assert_true(info.verified_insns < MAX_VERIFIED_INSNS);
	}
	generic_bpf__destroy(skel);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* the verifier's log, when a program fails, is the useful part */
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_programs_verify),
	};

	if (geteuid()) {
		printf("test_generic_bpf: needs root (loads BPF programs)\n");
		return 77;
	}
	libbpf_set_print(quiet);
	return cmocka_run_group_tests_name("generic_bpf", tests, NULL, NULL);
}
