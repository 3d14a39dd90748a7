// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g`: tests/work_stacks opens a file from five
 * nested functions of its own (frame pointers, the syscall instruction in
 * the innermost), and the recorded user frames must be exactly those
 * functions, innermost first, at file offsets in the binary, read after
 * the binary is gone.  Kernel frames of an event taken deep in the kernel
 * (exit, sched_switch) must name the functions that led there; events
 * taken at syscall exit carry no kernel frames.  10000 identical opens are
 * one stack record.  --stacks limits the types that take stacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <cmocka.h>

#include "stacktest.h"

#include <bpftape/tape.h>

/* Copy the workload into tmpdir (deleted after recording). */
static void stage_workload(char *path)
{
	char cmd[3 * PATH_MAX];

	pathf(path, "%s/work_stacks", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp %s/work_stacks %s", helpers, path);
	assert_int_equal(system(cmd), 0);
}

/* Entry offsets of stk_level1..5 as the workload printed them. */
static void read_entries(const char *out, uint64_t entry[6])
{
	FILE *f = fopen(out, "r");
	char name[32];
	unsigned long long off;
	int level = 0;

	assert_non_null(f);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(fscanf(f, "%31s 0x%llx", name, &off), 2);
		assert_int_equal(sscanf(name, "stk_level%d", &level), 1);
		assert_true(level >= 1 && level <= 5);
		entry[level] = off;
	}
	fclose(f);
}

struct seen {
	uint64_t opens, with_stack, exits, exit_stacks, switches, switch_stacks;
	uint32_t open_stack; /* the stack id of the marker opens (all the same) */
	bool open_kernel;    /* a marker open had a kernel frame */
	bool same;	     /* every marker open had open_stack */
	bool exit_named, switch_named;
	size_t nstacks;
};

static bool has_symbol(const struct tape_frame *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].kernel && f[i].symbol && !strcmp(f[i].symbol, name))
			return true;
	return false;
}

static void scan(const char *tape, const char *marker, uint32_t pid_hint, struct seen *s)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(tape, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	int ret;

	(void)pid_hint;
	if (!r)
		fail_msg("%s: %s", tape, err);
	memset(s, 0, sizeof(*s));
	s->same = true;
	s->nstacks = tape_reader__stack_count(r);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		const struct tape_frame *f = NULL;
		size_t n = 0;
		const void *p;
		uint32_t len;

		if (ev->stack_id)
			assert_int_equal(tape_reader__stack(r, ev->stack_id, &f, &n), 0);
		if (!strcmp(ev->tp->name, "open")) {
			if (tape_event__bytes_by_name(ev, "path", &p, &len) ||
			    len != strlen(marker) || memcmp(p, marker, len))
				continue;
			s->opens++;
			if (!ev->stack_id) {
				s->same = false;
				continue;
			}
			s->with_stack++;
			if (!s->open_stack)
				s->open_stack = ev->stack_id;
			if (ev->stack_id != s->open_stack)
				s->same = false;
			for (size_t i = 0; i < n; i++)
				s->open_kernel |= f[i].kernel;
		} else if (!strcmp(ev->tp->name, "exit") && !strcmp(ev->comm, "work_stacks")) {
			s->exits++;
			s->exit_stacks += ev->stack_id != 0;
			s->exit_named |= has_symbol(f, n, "do_exit");
		} else if (!strcmp(ev->tp->name, "sched_switch") &&
			   !strcmp(ev->comm, "work_stacks")) {
			s->switches++;
			s->switch_stacks += ev->stack_id != 0;
			s->switch_named |=
				has_symbol(f, n, "__schedule") || has_symbol(f, n, "schedule");
		}
	}
	assert_int_equal(ret, 0);
	tape_cursor__free(c);
	tape_reader__free(r);
}

/* The marker opens' stack: exactly stk_level5 .. stk_level1, innermost
 * first, each frame inside its function in the workload binary. */
