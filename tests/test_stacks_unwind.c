// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g --stack-copy`: tests/work_unwind opens a file
 * through libc's open() from four nested functions of its own (frame
 * pointers).  Debian's libc has none, and its open() keeps the path in
 * %rbp: a frame-pointer walk from the syscall names the wrapper and then
 * nothing of the program.  With a copy of the stack, the recorder unwinds
 * the wrapper by its CFI and the program's functions follow, in order;
 * with a copy too short for that, the stack says where it is not proven
 * (a gap frame) and names nothing it did not prove.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <cmocka.h>

#include "stacktest.h"

#include <bpftape/tape.h>

/*
 * Record `-g -e open` of the workload opening a marker file 3 times, with
 * --stack-copy @copy unless NULL, into @tape; the marker in @marker.
 * @mode: NULL (libc's open()) or "syscall" (libc's syscall()).
 */
static void record(const char *tag, const char *copy, const char *mode, char *tape, char *marker)
{
	char bin[PATH_MAX];
	char *argv[20];
	int n = 0;

	pathf(bin, "%s/work_unwind", helpers);
	pathf(tape, "%s/%s.tape", tmpdir, tag);
	pathf(marker, "%s/marker-%s", tmpdir, tag);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	argv[n++] = bpftape;
	argv[n++] = "record";
	argv[n++] = "-g";
	argv[n++] = "-e";
	argv[n++] = "open";
	if (copy) {
		argv[n++] = "--stack-copy";
		argv[n++] = (char *)copy;
	}
	argv[n++] = "-o";
	argv[n++] = tape;
	argv[n++] = "--";
	argv[n++] = bin;
	argv[n++] = "3";
	argv[n++] = marker;
	argv[n++] = "1";
	if (mode)
		argv[n++] = (char *)mode;
	argv[n] = NULL;
	assert_int_equal(run(argv, NULL), 0);
}

/* The one stack id of the marker's 3 opens in @r. */
static uint32_t marker_stack(struct tape_reader *r, const char *marker)
{
	struct tape_cursor *c = tape_cursor__new(&r, 1, NULL);
	const struct tape_event *ev;
	uint32_t id = 0;
	int opens = 0;

	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {

		if (!stacktest_open_of(ev, marker))
			continue;
		opens++;
		assert_true(ev->stack_id != 0);
		if (!id)
			id = ev->stack_id;
		/* the same stack each time: unwound frames dedupe too */
		assert_int_equal(ev->stack_id, id);
	}
	tape_cursor__free(c);
	assert_int_equal(opens, 3);
	return id;
}

static void print_frames(const struct tape_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_message("  #%zu %s%s+0x%llx (%s)%s\n", i, f[i].kernel ? "[k] " : "",
			      f[i].symbol ? f[i].symbol : "[unknown]",
			      (unsigned long long)f[i].offset, f[i].binary ? f[i].binary : "?",
			      f[i].gap ? " [gap]" : "");
}

/* Frame @f is libc's open wrapper, whichever alias names it. */
static bool is_libc_open(const struct tape_frame *f)
{
	return !f->kernel && !f->gap && f->binary && strstr(f->binary, "/libc.so") && f->symbol &&
	       strstr(f->symbol, "open");
}

static int find_symbol(const struct tape_frame *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].symbol && !strcmp(f[i].symbol, name))
			return (int)i;
	return -1;
}

/* With a copy: the wrapper, then the program's four and main, in order. */
static void test_copy_recovers_callers(void **state)
{
	static const char *const want[] = {"unw_level4", "unw_level3", "unw_level2", "unw_level1",
					   "main"};
	char tape[PATH_MAX], marker[PATH_MAX], err[256], bin[PATH_MAX];
	const struct tape_frame *f;
	struct tape_reader *r;
	size_t n;

	(void)state;
	record("copy", "1024", NULL, tape, marker);
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	assert_int_equal(tape_reader__stack(r, marker_stack(r, marker), &f, &n), 0);
	print_frames(f, n);
	pathf(bin, "%s/work_unwind", helpers);
	assert_true(n >= 6);
	if (!is_libc_open(&f[0]))
		fail_msg("frame 0 is not libc's open(): %s",
			 f[0].symbol ? f[0].symbol : "[unknown]");
	for (size_t i = 0; i < 5; i++) {
		if (!f[i + 1].symbol || strcmp(f[i + 1].symbol, want[i]))
			fail_msg("frame %zu: %s, not %s", i + 1,
				 f[i + 1].symbol ? f[i + 1].symbol : "[unknown]", want[i]);
		assert_non_null(f[i + 1].binary);
		assert_string_equal(f[i + 1].binary, bin);
		assert_false(f[i + 1].gap);
	}
	/* proven all the way: no gap anywhere */
	for (size_t i = 0; i < n; i++)
		assert_false(f[i].gap);
	tape_reader__free(r);
}

