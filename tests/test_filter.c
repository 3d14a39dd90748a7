// SPDX-License-Identifier: MIT
/*
 * bpftape filter (replay/filter.c): cmd_filter() over the golden tape
 * written in memory and handed over as a memfd, the new tape taken back
 * from standard output (-o -) and read in memory: the events, types,
 * processes, losses and metadata it keeps, redaction with a key given as a
 * memfd, several tapes into one, a damaged input, usage errors.
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
static char gpath[64];
static int gfd = -1;

static int setup(void **state)
{
	(void)state;
	if (golden_basic_mem(&golden))
		return -1;
	gfd = unit_memfd(golden.data, golden.len, gpath, sizeof(gpath));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(gfd);
	free(golden.data);
	return 0;
}

static void must(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in:\n%s", part, text);
}

/* The tape cmd_filter() wrote on its standard output. */
static struct tape_reader *output_tape(const struct unit_run *r)
{
	char err[256] = "";
	struct tape_reader *t;

	if (r->rc)
		fail_msg("filter: status %d: %s", r->rc, r->err);
	t = tape_reader__open_mem(r->out, r->out_len, err, sizeof(err));
	if (!t)
		fail_msg("the new tape does not open: %s", err);
	assert_false(tape_reader__recovered(t));
	assert_int_equal(tape_reader__verify(t, NULL, NULL), 0);
	return t;
}

/* Each event of @t as "type pid" (losses as "lost COUNT"), one a line. */
static char *events_of(struct tape_reader *t)
{
	struct tape_cursor *c = tape_cursor__new(&t, 1, NULL);
	const struct tape_event *ev;
	char *buf = calloc(1, 8192);
	size_t used = 0;

	assert_non_null(c);
	while (tape_cursor__next(c, &ev) == 1) {
		if (ev->type == TAPE_TYPE_LOSS)
			used += (size_t)snprintf(buf + used, 8192 - used, "lost %llu\n",
						 (unsigned long long)ev->values[TAPE_LOSS_COUNT].u);
		else
			used += (size_t)snprintf(buf + used, 8192 - used, "%s %u\n", ev->tp->name,
						 ev->pid);
	}
	tape_cursor__free(c);
	return buf;
}

static bool has_bytes(const struct tape_reader *t, const char *needle)
{
	struct tape_reader *r = (struct tape_reader *)t;
	struct tape_cursor *c = tape_cursor__new(&r, 1, NULL);
	const struct tape_event *ev;
	bool found = false;

	for (size_t i = 0; i < tape_reader__meta_count(t); i++) {
		const char *k, *v;

		tape_reader__meta_at(t, i, &k, &v);
		found |= strstr(v, needle) != NULL;
	}
	for (size_t i = 0; i < tape_reader__proc_count(t); i++) {
		const struct tape_proc *p = tape_reader__proc(t, i);

		found |= (p->exe && strstr(p->exe, needle)) ||
			 (p->cgroup && strstr(p->cgroup, needle)) ||
			 (p->argv && memmem(p->argv, p->argv_len, needle, strlen(needle)));
	}
	while (tape_cursor__next(c, &ev) == 1) {
		if (ev->type == TAPE_TYPE_LOSS)
			continue;
		for (unsigned i = 0; i < ev->tp->nfields; i++) {
			const void *p;
			uint32_t len;

			if (!tape_event__bytes(ev, i, &p, &len))
				found |= memmem(p, len, needle, strlen(needle)) != NULL;
		}
	}
	tape_cursor__free(c);
	return found;
}

/* A pid: its events, the loss that overlaps them, its own process and the
 * types it used; the metadata travels. */
static void test_pid(void **state)
{
	struct unit_run r = UNIT_RUN(cmd_filter, "filter", "-q", "-o", "-", "--pid", "101", gpath);
	struct tape_reader *t = output_tape(&r);
	const struct tape_proc *p;
	char *evs = events_of(t);

	(void)state;
	assert_string_equal(evs, "exec 101\nopen 101\nread 101\nlost 1234\nclose 101\n"
				 "open 101\nsyscall 101\nexit 101\n");
	assert_int_equal(tape_reader__event_count(t), 7);
	assert_null(tape_reader__type_by_name(t, "connect"));
	assert_null(tape_reader__type_by_name(t, "fork"));
	assert_non_null(tape_reader__type_by_name(t, "syscall"));
	assert_int_equal(tape_reader__proc_count(t), 1);
	p = tape_reader__proc(t, 0);
	assert_int_equal(p->pid, 101);
	assert_int_equal(p->ppid, 100); /* from the fork the selection cut away */
	assert_string_equal(tape_reader__meta(t, "host.name"), GOLDEN_HOST);
	assert_string_equal(tape_reader__meta(t, "clock.boottime_to_realtime_ns"),
			    GOLDEN_CLOCK_OFF);
	free(evs);
	tape_reader__free(t);
	unit_run_free(&r);
}

