// SPDX-License-Identifier: MIT
/*
 * PREDICATES (replay/predicate.c) through their own API: options into
 * struct pred_opts, a predicate built over tapes in memory, the selection it
 * hands the cursor (time bounds per tape, types, losses, the lifecycle
 * types) and predicate__match() on events made by hand.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../replay/predicate.h"
#include <bpftape/tape_proctab.h>
#include "unit_util.h"

#define DOCKER_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A tape of a close at @ts0 and an open at @ts0 + 1 s by pid 7 ("web"), and
 * a loss between them; @clock is its clock.boottime_to_realtime_ns (NULL:
 * none).  Process 7 runs in a docker container. */
static void small_tape(struct golden_mem *m, const char *clock, uint64_t ts0)
{
	struct tape_io io = {golden_mem_write, golden_mem_truncate, m};
	struct tape_proc proc = {7,    1,     0,
				 1,    "web", "/usr/bin/web",
				 NULL, 0,     "/system.slice/docker-" DOCKER_ID ".scope"};
	union tape_value close_v[] = {GV_S(3), GV_S(0)};
	union tape_value open_v[] = {GV_U(257), GV_S(-100), GV_B("/x", 2),
				     GV_U(0),	GV_U(0),    GV_S(4)};
	struct tape_event ev = {.ts = ts0, .pid = 7, .tid = 8, .comm = "web", .values = close_v};
	struct tape_loss loss = {0, 5, ts0 + 100, ts0 + 200};
	struct tape_writer *w;

	memset(m, 0, sizeof(*m));
	w = tape_writer__new(&io, NULL);
	assert_non_null(w);
	if (clock)
		assert_int_equal(tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", clock),
				 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_int_equal(tape_writer__add_type(w, &golden_types[G_OPEN]), ev.type + 1);
	assert_int_equal(tape_writer__add_procs(w, &proc, 1), 0);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__add_loss(w, &loss), 0);
	ev.ts = ts0 + 1000000000ull;
	ev.type++;
	ev.values = open_v;
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

/* ---- options ---- */

static void test_opts_parse(void **state)
{
	struct pred_opts o = {0};
	char err[256];

	(void)state;
	assert_true(pred_opts__empty(&o));
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_PID, "1,22,4294967295", err, sizeof(err)),
			 1);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[2], 4294967295u);
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_PID, "5", err, sizeof(err)), 1);
	assert_int_equal(o.npids, 4); /* lists add up */
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_TID, "9", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_TYPE, "open,,close,", err, sizeof(err)), 1);
	assert_int_equal(o.ntypes, 2);
	assert_string_equal(o.types[1], "close");
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_SINCE, "1s", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_UNTIL, "2s", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_COMM, "w*", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_CONTAINER, "abc", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&o, PRED_OPT_POD, "p", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&o, 'f', "pid == 1", err, sizeof(err)), 1);
	assert_false(pred_opts__empty(&o));
	/* not a predicate option */
	assert_int_equal(pred_opts__parse(&o, 'o', "x", err, sizeof(err)), 0);
	pred_opts__free(&o);
	assert_true(pred_opts__empty(&o));
	pred_opts__free(NULL);
}

