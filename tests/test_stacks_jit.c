// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g` through JIT'd code (tests/work_stacks_jit): a
 * frame in an anonymous executable mapping is named from the process's
 * /tmp/perf-PID.map, read while recording, so the name is in the tape
 * after the map file is gone; without a map file the frame is unknown,
 * never another function's name.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "stacktest.h"

#include <cmocka.h>

#include <bpftape/tape.h>

#define OPENS 3

struct jit_seen {
	uint64_t opens, through; /* marker opens; with the expected C frames */
	uint64_t named;		 /* ... and jit_tramp between them */
	uint64_t unknown;	 /* ... and an unknown frame there */
	char binary[PATH_MAX];	 /* the JIT frame's binary */
	uint64_t offset;
};

static void scan(const char *tape, const char *marker, struct jit_seen *s)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(tape, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	int ret;

	if (!r)
		fail_msg("%s: %s", tape, err);
	memset(s, 0, sizeof(*s));
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		const struct tape_frame *f = NULL;
		size_t n = 0;

		if (!stacktest_open_of(ev, marker))
			continue;
		s->opens++;
		if (!ev->stack_id || tape_reader__stack(r, ev->stack_id, &f, &n) || n < 3)
			continue;
		/* jit_callee, the trampoline, jit_outer: innermost first */
		if (f[0].kernel || !f[0].symbol || strcmp(f[0].symbol, "jit_callee") ||
		    !f[2].symbol || strcmp(f[2].symbol, "jit_outer"))
			continue;
		s->through++;
		if (!f[1].symbol) {
			s->unknown++;
		} else if (!strcmp(f[1].symbol, "jit_tramp")) {
			s->named++;
			snprintf(s->binary, sizeof(s->binary), "%s",
				 f[1].binary ? f[1].binary : "");
			s->offset = f[1].offset;
		} else {
			fail_msg("the JIT frame is named %s", f[1].symbol);
		}
	}
	assert_int_equal(ret, 0);
	tape_cursor__free(c);
	tape_reader__free(r);
}

/* Record the workload in @mode; its pid. */
static int record(const char *tape, const char *marker, const char *mode)
{
	char bin[PATH_MAX], out[PATH_MAX], n[16];
	char *argv[] = {bpftape, "record", "-g", "-e",		 "open",       "-o", (char *)tape,
			"--",	 bin,	   n,	 (char *)marker, (char *)mode, NULL};
	FILE *f;
	int pid = 0;

	pathf(bin, "%s/work_stacks_jit", helpers);
	pathf(out, "%s/%s.out", tmpdir, mode);
	snprintf(n, sizeof(n), "%d", OPENS);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(run(argv, out), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	return pid;
}

static void test_jit_named(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX], map[64], cmd[4 * PATH_MAX], out[PATH_MAX];
	struct jit_seen s;
	int pid;

	(void)state;
	pathf(tape, "%s/jit.tape", tmpdir);
	pathf(marker, "%s/marker-jit", tmpdir);
	pid = record(tape, marker, "map");
	/* the map file and the process are gone: the name is in the tape */
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", pid);
	assert_int_equal(unlink(map), 0);
	scan(tape, marker, &s);
	assert_int_equal(s.opens, OPENS);
	assert_int_equal(s.through, OPENS);
	assert_int_equal(s.named, OPENS);
	assert_string_equal(s.binary, map);
	/* a return address: right after the call, 12 bytes in */
	assert_int_equal(s.offset, 12);
	/* replay prints it perf-script style */
	pathf(out, "%s/jit.replay", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s replay %s > %s", bpftape, tape, out);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q ' jit_tramp+0xc (%s)$' %s", map, out);
	assert_int_equal(system(cmd), 0);
}

static void test_jit_without_map(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX];
	struct jit_seen s;

	(void)state;
	pathf(tape, "%s/nojit.tape", tmpdir);
	pathf(marker, "%s/marker-nojit", tmpdir);
	record(tape, marker, "nomap");
	scan(tape, marker, &s);
	assert_int_equal(s.opens, OPENS);
	assert_int_equal(s.through, OPENS);
	assert_int_equal(s.named, 0);
	assert_int_equal(s.unknown, OPENS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jit_named),
		cmocka_unit_test(test_jit_without_map),
	};
	int ret;

#if !defined(__x86_64__)
	printf("test_stacks_jit: skipped: the workload's trampoline is x86-64 code\n");
	return 77;
#endif
	ret = stacktest_setup("test_stacks_jit");
	if (ret)
		return ret;
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		stacktest_cleanup("test_stacks_jit");
	return ret;
}
