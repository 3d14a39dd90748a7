// SPDX-License-Identifier: MIT
/*
 * bpftape recover (replay/recover.c) on tapes damaged in memory: the golden
 * tape cut inside its last chunk (no index), or with a bad chunk behind an
 * intact index, handed to cmd_recover() as a memfd; the new tape comes back
 * on standard output (-o -), is read in memory and compared with what the
 * report says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit_util.h"
#include "../cli/verbs.h"

static struct golden_mem golden;
static struct tape_chunk_info chunk[3];

static int setup(void **state)
{
	struct tape_reader *r;

	(void)state;
	if (golden_basic_mem(&golden))
		return -1;
	r = tape_reader__open_mem(golden.data, golden.len, NULL, 0);
	if (!r || tape_reader__chunk_count(r) != 3)
		return -1;
	for (size_t i = 0; i < 3; i++)
		tape_reader__chunk(r, i, &chunk[i]);
	tape_reader__free(r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(golden.data);
	return 0;
}

static int golden_fd(size_t len, size_t flip, char *path, size_t pathlen)
{
	char *copy = malloc(len);
	int fd;

	assert_non_null(copy);
	memcpy(copy, golden.data, len);
	if (flip != SIZE_MAX)
		copy[flip] ^= 0x20;
	fd = unit_memfd(copy, len, path, pathlen);
	free(copy);
	return fd;
}

static void must(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in:\n%s", part, text);
}

/* The tape on @r's standard output: a finished tape with a good index. */
static struct tape_reader *output_tape(const struct unit_run *r)
{
	char err[256] = "";
	struct tape_reader *t = tape_reader__open_mem(r->out, r->out_len, err, sizeof(err));

	if (!t)
		fail_msg("the recovered tape does not open: %s", err);
	assert_false(tape_reader__recovered(t));
	assert_true(tape_reader__finished(t));
	assert_int_equal(tape_reader__verify(t, NULL, NULL), 0);
	return t;
}

/* The events of @t from its first one on, as "ts:pid:type" lines. */
static char *events_of(struct tape_reader *t)
{
	struct tape_cursor *c = tape_cursor__new(&t, 1, NULL);
	const struct tape_event *ev;
	char *buf = calloc(1, 4096);
	size_t used = 0;

	assert_non_null(c);
	while (tape_cursor__next(c, &ev) == 1)
		used += (size_t)snprintf(buf + used, 4096 - used, "%llu:%u:%u\n",
					 (unsigned long long)ev->ts, ev->pid, ev->type);
	tape_cursor__free(c);
	return buf;
}

/* Run recover -o - on @path: the new tape on its standard output. */
static struct unit_run recover(const char *path)
{
	return UNIT_RUN(cmd_recover, "recover", "-q", "-o", "-", path);
}

static void test_truncated(void **state)
{
	char p[64], want[256];
	size_t cut = chunk[2].offset + chunk[2].block_len / 2;
	int fd = golden_fd(cut, SIZE_MAX, p, sizeof(p));
	struct unit_run r = recover(p);
	struct tape_reader *t, *full;
	char *got, *all;

	(void)state;
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof(want),
		 "-: kept 6 block(s) with 12 event(s); lost 1 bad block(s), %zu byte(s) of input\n"
		 "  index rebuilt: the input had no valid index or footer; - has a new one\n"
		 "  block 6 (event chunk) at offset %llu: truncated",
		 cut - (size_t)chunk[2].offset, (unsigned long long)chunk[2].offset);
	assert_memory_equal(r.err, want, strlen(want));
	assert_int_equal(unit_count_lines(r.err), 3);

	t = output_tape(&r);
	assert_int_equal(tape_reader__event_count(t), 12);
	assert_int_equal(tape_reader__chunk_count(t), 2);
	/* what the head held travels: metadata, schema, snapshot, the loss */
	assert_string_equal(tape_reader__meta(t, "host.name"), GOLDEN_HOST);
	assert_int_equal(tape_reader__meta_count(t), 7);
	assert_non_null(tape_reader__type_by_name(t, "syscall"));
	assert_int_equal(tape_reader__proc_count(t), 3);
	assert_int_equal(tape_reader__loss_count(t), 1);
	assert_int_equal(tape_reader__loss(t, 0)->count, 1234);
	/* the events kept are the first 12 of the intact tape (and the loss
	 * among them), unchanged */
	full = unit_open_mem(&golden);
	got = events_of(t);
	all = events_of(full);
	assert_int_equal(unit_count_lines(got), 12 + 1);
	assert_memory_equal(got, all, strlen(got));
	free(got);
	free(all);
	tape_reader__free(full);
	tape_reader__free(t);
	unit_run_free(&r);
	close(fd);
}

