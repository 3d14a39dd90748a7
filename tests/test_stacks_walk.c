// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g`'s user stack walk (bpf/stack.bpf.h,
 * ustack_walk()): frame pointers that leave the stack (tests/
 * work_stacks_fp points %rbp into the heap) are followed as the kernel's
 * walk follows them, where they are mapped, and the walk ends where a
 * read would fail (an unmapped address, 0) with the frames read so far.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "stacktest.h"

#include <cmocka.h>

#include <bpftape/tape.h>

/* The user frames of the open of @dir/@name: *n, and their addresses. */
static size_t frames_of(struct tape_reader *r, const char *dir, const char *name, uint64_t *addr,
			size_t max)
{
	struct tape_cursor *c = tape_cursor__new(&r, 1, NULL);
	const struct tape_event *ev;
	char want[PATH_MAX];
	size_t got = 0;
	bool found = false;
	int ret;

	assert_non_null(c);
	pathf(want, "%s/%s", dir, name);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		const struct tape_frame *f = NULL;
		size_t n = 0;

		if (!stacktest_open_of(ev, want))
			continue;
		found = true;
		assert_int_not_equal(ev->stack_id, 0);
		assert_int_equal(tape_reader__stack(r, ev->stack_id, &f, &n), 0);
		for (size_t i = 0; i < n; i++) {
			if (f[i].kernel)
				continue;
			if (got < max)
				addr[got] = f[i].binary ? 0 : f[i].address;
			got++;
		}
	}
	assert_int_equal(ret, 0);
	tape_cursor__free(c);
	assert_true(found);
	return got;
}

static void test_heap_frames(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], err[256];
	struct tape_reader *r;
	uint64_t addr[8];
	size_t n;

	(void)state;
	pathf(bin, "%s/work_stacks_fp", helpers);
	pathf(tape, "%s/fp.tape", tmpdir);
	{
		char *argv[] = {bpftape, "record", "-g", "-e",	 "open", "-o",
				tape,	 "--",	   bin,	 tmpdir, NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	/* the open's own frame (in work_stacks_fp, named), then the heap's */
	n = frames_of(r, tmpdir, "heap1", addr, 8);
	printf("# heap1: %zu user frames\n", n);
	assert_int_equal(n, 2);
	assert_int_equal(addr[1], 0x1234);
	n = frames_of(r, tmpdir, "heap2", addr, 8);
	printf("# heap2: %zu user frames\n", n);
	assert_int_equal(n, 3);
	assert_int_equal(addr[1], 0x1234);
	assert_int_equal(addr[2], 0x5678);
	tape_reader__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_frames),
	};
	int rc = stacktest_setup("test_stacks_walk");

#if !defined(__x86_64__)
	printf("test_stacks_walk: skipped: the workload sets %%rbp for x86-64 only\n");
	return 77;
#endif
	if (rc)
		return rc;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc)
		stacktest_cleanup("test_stacks_walk");
	return rc;
}