static void check_user_frames(const char *tape, uint32_t id, const char *bin,
			      const uint64_t entry[6])
{
	char err[256];
	struct tape_reader *r = tape_reader__open(tape, err, sizeof(err));
	const struct tape_frame *f;
	char want[32];
	size_t n;

	assert_non_null(r);
	assert_int_equal(tape_reader__stack(r, id, &f, &n), 0);
	assert_true(n >= 6); /* the five, main, and libc's start */
	for (int i = 0; i < 5; i++) {
		int level = 5 - i;
		uint64_t lo = entry[level], hi = level > 1 ? entry[level - 1] : entry[1] + 0x100;

		assert_false(f[i].kernel);
		assert_non_null(f[i].binary);
		assert_string_equal(f[i].binary, bin);
		/* one id space: the mapping blocks' ids name the binary */
		assert_true(f[i].binary_id > 0);
		assert_non_null(tape_reader__binary_by_id(r, f[i].binary_id));
		assert_string_equal(tape_reader__binary_by_id(r, f[i].binary_id)->path, bin);
		/* named from the tape's own copy of the symbols */
		snprintf(want, sizeof(want), "stk_level%d", level);
		if (!f[i].symbol || strcmp(f[i].symbol, want))
			fail_msg("frame %d: %s, not %s", i, f[i].symbol ? f[i].symbol : "[unknown]",
				 want);
		assert_true(f[i].offset > 0);
		assert_non_null(f[i].build_id_hex);
		if (f[i].address <= lo || f[i].address > hi)
			fail_msg("frame %d: offset 0x%llx is not in stk_level%d [0x%llx, 0x%llx]",
				 i, (unsigned long long)f[i].address, level, (unsigned long long)lo,
				 (unsigned long long)hi);
	}
	tape_reader__free(r);
}

static void test_user_frames(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], marker[PATH_MAX];
	uint64_t entry[6] = {0};
	struct seen s;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/user.tape", tmpdir);
	pathf(out, "%s/user.out", tmpdir);
	pathf(marker, "%s/marker-user", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "-g", "-e", "open,exit,sched_switch",
				"-o",	 tape,	   "--", bin,  "3",
				marker,	 "1",	   NULL};

		assert_int_equal(run(argv, out), 0);
	}
	read_entries(out, entry);
	/* read without the binary: the tape carries what it needs */
	assert_int_equal(unlink(bin), 0);
	scan(tape, marker, 0, &s);
	assert_int_equal(s.opens, 3);
	assert_int_equal(s.with_stack, 3);
	assert_true(s.same);
	/* taken at syscall exit: no kernel frames (docs/RECORDING.md) */
	assert_false(s.open_kernel);
	check_user_frames(tape, s.open_stack, bin, entry);
	/* deep in the kernel: the functions that led there */
	assert_int_equal(s.exits, 1);
	assert_int_equal(s.exit_stacks, 1);
	assert_true(s.exit_named);
	assert_true(s.switches > 0);
	assert_true(s.switch_stacks > 0);
	assert_true(s.switch_named);
}