static void test_opts_errors(void **state)
{
	static const struct {
		int opt;
		const char *arg, *msg;
	} cases[] = {
		{PRED_OPT_PID, "", "--pid: empty list"},
		{PRED_OPT_PID, "1,,2", "--pid: '1,,2' is not a list of ids"},
		{PRED_OPT_PID, "4294967296", "--pid: '4294967296' is not a list of ids"},
		{PRED_OPT_PID, "-1", "--pid: '-1' is not a list of ids"},
		{PRED_OPT_PID, " 1", "--pid: ' 1' is not a list of ids"},
		{PRED_OPT_PID, "123456789012345678901234567", "is not a list of ids"},
		{PRED_OPT_TID, "x", "--tid: 'x' is not a list of ids"},
		{PRED_OPT_TYPE, ",", "--type: empty list"},
		{PRED_OPT_CONTAINER, "", "--container: empty"},
		{PRED_OPT_POD, "", "--pod: empty"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pred_opts o = {0};

		err[0] = 0;
		assert_int_equal(pred_opts__parse(&o, cases[i].opt, cases[i].arg, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("'%s': '%s' lacks '%s'", cases[i].arg, err, cases[i].msg);
		pred_opts__free(&o);
	}
	{
		struct pred_opts o = {0};

		assert_int_equal(pred_opts__parse(&o, 'f', "a", err, sizeof(err)), 1);
		assert_int_equal(pred_opts__parse(&o, 'f', "b", err, sizeof(err)), -EINVAL);
		assert_string_equal(err, "-f: given twice; join the expressions with &&");
	}
}

static void test_opts_getopt(void **state)
{
	static const struct option longopts[] = {
		PRED_LONG_OPTIONS,
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char *argv[] = {"replay", "--pid",	 "3", "-f", "pid == 3",
			"--json", "--type=open", "x", NULL};
	char *bad[] = {"replay", "--pid", "3x", NULL};
	struct pred_opts o = {0};
	struct unit_run r = {0};
	int ret = 0, c;

	(void)state;
	optind = 0;
	opterr = 0;
	c = pred_opts__getopt(&o, 8, argv, ":f:j", longopts, "replay", &ret);
	assert_int_equal(c, 'j');
	assert_int_equal(o.npids, 1);
	assert_string_equal(o.expr, "pid == 3");
	assert_int_equal(pred_opts__getopt(&o, 8, argv, ":f:j", longopts, "replay", &ret), -1);
	assert_int_equal(o.ntypes, 1);
	assert_string_equal(argv[optind], "x");
	pred_opts__free(&o);

	/* a bad value: said on stderr as a usage error */
	{
		int fd = memfd_create("stderr", MFD_CLOEXEC), saved = dup(2);

		dup2(fd, 2);
		optind = 0;
		c = pred_opts__getopt(&o, 3, bad, ":f:j", longopts, "replay", &ret);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		r.err = unit_fd_slurp(fd, NULL);
		close(fd);
	}
	assert_int_equal(c, PRED_GETOPT_FAIL);
	assert_int_equal(ret, 2);
	assert_string_equal(r.err, "bpftape replay: --pid: '3x' is not a list of ids; see "
				   "'bpftape replay --help'\n");
	unit_run_free(&r);
	pred_opts__free(&o);
}

static void test_clock_offset(void **state)
{
	static const struct {
		const char *meta;
		int rc;
		int64_t off;
	} cases[] = {
		{"123", 0, 123},  {"-5", 0, -5},       {NULL, -ENOENT, 0},
		{"", -ENOENT, 0}, {"12x", -ENOENT, 0}, {"99999999999999999999", -ENOENT, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct golden_mem m;
		struct tape_reader *r;
		int64_t off = 42;

		small_tape(&m, cases[i].meta, 1000);
		r = unit_open_mem(&m);
		assert_int_equal(pred_clock_offset(r, &off), cases[i].rc);
		assert_int_equal(off, cases[i].rc ? 42 : cases[i].off);
		tape_reader__free(r);
		free(m.data);
	}
}

/* ---- a predicate over tapes ---- */

struct tapes2 {
	struct golden_mem m[2];
	struct tape_reader *r[2];
};

/* Tape 0 starts at boot 10 s on a clock 1000 s ahead; tape 1 at boot 500 s
 * on a clock 600 s ahead, so it starts 100 s of wall time later. */
static void tapes2_open(struct tapes2 *t)
{
	small_tape(&t->m[0], "1000000000000", 10000000000ull);
	small_tape(&t->m[1], "600000000000", 500000000000ull);
	t->r[0] = unit_open_mem(&t->m[0]);
	t->r[1] = unit_open_mem(&t->m[1]);
}

static void tapes2_close(struct tapes2 *t)
{
	for (int i = 0; i < 2; i++) {
		tape_reader__free(t->r[i]);
		free(t->m[i].data);
	}
}

static struct predicate *pred(struct tapes2 *t, size_t n, const struct pred_opts *o)
{
	char err[512] = "";
	struct predicate *p = predicate__new(o, t->r, n, err, sizeof(err));

	if (!p)
		fail_msg("predicate__new: %s", err);
	return p;
}

/* Relative times count from the earliest tape on the wall clock, and each
 * tape gets them in its own clock. */
static void test_time_bounds(void **state)
{
	struct pred_opts o = {.since = "1s", .until = "101.5s"};
	struct tapes2 t;
	struct predicate *p;
	uint64_t since, until;
	char wall[64];

	(void)state;
	tapes2_open(&t);
	p = pred(&t, 2, &o);
	predicate__range(p, 0, &since, &until);
	assert_int_equal(since, 11000000000ull);
	assert_int_equal(until, 111500000000ull);
	predicate__range(p, 1, &since, &until);
	/* wall start 1010 s + 1 s = 1011 s, minus tape 1's 600 s */
	assert_int_equal(since, 411000000000ull);
	assert_int_equal(until, 511500000000ull);
	predicate__range(p, 2, &since, &until);
	assert_int_equal(since, 0);
	assert_int_equal(until, 0);
	/* the cursor gets the widest bounds of all tapes */
	assert_int_equal(predicate__select(p)->since, 11000000000ull);
	assert_int_equal(predicate__select(p)->until, 511500000000ull);
	predicate__free(p);

	/* a wall-clock time: the same instant in both tapes' clocks */
	snprintf(wall, sizeof(wall), "@1105.25");
	o = (struct pred_opts){.since = wall};
	p = pred(&t, 2, &o);
	predicate__range(p, 0, &since, &until);
	assert_int_equal(since, 105250000000ull);
	assert_int_equal(until, 0);
	predicate__range(p, 1, &since, &until);
	assert_int_equal(since, 505250000000ull);
	predicate__free(p);

	/* a time before a tape's boot is its first ns, never 0 (no bound) */
	o = (struct pred_opts){.until = "@1"};
	p = pred(&t, 2, &o);
	predicate__range(p, 1, &since, &until);
	assert_int_equal(until, 1);
	predicate__free(p);
	tapes2_close(&t);
}

static void test_new_errors(void **state)
{
	static char *opne[] = {"opne"};
	const struct {
		struct pred_opts o;
		const char *msg;
	} cases[] = {
		{{.since = "soon"}, "--since: 'soon' is neither a duration"},
		{{.until = "25:99:00"}, "--until: '25:99:00' is neither a duration"},
		{{.since = "@12abc"}, "--since: '@12abc' is neither"},
		{{.types = opne, .ntypes = 1}, "--type: no type 'opne' in the tapes"},
		{{.expr = "pid =="}, "-f: column"},
		{{.expr = "pth == \"x\""}, "-f: "},
	};
	struct tapes2 t;
	struct golden_mem m;
	struct tape_reader *noclock;
	char err[512];

	(void)state;
	tapes2_open(&t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		errno = 0;
		assert_null(predicate__new(&cases[i].o, t.r, 2, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
	}
	/* one tape: "tape", not "tapes" */
	assert_null(predicate__new(&cases[3].o, t.r, 1, err, sizeof(err)));
	assert_string_equal(err, "--type: no type 'opne' in the tape");
	tapes2_close(&t);

	/* a wall-clock time needs every tape's clock */
	small_tape(&m, NULL, 1000);
	noclock = unit_open_mem(&m);
	{
		struct pred_opts o = {.since = "2026-01-01T00:00:00Z"};
		struct predicate *p;

		assert_null(predicate__new(&o, &noclock, 1, err, sizeof(err)));
		assert_non_null(strstr(err, "no clock.boottime_to_realtime_ns metadata"));
		/* ...a relative one does not */
		o.since = "0.5s";
		p = predicate__new(&o, &noclock, 1, err, sizeof(err));
		assert_non_null(p);
		predicate__free(p);
	}
	tape_reader__free(noclock);
	free(m.data);
}

static bool has_type(const struct tape_select *s, const char *name)
{
	for (size_t i = 0; i < s->ntypes; i++)
		if (!strcmp(s->types[i], name))
			return true;
	return false;
}

/* What the cursor is told: types (and "lost" when losses are wanted), the
 * lifecycle types besides, pids and tids. */
static void test_selection(void **state)
{
	struct tapes2 t;
	struct predicate *p;
	const struct tape_select *s, *lc;

	(void)state;
	tapes2_open(&t);
	{
		struct pred_opts o = {0};

		p = pred(&t, 2, &o);
		s = predicate__select(p);
		assert_null(s->types); /* everything */
		assert_false(s->no_losses);
		assert_null(predicate__select_lifecycle(p)->types);
		predicate__free(p);
	}
	{
		struct pred_opts o = {.types = (char *[]){"open"},
				      .ntypes = 1,
				      .pids = (uint32_t[]){7, 9},
				      .npids = 2,
				      .tids = (uint32_t[]){8},
				      .ntids = 1};

		p = pred(&t, 2, &o);
		s = predicate__select(p);
		assert_int_equal(s->ntypes, 1);
		assert_string_equal(s->types[0], "open");
		assert_true(s->no_losses);
		assert_int_equal(s->npids, 2);
		assert_int_equal(s->pids[1], 9);
		assert_int_equal(s->ntids, 1);
		lc = predicate__select_lifecycle(p);
		assert_int_equal(lc->ntypes, 4);
		assert_true(has_type(lc, "open") && has_type(lc, "fork") && has_type(lc, "exec") &&
			    has_type(lc, "exit"));
		assert_int_equal(lc->npids, 2);
		predicate__free(p);
	}
	{
		/* a cut tape keeps its losses whatever --type says */
		struct pred_opts o = {.types = (char *[]){"open"}, .ntypes = 1, .all_losses = true};

		p = pred(&t, 2, &o);
		s = predicate__select(p);
		assert_false(s->no_losses);
		assert_true(has_type(s, "lost") && has_type(s, "open"));
		predicate__free(p);
	}
	{
		/* an expression names the types it can match, each once */
		struct pred_opts o = {.expr = "type == \"close\" || fd == 3"};

		p = pred(&t, 2, &o);
		s = predicate__select(p);
		assert_true(has_type(s, "close"));
		assert_false(has_type(s, "open"));
		assert_true(has_type(s, "lost"));
		assert_int_equal(s->ntypes, 2);
		predicate__free(p);
	}
	{
		/* nothing can match: a name no type has */
		struct pred_opts o = {
			.expr = "type == \"nosuch\"", .types = (char *[]){"open"}, .ntypes = 1};

		p = pred(&t, 2, &o);
		s = predicate__select(p);
		assert_int_equal(s->ntypes, 1);
		assert_string_equal(s->types[0], "");
		predicate__free(p);
	}
	tapes2_close(&t);
}

static struct tape_event ev_of(const struct tape_reader *r, unsigned src, const char *type,
			       uint64_t ts, uint32_t pid, uint32_t tid, const char *comm,
			       const union tape_value *v)
{
	const struct tape_type *tp = tape_reader__type_by_name(r, type);

	assert_non_null(tp);
	return (struct tape_event){.ts = ts,
				   .pid = pid,
				   .tid = tid,
				   .type = tp->id,
				   .comm = comm,
				   .values = v,
				   .tp = tp,
				   .source = src};
}

static void test_match(void **state)
{
	union tape_value close_v[] = {GV_S(3), GV_S(0)};
	struct tapes2 t;
	struct predicate *p;
	struct tape_event ev;

	(void)state;
	tapes2_open(&t);
	{
		/* pids, tids, a comm glob, a time range (until inclusive) */
		struct pred_opts o = {.pids = (uint32_t[]){7},
				      .npids = 1,
				      .tids = (uint32_t[]){8, 80},
				      .ntids = 2,
				      .comm = "w?b*",
				      .since = "1s",
				      .until = "2s"};

		p = pred(&t, 2, &o);
		ev = ev_of(t.r[0], 0, "close", 11000000000ull, 7, 8, "web", close_v);
		assert_true(predicate__match(p, &ev));
		ev.ts = 12000000000ull; /* --until is inclusive */
		assert_true(predicate__match(p, &ev));
		ev.ts++;
		assert_false(predicate__match(p, &ev));
		ev.ts = 11000000000ull - 1;
		assert_false(predicate__match(p, &ev));
		ev.ts = 11000000000ull;
		ev.source = 1; /* the same ts is another instant in tape 1 */
		assert_false(predicate__match(p, &ev));
		ev.ts = 411000000000ull;
		assert_true(predicate__match(p, &ev));
		ev.tid = 80;
		ev.comm = "webserver";
		assert_true(predicate__match(p, &ev));
		ev.comm = "wb";
		assert_false(predicate__match(p, &ev));
		ev.comm = "web";
		ev.tid = 9;
		assert_false(predicate__match(p, &ev));
		ev.tid = 8;
		ev.pid = 70;
		assert_false(predicate__match(p, &ev));
		predicate__free(p);
	}
	{
		/* a comm without glob characters is compared whole */
		struct pred_opts o = {.comm = "we"};

		p = pred(&t, 2, &o);
		ev = ev_of(t.r[0], 0, "close", 1, 7, 8, "web", close_v);
		assert_false(predicate__match(p, &ev));
		ev.comm = "we";
		assert_true(predicate__match(p, &ev));
		predicate__free(p);
	}
	{
		/* types, and an expression checked exactly */
		struct pred_opts o = {.types = (char *[]){"close"}, .ntypes = 1, .expr = "fd == 3"};
		union tape_value other[] = {GV_S(4), GV_S(0)};

		p = pred(&t, 2, &o);
		ev = ev_of(t.r[1], 1, "close", 1, 7, 8, "web", close_v);
		assert_true(predicate__match(p, &ev));
		ev.values = other;
		assert_false(predicate__match(p, &ev));
		ev = ev_of(t.r[1], 1, "open", 1, 7, 8, "web", close_v);
		assert_false(predicate__match(p, &ev));
		predicate__free(p);
	}
	tapes2_close(&t);
}

/* Losses pass when they overlap the range, whatever -f, --pid or --comm
 * say; --type leaves them out unless it names "lost". */
static void test_match_losses(void **state)
{
	union tape_value lv[TAPE_LOSS_NFIELDS] = {GV_U(0), GV_U(5), GV_U(0), GV_U(0)};
	struct tape_event loss = {.type = TAPE_TYPE_LOSS, .values = lv, .source = 0};
	struct tapes2 t;
	struct predicate *p;

	(void)state;
	tapes2_open(&t);
	{
		struct pred_opts o = {.since = "1s",
				      .until = "2s",
				      .pids = (uint32_t[]){99},
				      .npids = 1,
				      .comm = "nobody",
				      .expr = "fd == 77"};

		p = pred(&t, 2, &o);
		/* [10.5 s, 11.5 s] overlaps [11 s, 12 s] */
		lv[TAPE_LOSS_FIRST_TS].u = 10500000000ull;
		lv[TAPE_LOSS_LAST_TS].u = 11500000000ull;
		loss.ts = lv[TAPE_LOSS_FIRST_TS].u;
		assert_true(predicate__match(p, &loss));
		/* [12 s, 13 s] touches the inclusive end */
		lv[TAPE_LOSS_FIRST_TS].u = 12000000000ull;
		lv[TAPE_LOSS_LAST_TS].u = 13000000000ull;
		assert_true(predicate__match(p, &loss));
		lv[TAPE_LOSS_FIRST_TS].u = 12000000001ull;
		assert_false(predicate__match(p, &loss));
		/* before the range; a last_ts below first_ts counts as first_ts */
		lv[TAPE_LOSS_FIRST_TS].u = 10000000000ull;
		lv[TAPE_LOSS_LAST_TS].u = 10999999999ull;
		assert_false(predicate__match(p, &loss));
		lv[TAPE_LOSS_FIRST_TS].u = 11000000000ull;
		lv[TAPE_LOSS_LAST_TS].u = 1;
		assert_true(predicate__match(p, &loss));
		/* without values the loss is at its ts */
		loss.values = NULL;
		loss.ts = 11100000000ull;
		assert_true(predicate__match(p, &loss));
		loss.ts = 13000000000ull;
		assert_false(predicate__match(p, &loss));
		loss.values = lv;
		predicate__free(p);
	}
	{
		struct pred_opts o = {.types = (char *[]){"close"}, .ntypes = 1};

		p = pred(&t, 2, &o);
		assert_false(predicate__match(p, &loss));
		predicate__free(p);
		o.types = (char *[]){"close", "lost"};
		o.ntypes = 2;
		p = pred(&t, 2, &o);
		assert_true(predicate__match(p, &loss));
		predicate__free(p);
	}
	tapes2_close(&t);
}

/* --container and --pod read the process table of the event's tape. */
static void test_match_container(void **state)
{
	union tape_value close_v[] = {GV_S(3), GV_S(0)};
	struct tapes2 t;
	struct tape_proctab *pt[2];
	struct predicate *p;
	struct tape_event ev;

	(void)state;
	tapes2_open(&t);
	for (int i = 0; i < 2; i++) {
		pt[i] = tape_proctab__new();
		assert_non_null(pt[i]);
		assert_int_equal(tape_proctab__load_snapshot(pt[i], t.r[i]), 0);
	}
	{
		struct pred_opts o = {.container = "0123456789ab"};

		p = pred(&t, 2, &o);
		ev = ev_of(t.r[0], 0, "close", 1, 7, 7, "web", close_v);
		/* no process tables: an event is in no container */
		assert_false(predicate__match(p, &ev));
		predicate__set_procs(p, pt, 2);
		assert_true(predicate__match(p, &ev));
		ev.source = 1;
		assert_true(predicate__match(p, &ev));
		ev.pid = 8; /* not in the table */
		assert_false(predicate__match(p, &ev));
		predicate__free(p);
	}
	{
		struct pred_opts o = {.container = DOCKER_ID "0"};

		p = pred(&t, 2, &o);
		predicate__set_procs(p, pt, 2);
		ev = ev_of(t.r[0], 0, "close", 1, 7, 7, "web", close_v);
		assert_false(predicate__match(p, &ev));
		predicate__free(p);
	}
	{
		struct pred_opts o = {.pod = "x"};

		p = pred(&t, 2, &o);
		predicate__set_procs(p, pt, 2);
		assert_false(predicate__match(p, &ev)); /* no pod */
		predicate__free(p);
	}
	tape_proctab__free(pt[0]);
	tape_proctab__free(pt[1]);
	tapes2_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_parse),   cmocka_unit_test(test_opts_errors),
		cmocka_unit_test(test_opts_getopt),  cmocka_unit_test(test_clock_offset),
		cmocka_unit_test(test_time_bounds),  cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_selection),    cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_losses), cmocka_unit_test(test_match_container),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