/* Without a copy, the frame-pointer walk alone: the wrapper, and its
 * caller is lost (why the copy is needed). */
static void test_without_copy_caller_lost(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX], err[256];
	const struct tape_frame *f;
	struct tape_reader *r;
	size_t n;
	int at;

	(void)state;
	record("nocopy", NULL, NULL, tape, marker);
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	assert_int_equal(tape_reader__stack(r, marker_stack(r, marker), &f, &n), 0);
	print_frames(f, n);
	assert_true(n >= 1);
	assert_true(is_libc_open(&f[0]));
	at = find_symbol(f, n, "unw_level4");
	tape_reader__free(r);
	if (at >= 0) {
		/* a libc built with frame pointers (Fedora, Ubuntu) needs no copy */
		print_message("test_stacks_unwind: skipped the no-copy half: this libc's open() "
			      "keeps a frame record, so frame pointers alone find its caller\n");
		skip();
	}
}

/* The user frames of the marker's opens in a recording. */
static void frames_of(const char *tag, const char *copy, const char *mode, char names[][64],
		      size_t *n, bool *gap)
{
	char tape[PATH_MAX], marker[PATH_MAX], err[256];
	const struct tape_frame *f;
	struct tape_reader *r;

	record(tag, copy, mode, tape, marker);
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	assert_int_equal(tape_reader__stack(r, marker_stack(r, marker), &f, n), 0);
	print_frames(f, *n);
	*gap = false;
	for (size_t i = 0; i < *n && i < 16; i++) {
		snprintf(names[i], 64, "%s", f[i].symbol ? f[i].symbol : "");
		*gap |= f[i].gap;
	}
	tape_reader__free(r);
}

/*
 * libc's syscall() leaves %rbp alone, so the frame-pointer walk from it
 * loses only its caller and the rest of its chain is sound.  A copy that
 * holds just the first frames is enough: once the CFI reaches a return
 * address the walk has, the walk's frames are taken from there, all the
 * way to main (the copy alone would end in a gap two frames up).
 */
static void test_splice_fp_chain(void **state)
{
	static const char *const want[] = {"syscall",	 "unw_level4", "unw_level3",
					   "unw_level2", "unw_level1", "main"};
	char names[16][64];
	size_t n;
	bool gap;

	(void)state;
	frames_of("fp", NULL, "syscall", names, &n, &gap);
	assert_true(n >= 5);
	assert_string_equal(names[0], "syscall");
	/* the walk alone: the caller is lost, its callers are not */
	assert_string_equal(names[1], "unw_level3");
	assert_false(gap);
	/* 64 bytes: syscall()'s return address, unw_level4's frame record,
	 * unw_level3's; not unw_level2's */
	frames_of("splice", "64", "syscall", names, &n, &gap);
	assert_true(n >= 6);
	for (size_t i = 0; i < 6; i++)
		if (strcmp(names[i], want[i]))
			fail_msg("frame %zu: %s, not %s", i, *names[i] ? names[i] : "[unknown]",
				 want[i]);
	assert_false(gap);
}

/* A copy too short for the wrapper's frame: a gap right after it, and
 * nothing named that was not proven; replay says so. */
static void test_short_copy_gap(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX], err[256], out[PATH_MAX], line[1024];
	const struct tape_frame *f;
	struct tape_reader *r;
	bool printed = false;
	size_t n;
	FILE *fp;

	(void)state;
	/* the wrapper's return address is 0x78 bytes above its sp at the
	 * syscall: 16 bytes do not reach it */
	record("short", "16", NULL, tape, marker);
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	assert_int_equal(tape_reader__stack(r, marker_stack(r, marker), &f, &n), 0);
	print_frames(f, n);
	assert_true(n >= 2);
	assert_true(is_libc_open(&f[0]));
	assert_true(f[1].gap);
	assert_null(f[1].symbol);
	assert_null(f[1].binary);
	/* the caller was not proven: not named */
	assert_int_equal(find_symbol(f, n, "unw_level4"), -1);
	tape_reader__free(r);
	pathf(out, "%s/short.out", tmpdir);
	{
		char *argv[] = {bpftape, "replay", tape, NULL};

		assert_int_equal(run(argv, out), 0);
	}
	fp = fopen(out, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		printed |= line[0] == '\t' && strstr(line, "[gap: callers below not proven]");
	fclose(fp);
	assert_true(printed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_recovers_callers),
		cmocka_unit_test(test_without_copy_caller_lost),
		cmocka_unit_test(test_short_copy_gap),
		cmocka_unit_test(test_splice_fp_chain),
	};
	int ret = stacktest_setup("test_stacks_unwind");

	if (ret)
		return ret;
#if !defined(__x86_64__)
	printf("test_stacks_unwind: skipped: the unwinder is written for x86-64\n");
	return 77;
#endif
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		stacktest_cleanup("test_stacks_unwind");
	return ret;
}