/* Losses that overlap the kept range stay whatever --type says; none
 * outside it. */
static void test_losses(void **state)
{
	struct unit_run r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--type", "open", gpath);
	struct tape_reader *t = output_tape(&r);
	char *evs = events_of(t);

	(void)state;
	assert_string_equal(evs, "open 101\nlost 1234\nopen 101\nopen 200\nopen 200\n");
	free(evs);
	tape_reader__free(t);
	unit_run_free(&r);

	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--type", "open", "--since", "2s", gpath);
	t = output_tape(&r);
	evs = events_of(t);
	assert_string_equal(evs, "open 200\nopen 200\n");
	assert_int_equal(tape_reader__loss_count(t), 0);
	assert_true(tape_reader__min_ts(t) >= GOLDEN_BOOT_TS + 2000000000ull);
	free(evs);
	tape_reader__free(t);
	unit_run_free(&r);
}

/* An expression, and a selection that matches no event: a valid tape
 * without events. */
static void test_expr_and_empty(void **state)
{
	struct unit_run r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "-f",
				     "ret < 0 && type != \"syscall\"", gpath);
	struct tape_reader *t = output_tape(&r);
	char *evs = events_of(t);

	(void)state;
	assert_string_equal(evs, "lost 1234\nopen 101\nconnect 200\nopen 200\n");
	free(evs);
	tape_reader__free(t);
	unit_run_free(&r);

	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--pid", "999", "--type", "fork", gpath);
	t = output_tape(&r);
	assert_int_equal(tape_reader__event_count(t), 0);
	/* the whole time range is kept: so is the loss in it */
	assert_int_equal(tape_reader__loss_count(t), 1);
	assert_int_equal(tape_reader__proc_count(t), 0);
	tape_reader__free(t);
	unit_run_free(&r);
}

/* --redact all leaves none of the secrets; the same key file gives the
 * same tokens, another key other ones. */
static void test_redact(void **state)
{
	char k1[64], k2[64];
	int f1 = unit_memfd("the first key, 32 bytes of it...", 32, k1, sizeof(k1));
	int f2 = unit_memfd("the other key, 32 bytes of it...", 32, k2, sizeof(k2));
	struct unit_run a =
		UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "all", "--key", k1, gpath);
	struct unit_run b =
		UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "all", "--key", k1, gpath);
	struct unit_run c =
		UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "all", "--key", k2, gpath);
	struct tape_reader *ta = output_tape(&a), *tb = output_tape(&b), *tc = output_tape(&c);
	const char *host;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct tape_reader *t = i == 0 ? ta : i == 1 ? tb : tc;

		assert_int_equal(tape_reader__event_count(t), 18);
		assert_false(has_bytes(t, GOLDEN_SECRET_PATH));
		assert_false(has_bytes(t, GOLDEN_SECRET_ARG));
		assert_false(has_bytes(t, GOLDEN_HOST));
		assert_false(has_bytes(t, "session-7"));
	}
	host = tape_reader__meta(ta, "host.name");
	assert_memory_equal(host, "host:", 5);
	assert_string_equal(host, tape_reader__meta(tb, "host.name"));
	assert_string_not_equal(host, tape_reader__meta(tc, "host.name"));
	/* and without --redact the secrets are there: the scan finds them */
	{
		struct tape_reader *g = unit_open_mem(&golden);

		assert_true(has_bytes(g, GOLDEN_SECRET_PATH));
		assert_true(has_bytes(g, GOLDEN_SECRET_ARG));
		tape_reader__free(g);
	}
	tape_reader__free(ta);
	tape_reader__free(tb);
	tape_reader__free(tc);
	unit_run_free(&a);
	unit_run_free(&b);
	unit_run_free(&c);
	close(f1);
	close(f2);
}

/* Two tapes into one, on the first tape's clock. */
static void test_two_tapes(void **state)
{
	struct unit_run r1 = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--pid", "200", gpath);
	struct unit_run r;
	struct tape_reader *t;
	char p[64];
	int fd;
	char *evs;

	(void)state;
	assert_int_equal(r1.rc, 0);
	fd = unit_memfd(r1.out, r1.out_len, p, sizeof(p));
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--type", "connect,exit", gpath, p);
	t = output_tape(&r);
	evs = events_of(t);
	/* the connects of both (the same clock: merged by ts), the exits of
	 * the golden tape, the loss once per tape it is in */
	assert_string_equal(evs, "lost 1234\nlost 1234\nexit 101\nconnect 200\nconnect 200\n"
				 "connect 200\nconnect 200\nconnect 200\nconnect 200\nexit 102\n");
	free(evs);
	tape_reader__free(t);
	unit_run_free(&r);
	unit_run_free(&r1);
	close(fd);
}