/* filter keeps the stacks its events use, and only those. */
static void test_filter_keeps(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], marker[PATH_MAX];
	struct seen s, t;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/filter-in.tape", tmpdir);
	pathf(out, "%s/filter-out.tape", tmpdir);
	pathf(marker, "%s/marker-filter", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "-g", "-e",	 "open,exit", "-o", tape,
				"--",	 bin,	   "3",	 marker, "1",	      NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	unlink(bin);
	{
		char *argv[] = {bpftape, "filter", "-q", "--type", "exit", "-o", out, tape, NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	scan(tape, marker, 0, &s);
	scan(out, marker, 0, &t);
	assert_true(s.nstacks > 2);
	assert_int_equal(t.opens, 0);
	assert_int_equal(t.exits, 1);
	assert_int_equal(t.exit_stacks, 1);
	assert_true(t.exit_named);
	assert_int_equal(t.nstacks, 1);
}

/* 10000 identical opens: one stack record, every event refers to it. */
static void test_dedup(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], marker[PATH_MAX];
	struct seen s;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/dedup.tape", tmpdir);
	pathf(marker, "%s/marker-dedup", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "-g",    "-e",   "open", "-o", tape,
				"--",	 bin,	   "10000", marker, "1",    NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	scan(tape, marker, 0, &s);
	assert_int_equal(s.opens, 10000);
	assert_int_equal(s.with_stack, 10000);
	assert_true(s.same);
	/* the marker's stack, and those of the loader's opens: a handful */
	assert_true(s.nstacks >= 1 && s.nstacks < 20);
	unlink(bin);
}

/* --stacks exit: the opens take none, the exit does. */
static void test_stacks_limit(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], marker[PATH_MAX];
	struct seen s;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/limit.tape", tmpdir);
	pathf(marker, "%s/marker-limit", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "--stacks", "exit", "-e",   "open,exit", "-o",
				tape,	 "--",	   bin,	       "3",    marker, "0",	    NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	scan(tape, marker, 0, &s);
	assert_int_equal(s.opens, 3);
	assert_int_equal(s.with_stack, 0);
	assert_int_equal(s.exit_stacks, 1);
	assert_true(s.exit_named);
	{
		/* a generic probe by its type name: its events take stacks, the
		 * built-in opens do not */
		char *argv[] = {
			bpftape, "record", "--stacks", "sys_enter_openat",
			"-e",	 "open",   "-e",       "tracepoint:syscalls:sys_enter_openat",
			"-o",	 tape,	   "--",       bin,
			"3",	 marker,   "0",	       NULL};
		struct tape_reader *r;
		struct tape_cursor *c;
		const struct tape_event *ev;
		char err[256];
		int generic = 0, generic_stacks = 0, kernel_named = 0;

		stage_workload(bin);
		assert_int_equal(run(argv, NULL), 0);
		scan(tape, marker, 0, &s);
		assert_int_equal(s.opens, 3);
		assert_int_equal(s.with_stack, 0);
		r = tape_reader__open(tape, err, sizeof(err));
		assert_non_null(r);
		c = tape_cursor__new(&r, 1, NULL);
		while (tape_cursor__next(c, &ev) > 0) {
			const struct tape_frame *f;
			size_t n;

			if (strcmp(ev->tp->name, "sys_enter_openat") ||
			    strcmp(ev->comm, "work_stacks"))
				continue;
			generic++;
			if (!ev->stack_id)
				continue;
			generic_stacks++;
			assert_int_equal(tape_reader__stack(r, ev->stack_id, &f, &n), 0);
			/* a tracepoint fires inside the kernel: its frames are kept */
			kernel_named += has_symbol(f, n, "do_syscall_64");
		}
		tape_cursor__free(c);
		tape_reader__free(r);
		assert_true(generic >= 3);
		assert_int_equal(generic_stacks, generic);
		assert_int_equal(kernel_named, generic);
	}
	{
		/* a type the recording does not have is refused, named */
		char *argv[] = {bpftape, "record", "--stacks", "sched_switch", "-e",
				"open",	 "-o",	   tape,       "--",	       bin,
				"1",	 marker,   NULL};

		assert_int_equal(run(argv, NULL), 2);
	}
	unlink(bin);
}

/* --stack-depth 3: the three innermost frames of each stack, no more. */
static void test_depth(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], marker[PATH_MAX], err[256];
	struct tape_reader *r;
	const struct tape_frame *f;
	struct seen s;
	size_t n;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/depth.tape", tmpdir);
	pathf(marker, "%s/marker-depth", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "--stack-depth",
				"3",	 "-e",	   "open,exit",
				"-o",	 tape,	   "--",
				bin,	 "2",	   marker,
				"1",	 NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	unlink(bin);
	scan(tape, marker, 0, &s);
	assert_int_equal(s.with_stack, 2);
	assert_true(s.exit_named);
	r = tape_reader__open(tape, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__stack(r, s.open_stack, &f, &n), 0);
	assert_int_equal(n, 3);
	/* every stack of the tape: at most 3 kernel and 3 user frames */
	for (uint32_t id = 1; id <= tape_reader__stack_count(r); id++) {
		size_t nk = 0, nu = 0;

		assert_int_equal(tape_reader__stack(r, id, &f, &n), 0);
		for (size_t i = 0; i < n; i++)
			f[i].kernel ? nk++ : nu++;
		assert_true(nk <= 3 && nu <= 3);
	}
	tape_reader__free(r);
}

/* Without -g a tape has no stacks at all. */
static void test_no_stacks(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], marker[PATH_MAX];
	struct seen s;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/none.tape", tmpdir);
	pathf(marker, "%s/marker-none", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "-e", "open,exit", "-o", tape,
				"--",	 bin,	   "3",	 marker,      "0",  NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	scan(tape, marker, 0, &s);
	assert_int_equal(s.opens, 3);
	assert_int_equal(s.with_stack, 0);
	assert_int_equal(s.exit_stacks, 0);
	assert_int_equal(s.nstacks, 0);
	unlink(bin);
}

/* replay prints the frames under the event, perf script's way. */
static void test_replay_frames(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], marker[PATH_MAX], line[1024];
	bool user = false, kernel = false, json = false;
	int level = 0;
	FILE *f;

	(void)state;
	stage_workload(bin);
	pathf(tape, "%s/replay.tape", tmpdir);
	pathf(out, "%s/replay.out", tmpdir);
	pathf(marker, "%s/marker-replay", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		/* LINGER 1, not 0: a process that exits at once resolves only if
		 * its exec's mapping record is consumed before its stack, and
		 * the two may sit in different CPUs' rings */
		char *argv[] = {bpftape, "record", "-g", "-e",	 "open,exit", "-o", tape,
				"--",	 bin,	   "1",	 marker, "1",	      NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	unlink(bin);
	{
		char *argv[] = {bpftape, "replay", tape, NULL};

		assert_int_equal(run(argv, out), 0);
	}
	f = fopen(out, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char pat[PATH_MAX + 32];

		/* the five in order, innermost first, each line perf's way */
		snprintf(pat, sizeof(pat), " stk_level%d+0x", 5 - level);
		if (level < 5 && line[0] == '\t' && strstr(line, pat)) {
			snprintf(pat, sizeof(pat), " (%s)\n", bin);
			assert_non_null(strstr(line, pat));
			level++;
		} else if (level > 0 && level < 5) {
			fail_msg("after stk_level%d: %s", 6 - level, line);
		}
		if (level == 5)
			user = true;
		if (line[0] == '\t' && strstr(line, " do_exit+0x") &&
		    strstr(line, " ([kernel.kallsyms])\n"))
			kernel = true;
	}
	fclose(f);
	assert_true(user);
	assert_true(kernel);
	{
		char *argv[] = {bpftape, "replay", "--json", tape, NULL};

		assert_int_equal(run(argv, out), 0);
	}
	f = fopen(out, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line,
			   "\"stack\":[{\"kernel\":true,\"address\":0,\"symbol\":\"do_exit\""))
			json = true;
	fclose(f);
	assert_true(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_frames),   cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_stacks_limit),  cmocka_unit_test(test_no_stacks),
		cmocka_unit_test(test_replay_frames), cmocka_unit_test(test_filter_keeps),
		cmocka_unit_test(test_depth),
	};
	int ret = stacktest_setup("test_stacks");

	if (ret)
		return ret;
#if !defined(__x86_64__)
	printf("test_stacks: skipped: the workload's raw syscall is written for x86-64\n");
	return 77;
#endif
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		stacktest_cleanup("test_stacks");
	return ret;
}
