// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g` for a process that exec'd on one CPU and made
 * its event on another, then exited (tests/work_stacks_mig): the mapping
 * records are in one CPU's ring, the stack in another's, read first.  The
 * recorder must still name the frames (it reads the other rings' records
 * up to the stack's time when a frame resolves to nothing), every time.
 */
#include <sched.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "stacktest.h"

#include <cmocka.h>

#include <bpftape/tape.h>

#define CHILDREN 100

static void test_migrated(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], marker[PATH_MAX], err[256];
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	uint64_t opens = 0, named = 0, wrong = 0;
	int ret;

	(void)state;
	pathf(bin, "%s/work_stacks_mig", helpers);
	pathf(tape, "%s/mig.tape", tmpdir);
	pathf(marker, "%s/marker-mig", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char n[16];
		char *argv[] = {bpftape, "record", "-g", "-e", "open", "-o",
				tape,	 "--",	   bin,	 n,    marker, NULL};

		snprintf(n, sizeof(n), "%d", CHILDREN);
		assert_int_equal(run(argv, NULL), 0);
	}
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		const struct tape_frame *f = NULL;
		size_t n = 0;

		if (!stacktest_open_of(ev, marker))
			continue;
		opens++;
		if (!ev->stack_id || tape_reader__stack(r, ev->stack_id, &f, &n) || n < 2)
			continue;
		if (!f[0].symbol && !f[1].symbol)
			continue; /* unknown: what the race left */
		if (f[0].symbol && f[1].symbol && !strcmp(f[0].symbol, "mig_level2") &&
		    !strcmp(f[1].symbol, "mig_level1"))
			named++;
		else
			wrong++;
	}
	assert_int_equal(ret, 0);
	tape_cursor__free(c);
	tape_reader__free(r);
	printf("# %llu opens, %llu named, %llu wrong\n", (unsigned long long)opens,
	       (unsigned long long)named, (unsigned long long)wrong);
	assert_int_equal(opens, CHILDREN);
	assert_int_equal(wrong, 0);
	/* the mapping records were in the ring before the stack: no timing
	 * can leave a frame unknown */
	assert_int_equal(named, CHILDREN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrated),
	};
	cpu_set_t set;
	int ret = stacktest_setup("test_stacks_mig");

	if (ret)
		return ret;
#if !defined(__x86_64__)
	printf("test_stacks_mig: skipped: the workload's raw syscall is written for x86-64\n");
	return 77;
#endif
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) || !CPU_ISSET(0, &set) || !CPU_ISSET(1, &set)) {
		printf("test_stacks_mig: skipped: needs CPUs 0 and 1\n");
		return 77;
	}
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		stacktest_cleanup("test_stacks_mig");
	return ret;
}