/* A tape whose one stack has a frame in binary id 1, @stk_bin. */
static const char *stk_bin;

static int write_stack_tape(struct tape_writer *w)
{
	const struct tape_frame frame = {.address = 0x10, .binary = stk_bin, .binary_id = 1};
	const struct tape_mapping map = {.kind = TAPE_MAPPING_MAP,
					 .pid = 7,
					 .ts = 1,
					 .start = 0x1000,
					 .end = 0x2000,
					 .binary = 1};
	union tape_value v[] = {GV_U(7), GV_U(8), GV_U(8)};
	struct tape_event ev = {
		.ts = GOLDEN_BOOT_TS, .pid = 7, .tid = 7, .comm = "x", .values = v, .stack_id = 1};
	int id = tape_writer__add_type(w, &golden_types[G_FORK]), rc;

	if (id < 0)
		return id;
	ev.type = (uint16_t)id;
	if ((rc = tape_writer__add_mapping(w, &map, stk_bin)) ||
	    (rc = tape_writer__add_stack(w, 1, &frame, 1)) || (rc = tape_writer__append(w, &ev)))
		return rc;
	return tape_writer__finish(w);
}

/* Two tapes whose binary ids collide: each frame keeps its own binary. */
static void test_stack_binaries(void **state)
{
	struct golden_mem a, b;
	char pa[64], pb[64];
	int fa, fb;
	bool seen_a = false, seen_b = false;
	struct unit_run r;
	struct tape_reader *t;

	(void)state;
	stk_bin = "/bin/a";
	assert_int_equal(golden_write_mem(&a, write_stack_tape), 0);
	stk_bin = "/bin/b";
	assert_int_equal(golden_write_mem(&b, write_stack_tape), 0);
	fa = unit_memfd(a.data, a.len, pa, sizeof(pa));
	fb = unit_memfd(b.data, b.len, pb, sizeof(pb));
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", pa, pb);
	t = output_tape(&r);
	assert_int_equal(tape_reader__stack_count(t), 2);
	for (uint64_t id = 1; id <= 2; id++) {
		const struct tape_frame *f;
		size_t n;

		assert_int_equal(tape_reader__stack(t, id, &f, &n), 0);
		assert_int_equal(n, 1);
		assert_non_null(f[0].binary);
		seen_a |= !strcmp(f[0].binary, "/bin/a");
		seen_b |= !strcmp(f[0].binary, "/bin/b");
	}
	assert_true(seen_a && seen_b);
	tape_reader__free(t);
	unit_run_free(&r);
	close(fa);
	close(fb);
	free(a.data);
	free(b.data);
}

/* A damaged chunk: the rest is written, status 3, the block named. */
static void test_damaged(void **state)
{
	struct tape_reader *g = unit_open_mem(&golden);
	struct tape_chunk_info ci;
	char p[64];
	int fd;
	struct unit_run r;
	struct tape_reader *t;

	(void)state;
	assert_int_equal(tape_reader__chunk(g, 1, &ci), 0);
	tape_reader__free(g);
	golden.data[ci.offset + ci.block_len - 5] ^= 0x20;
	fd = unit_memfd(golden.data, golden.len, p, sizeof(p));
	golden.data[ci.offset + ci.block_len - 5] ^= 0x20;
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", p);
	assert_int_equal(r.rc, 3);
	must(r.err, "(skipped)");
	must(r.err, "damaged block(s) skipped");
	r.rc = 0;
	t = output_tape(&r);
	assert_int_equal(tape_reader__event_count(t), 18 - ci.count);
	tape_reader__free(t);
	unit_run_free(&r);
	close(fd);
}

static void test_usage(void **state)
{
	struct unit_run r;

	(void)state;
	r = UNIT_RUN(cmd_filter, "filter", "--pid", "1", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "-o OUT is required");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-");
	assert_int_equal(r.rc, 2);
	unit_run_free(&r);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "bogus", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--redact: 'bogus'");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--pid", "x", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--pid: 'x' is not a list of ids");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--type", "nosuch", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "no type 'nosuch'");
	assert_int_equal(r.out_len, 0);
	unit_run_free(&r);
	r = UNIT_RUN(cmd_filter, "filter", "-o", gpath, gpath);
	assert_int_equal(r.rc, 2);
	unit_run_free(&r);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "/nonexistent.tape");
	assert_int_equal(r.rc, 1);
	must(r.err, "/nonexistent.tape");
	assert_int_equal(r.out_len, 0);
	unit_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_losses),
		cmocka_unit_test(test_expr_and_empty),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_two_tapes),
		cmocka_unit_test(test_stack_binaries),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
