// SPDX-License-Identifier: MIT
/*
 * Opening and merging the FILE... of the offline verbs (replay/tapes.c):
 * the merge order of several tapes whose events share timestamps, on one
 * clock and across clocks (wall-clock merge), per-tape bounds, a bad chunk
 * named with its tape, the order snapshots load in, the per-host process
 * tables of tapes__setup() and the process state before --since.  Tapes
 * are written in memory and handed over as memfds.
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

#include "../replay/predicate.h"
#include <bpftape/tape_proctab.h>
#include "../replay/tapes.h"
#include "unit_util.h"

/* Events of a tape: ts and a tag (the close's fd) that names the event. */
struct tev {
	uint64_t ts;
	int tag;
};

/* A tape of close events (@n of them), with @clock as its
 * clock.boottime_to_realtime_ns (NULL: none), @host as host.name (NULL:
 * none), and process @pid running @exe in its snapshot. */
static void tape_of(struct golden_mem *m, const struct tev *evs, size_t n, const char *clock,
		    const char *host, uint32_t pid, const char *exe)
{
	struct tape_io io = {golden_mem_write, golden_mem_truncate, m};
	struct tape_writer_opts opts = {.sz = sizeof(opts), .chunk_ns = 1000};
	struct tape_proc proc = {pid, 1, 0, 1, "p", exe, NULL, 0, NULL};
	struct tape_writer *w;
	int type;

	memset(m, 0, sizeof(*m));
	w = tape_writer__new(&io, &opts);
	assert_non_null(w);
	if (clock)
		assert_int_equal(tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", clock),
				 0);
	if (host)
		assert_int_equal(tape_writer__set_meta(w, "host.name", host), 0);
	type = tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_true(type > 0);
	if (exe)
		assert_int_equal(tape_writer__add_procs(w, &proc, 1), 0);
	for (size_t i = 0; i < n; i++) {
		union tape_value v[] = {GV_S(evs[i].tag), GV_S(0)};
		struct tape_event ev = {.ts = evs[i].ts,
					.pid = pid,
					.tid = pid,
					.type = (uint16_t)type,
					.comm = "p",
					.values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

/* Drain @m: "source:tag" of each event, space-separated, into @buf. */
static void drain(struct tapes_merge *m, char *buf, size_t len)
{
	const struct tape_event *ev;
	size_t used = 0;
	int rc;

	buf[0] = 0;
	while ((rc = tapes_merge__next(m, &ev)) == 1) {
		int64_t tag;

		assert_int_equal(tape_event__int(ev, 0, &tag), 0);
		used += (size_t)snprintf(buf + used, len - used, "%s%u:%lld", used ? " " : "",
					 ev->source, (long long)tag);
		assert_true(used < len);
	}
	assert_int_equal(rc, 0);
}

static void test_open(void **state)
{
	struct golden_mem m;
	char p[64], err[512] = "";
	char *paths[3] = {p, "/nonexistent/x.tape", p};
	struct tape_reader **r = NULL;
	int fd;

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	assert_int_equal(tapes__open(paths, 1, &r, err, sizeof(err)), 0);
	assert_non_null(r);
	assert_int_equal(tape_reader__event_count(r[0]), 18);
	tapes__close(r, 1);
	/* the second fails: the first is closed, the error names the file */
	assert_int_equal(tapes__open(paths, 3, &r, err, sizeof(err)), -ENOENT);
	assert_null(r);
	assert_memory_equal(err, "/nonexistent/x.tape: ", 21);
	tapes__close(NULL, 0);
	close(fd);
	free(m.data);
}

/* One clock (rotated files): one library cursor; equal timestamps of tapes
 * that start together come in the order of the FILE arguments, each tape's
 * own in its file order.  (The cursor breaks ties by the chunk opened
 * first: a tape that starts earlier goes first on a tie.) */
static void test_merge_one_clock(void **state)
{
	const struct tev evs[3][3] = {
		{{100, 1}, {100, 2}, {200, 3}},
		{{100, 4}, {100, 5}, {200, 6}},
		{{100, 7}, {100, 8}, {200, 9}},
	};
	struct golden_mem m[3];
	struct tape_reader *r[3];
	struct tapes_merge *mg;
	char out[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		tape_of(&m[i], evs[i], 3, i == 1 ? NULL : "5000", NULL, 10 + i, NULL);
		r[i] = unit_open_mem(&m[i]);
	}
	/* a tape without the clock: merged by ts with the others */
	mg = tapes_merge__new(r, 3, NULL, NULL, NULL);
	assert_non_null(mg);
	assert_false(tapes_merge__by_wall(mg));
	assert_int_equal(tapes_merge__offset(mg, 0), 0);
	drain(mg, out, sizeof(out));
	assert_string_equal(out, "0:1 0:2 1:4 1:5 2:7 2:8 0:3 1:6 2:9");
	tapes_merge__free(mg);

	/* per-tape bounds on one clock: the widest of them */
	{
		const uint64_t since[3] = {150, 100, 60}, until[3] = {100, 100, 90};

		mg = tapes_merge__new(r, 3, NULL, since, until);
		assert_non_null(mg);
		drain(mg, out, sizeof(out));
		assert_string_equal(out, "0:1 0:2 1:4 1:5 2:7 2:8");
		tapes_merge__free(mg);
	}
	for (int i = 0; i < 3; i++) {
		tape_reader__free(r[i]);
		free(m[i].data);
	}
}

/* Several clocks (hosts, boots): one cursor per tape, merged by wall time;
 * equal wall times come in the order of the FILE arguments; each event
 * keeps its own tape's ts. */
static void test_merge_by_wall(void **state)
{
	/* wall = ts + offset: tape 0 +1000, tape 1 +900, tape 2 +1000 */
	const struct tev evs[3][3] = {
		{{100, 1}, {100, 2}, {300, 3}},
		{{200, 4}, {300, 5}, {350, 6}},
		{{50, 7}, {100, 8}, {250, 9}},
	};
	static const char *const clocks[3] = {"1000", "900", "1000"};
	struct golden_mem m[3];
	struct tape_reader *r[3];
	struct tapes_merge *mg;
	const struct tape_event *ev;
	char out[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		tape_of(&m[i], evs[i], 3, clocks[i], NULL, 10 + i, NULL);
		r[i] = unit_open_mem(&m[i]);
	}
	mg = tapes_merge__new(r, 3, NULL, NULL, NULL);
	assert_non_null(mg);
	assert_true(tapes_merge__by_wall(mg));
	assert_int_equal(tapes_merge__offset(mg, 1), 900);
	assert_int_equal(tapes_merge__offset(mg, 7), 0);
	/* walls: 1:4 at 1100 ties 0:1, 0:2 and 2:8: file order */
	drain(mg, out, sizeof(out));
	assert_string_equal(out, "2:7 0:1 0:2 1:4 2:8 1:5 1:6 2:9 0:3");
	tapes_merge__free(mg);

	/* the ts handed out is the tape's own */
	mg = tapes_merge__new(r, 3, NULL, NULL, NULL);
	assert_int_equal(tapes_merge__next(mg, &ev), 1);
	assert_int_equal(ev->ts, 50);
	assert_int_equal(ev->source, 2);
	tapes_merge__free(mg);

	/* per-tape bounds, each in its own clock */
	{
		const uint64_t since[3] = {100, 250, 0}, until[3] = {100, 0, 60};

		mg = tapes_merge__new(r, 3, NULL, since, until);
		assert_non_null(mg);
		drain(mg, out, sizeof(out));
		assert_string_equal(out, "2:7 0:1 0:2 1:5 1:6");
		tapes_merge__free(mg);
	}
	/* a selection applies to every tape */
	{
		struct tape_select sel = {.sz = sizeof(sel), .pids = (uint32_t[]){11}, .npids = 1};

		mg = tapes_merge__new(r, 3, &sel, NULL, NULL);
		drain(mg, out, sizeof(out));
		assert_string_equal(out, "1:4 1:5 1:6");
		tapes_merge__free(mg);
	}
	for (int i = 0; i < 3; i++) {
		tape_reader__free(r[i]);
		free(m[i].data);
	}
}

/* A damaged chunk: the merge says which tape, and goes on after it. */
static void test_merge_bad_chunk(void **state)
{
	const struct tev a[] = {{1000, 1}, {3000, 2}}, b[] = {{2000, 3}, {4000, 4}};
	static const char *const clocks[2] = {"0", "100"};
	struct golden_mem m[2];
	struct tape_reader *r[2];
	struct tapes_merge *mg;
	const struct tape_event *ev;
	struct tape_chunk_info ci;
	struct tape_cursor_stats st;
	int rc, n = 0, errs = 0;

	(void)state;
	for (int i = 0; i < 2; i++)
		tape_of(&m[i], i ? b : a, 2, clocks[i], NULL, 1, NULL);
	/* chunks of 1 us: each event its own chunk; break tape 1's first */
	r[1] = unit_open_mem(&m[1]);
	assert_int_equal(tape_reader__chunk_count(r[1]), 2);
	assert_int_equal(tape_reader__chunk(r[1], 0, &ci), 0);
	tape_reader__free(r[1]);
	m[1].data[ci.offset + ci.block_len - 2] ^= 0x10;
	for (int i = 0; i < 2; i++)
		r[i] = unit_open_mem(&m[i]);
	mg = tapes_merge__new(r, 2, NULL, NULL, NULL);
	assert_non_null(mg);
	while ((rc = tapes_merge__next(mg, &ev)) != 0) {
		if (rc < 0) {
			errs++;
			assert_int_equal(tapes_merge__errsrc(mg), 1);
			assert_non_null(strstr(tapes_merge__errmsg(mg), "offset"));
			continue;
		}
		n++;
	}
	assert_int_equal(errs, 1);
	assert_int_equal(n, 3);
	tapes_merge__stats(mg, &st);
	assert_true(st.chunks_read >= 3);
	assert_true(st.bytes_read > 0);
	tapes_merge__free(mg);
	for (int i = 0; i < 2; i++) {
		tape_reader__free(r[i]);
		free(m[i].data);
	}
}

/* Snapshots load oldest tape first (by wall time), so the newest state
 * wins whatever the argument order. */
static void test_load_snapshots(void **state)
{
	const struct tev one = {100, 1};
	struct golden_mem m[2];
	struct tape_reader *r[2];
	struct tape_proctab *pt;

	(void)state;
	/* tape 0 starts later on the wall clock though earlier by ts */
	tape_of(&m[0], &one, 1, "1000", NULL, 5, "/new");
	tape_of(&m[1], &(struct tev){500, 2}, 1, "100", NULL, 5, "/old");
	for (int i = 0; i < 2; i++)
		r[i] = unit_open_mem(&m[i]);
	pt = tape_proctab__new();
	assert_int_equal(tapes__load_snapshots(r, 2, pt), 0);
	assert_string_equal(tape_proctab__get(pt, 5)->exe, "/new");
	tape_proctab__free(pt);
	/* the other way round, the same */
	{
		struct tape_reader *rev[2] = {r[1], r[0]};

		pt = tape_proctab__new();
		assert_int_equal(tapes__load_snapshots(rev, 2, pt), 0);
		assert_string_equal(tape_proctab__get(pt, 5)->exe, "/new");
		tape_proctab__free(pt);
	}
	for (int i = 0; i < 2; i++) {
		tape_reader__free(r[i]);
		free(m[i].data);
	}
}

/* tapes__setup(): a process table per host, and one of them all. */
static void test_setup_hosts(void **state)
{
	const struct tev e = {100, 1};
	struct golden_mem m[3];
	char p[3][64], err[512] = "";
	char *paths[3] = {p[0], p[1], p[2]};
	struct pred_opts po = {0};
	struct tapes t;
	int fd[3];

	(void)state;
	tape_of(&m[0], &e, 1, "10", "alpha", 5, "/alpha-5");
	tape_of(&m[1], &e, 1, "20", "beta", 5, "/beta-5");
	tape_of(&m[2], &(struct tev){200, 2}, 1, "10", "alpha", 6, "/alpha-6");
	for (int i = 0; i < 3; i++)
		fd[i] = unit_memfd(m[i].data, m[i].len, p[i], sizeof(p[i]));
	assert_int_equal(tapes__setup(&t, paths, 3, &po, err, sizeof(err)), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.nhosts, 2);
	assert_string_equal(t.host_name[0], "alpha");
	assert_string_equal(t.host_name[1], "beta");
	assert_int_equal(t.host_of[0], 0);
	assert_int_equal(t.host_of[1], 1);
	assert_int_equal(t.host_of[2], 0);
	assert_true(t.src_pt[0] == t.src_pt[2] && t.src_pt[0] != t.src_pt[1]);
	/* pid 5 is two processes: each host its own */
	assert_string_equal(tape_proctab__get(t.src_pt[0], 5)->exe, "/alpha-5");
	assert_string_equal(tape_proctab__get(t.src_pt[1], 5)->exe, "/beta-5");
	assert_string_equal(tape_proctab__get(t.src_pt[0], 6)->exe, "/alpha-6");
	assert_null(tape_proctab__get(t.src_pt[1], 6));
	assert_true(t.pt != t.hosts[0] && t.pt != t.hosts[1]);
	assert_non_null(tape_proctab__get(t.pt, 6));
	{
		const struct tape_event *ev;
		int n = 0;

		while (tapes_merge__next(t.cur, &ev) == 1) {
			assert_int_equal(tapes__apply(&t, ev), 0);
			n++;
		}
		assert_int_equal(n, 3);
	}
	tapes__teardown(&t);
	for (int i = 0; i < 3; i++) {
		close(fd[i]);
		free(m[i].data);
	}
}

/* A selection the tapes cannot answer is a usage error; a file that
 * cannot be read is not, unless the selection is malformed anyway. */
static void test_setup_errors(void **state)
{
	struct golden_mem m;
	char p[64], err[512];
	char *paths[1] = {p}, *missing[1] = {"/nonexistent.tape"};
	struct tapes t;
	int fd;

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	{
		struct pred_opts po = {.types = (char *[]){"opne"}, .ntypes = 1};

		err[0] = 0;
		assert_int_equal(tapes__setup(&t, paths, 1, &po, err, sizeof(err)), -EINVAL);
		assert_true(t.bad_selection);
		assert_string_equal(err, "--type: no type 'opne' in the tape");
		tapes__teardown(&t);
	}
	{
		struct pred_opts po = {0};

		assert_int_equal(tapes__setup(&t, missing, 1, &po, err, sizeof(err)), -ENOENT);
		assert_false(t.bad_selection);
		assert_non_null(strstr(err, "/nonexistent.tape: "));
		tapes__teardown(&t);
	}
	{
		struct pred_opts po = {.expr = "pid ==", .until = "1s"};

		assert_true(tapes__setup(&t, missing, 1, &po, err, sizeof(err)) < 0);
		assert_true(t.bad_selection);
		assert_memory_equal(err, "-f: ", 4);
		tapes__teardown(&t);
		po = (struct pred_opts){.since = "later"};
		assert_true(tapes__setup(&t, missing, 1, &po, err, sizeof(err)) < 0);
		assert_true(t.bad_selection);
		assert_non_null(strstr(err, "--since: 'later'"));
		tapes__teardown(&t);
	}
	close(fd);
	free(m.data);
}

/* The processes as they were at --since: the fork and exec before it are
 * applied; without --since nothing is. */
static void test_proc_prefix(void **state)
{
	struct golden_mem m;
	char p[64], err[512] = "";
	char *paths[1] = {p};
	struct tapes t;
	int fd;

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	{
		/* pid 102 forks at 2.7 s and execs sleep; the snapshot lacks it */
		struct pred_opts po = {.since = "2.8s"};

		assert_int_equal(tapes__setup(&t, paths, 1, &po, err, sizeof(err)), 0);
		assert_null(tape_proctab__get(t.pt, 102));
		assert_int_equal(tapes__proc_prefix(&t), 0);
		assert_non_null(tape_proctab__get(t.pt, 102));
		assert_string_equal(tape_proctab__get(t.pt, 102)->exe, "/usr/bin/sleep");
		assert_int_equal(tape_proctab__get(t.pt, 102)->ppid, 100);
		/* 101 exited at 6 ms */
		assert_true(tape_proctab__get(t.pt, 101)->exited);
		tapes__teardown(&t);
	}
	{
		struct pred_opts po = {0};

		assert_int_equal(tapes__setup(&t, paths, 1, &po, err, sizeof(err)), 0);
		assert_int_equal(tapes__proc_prefix(&t), 0);
		assert_null(tape_proctab__get(t.pt, 102));
		tapes__teardown(&t);
	}
	close(fd);
	free(m.data);
}

/* tapes_merge__new_pred(): the predicate's bounds and types, with the lifecycle
 * types when asked. */
static void test_merge_pred(void **state)
{
	struct golden_mem m;
	struct tape_reader *r;
	struct predicate *p;
	struct tapes_merge *mg;
	const struct tape_event *ev;
	struct pred_opts po = {.types = (char *[]){"open"}, .ntypes = 1, .since = "2s"};
	char err[256];
	int n = 0, lc = 0;

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	r = unit_open_mem(&m);
	p = predicate__new(&po, &r, 1, err, sizeof(err));
	assert_non_null(p);
	mg = tapes_merge__new_pred(&r, 1, p, false);
	while (tapes_merge__next(mg, &ev) == 1) {
		assert_string_equal(ev->tp->name, "open");
		assert_true(ev->ts >= GOLDEN_BOOT_TS + 2000000000ull);
		n++;
	}
	assert_int_equal(n, 2);
	tapes_merge__free(mg);
	mg = tapes_merge__new_pred(&r, 1, p, true);
	n = 0;
	while (tapes_merge__next(mg, &ev) == 1) {
		n++;
		lc += !predicate__match(p, ev);
	}
	assert_int_equal(n, 5); /* and the fork, exec and exit of pid 102 */
	assert_int_equal(lc, 3);
	tapes_merge__free(mg);
	predicate__free(p);
	tape_reader__free(r);
	free(m.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),	       cmocka_unit_test(test_merge_one_clock),
		cmocka_unit_test(test_merge_by_wall),  cmocka_unit_test(test_merge_bad_chunk),
		cmocka_unit_test(test_load_snapshots), cmocka_unit_test(test_setup_hosts),
		cmocka_unit_test(test_setup_errors),   cmocka_unit_test(test_proc_prefix),
		cmocka_unit_test(test_merge_pred),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