/* A bad chunk behind an intact index: skipped, and the report says how
 * many of the events the index lists are gone. */
static void test_bad_chunk(void **state)
{
	char p[64], want[128];
	int fd = golden_fd(golden.len, chunk[1].offset + chunk[1].block_len - 5, p, sizeof(p));
	struct unit_run r = recover(p);
	struct tape_reader *t;

	(void)state;
	assert_int_equal(r.rc, 0);
	must(r.err, "-: kept 6 block(s) with ");
	snprintf(want, sizeof(want), "  %u of the 18 events its index lists are gone\n",
		 chunk[1].count);
	must(r.err, want);
	snprintf(want, sizeof(want), "at offset %llu", (unsigned long long)chunk[1].offset);
	must(r.err, want);
	assert_null(strstr(r.err, "index rebuilt"));
	t = output_tape(&r);
	assert_int_equal(tape_reader__event_count(t), 18 - chunk[1].count);
	tape_reader__free(t);
	unit_run_free(&r);
	close(fd);
}

/* An intact tape: the same events in a new tape, nothing lost. */
static void test_intact(void **state)
{
	char p[64], want[64];
	int fd = golden_fd(golden.len, SIZE_MAX, p, sizeof(p));
	struct unit_run r = recover(p);
	struct tape_reader *t, *full;
	char *a, *b;

	(void)state;
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof(want), "-: kept 7 block(s) with 18 event(s); nothing lost\n");
	assert_string_equal(r.err, want);
	t = output_tape(&r);
	full = unit_open_mem(&golden);
	a = events_of(t);
	b = events_of(full);
	assert_string_equal(a, b);
	free(a);
	free(b);
	tape_reader__free(full);
	tape_reader__free(t);
	unit_run_free(&r);
	close(fd);
}

static void test_errors(void **state)
{
	char p[64], g[64];
	int fd = golden_fd(golden.len, SIZE_MAX, p, sizeof(p));
	int gfd = unit_memfd("garbage\n", 8, g, sizeof(g));
	struct unit_run r;

	(void)state;
	r = UNIT_RUN(cmd_recover, "recover", p);
	assert_int_equal(r.rc, 2);
	must(r.err, "bpftape recover: -o OUT is required; see 'bpftape recover --help'\n");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_recover, "recover", "-o", "-", p, p);
	assert_int_equal(r.rc, 2);
	must(r.err, "one input tape at a time");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_recover, "recover", "-o", "-");
	assert_int_equal(r.rc, 2);
	must(r.err, "no input tape given (FILE)");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_recover, "recover", "-o", "x.tape", "-");
	assert_int_equal(r.rc, 2);
	must(r.err, "FILE -: recover reads its input twice; save it to a file first");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_recover, "recover", "-o", p, p);
	assert_int_equal(r.rc, 2);
	must(r.err, "the output must not be the input");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_recover, "recover", "-o", "-", "/nonexistent.tape");
	assert_int_equal(r.rc, 1);
	must(r.err, "bpftape recover: /nonexistent.tape: ");
	assert_string_equal(r.out, "");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_recover, "recover", "-o", "-", g);
	assert_int_equal(r.rc, 1);
	must(r.err, "offset 0: ");
	assert_string_equal(r.out, "");
	unit_run_free(&r);
	close(fd);
	close(gfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_chunk),
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
