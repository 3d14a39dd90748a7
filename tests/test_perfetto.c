// SPDX-License-Identifier: MIT
/*
 * The Perfetto writer (replay/perfetto.c) through its own API: the events
 * of a tape in memory handed to perfetto__event() one by one, the protobuf
 * it writes decoded here (a small wire-format reader, no protobuf library)
 * and checked against the tape: every event at its time with its name,
 * syscall slices that end after their latency on the thread's track, the
 * loss with its figures, process and thread tracks, scheduler switches as
 * ftrace bundles, the writer's own figures.
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

#include "../replay/output.h"
#include "../replay/perfetto.h"
#include "../replay/predicate.h"
#include "../replay/tapes.h"
#include "unit_util.h"

/* ---- a protobuf wire-format reader ---- */

struct field {
	unsigned num, wt;
	uint64_t v;	  /* a varint */
	const uint8_t *p; /* a length-delimited field's bytes */
	size_t len;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (unsigned shift = 0;; shift += 7) {
		if (*p >= end || shift > 63)
			fail_msg("a varint runs past its message");
		v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return v;
	}
}

/* The next field of the message at [*@p, @end): 1, or 0 at its end. */
static int next(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;

	if (*p >= end)
		return 0;
	key = varint(p, end);
	f->num = (unsigned)(key >> 3);
	f->wt = key & 7;
	if (f->wt == 0) {
		f->v = varint(p, end);
	} else if (f->wt == 2) {
		f->len = varint(p, end);
		if (f->len > (size_t)(end - *p))
			fail_msg("field %u: %zu bytes past its message", f->num, f->len);
		f->p = *p;
		*p += f->len;
	} else {
		fail_msg("field %u: wire type %u (only varints and bytes are written)", f->num,
			 f->wt);
	}
	return 1;
}

/* The varint field @num of the message @m (0 if absent). */
static uint64_t get_u(const struct field *m, unsigned num)
{
	const uint8_t *p = m->p;
	struct field f;
	uint64_t v = 0;

	while (next(&p, m->p + m->len, &f))
		if (f.num == num && f.wt == 0)
			v = f.v;
	return v;
}

/* The bytes field @num of @m into @out: 1 if present. */
static int get_m(const struct field *m, unsigned num, struct field *out)
{
	const uint8_t *p = m->p;
	struct field f;
	int found = 0;

	while (next(&p, m->p + m->len, &f))
		if (f.num == num && f.wt == 2) {
			*out = f;
			found = 1;
		}
	return found;
}

/* ---- the trace, decoded ---- */

#define MAXN 256

struct tev {
	uint64_t ts;
	uint64_t type; /* 1 begin, 2 end, 3 instant */
	uint64_t track;
	char name[64];
	uint64_t count, first_ts, last_ts; /* a loss's annotations */
};

struct trace {
	size_t n;
	struct tev ev[MAXN];
	char names[MAXN][64]; /* interned event names by iid */
	char anames[MAXN][64];
	uint64_t thread_track[MAXN]; /* by tid: its track's uuid */
	uint64_t process_track[MAXN];
	size_t packets, bundles;
	uint64_t bundle_cpu;
	uint64_t bundle_pids[16];
	size_t nbundle_pids;
	bool sysinfo;
};

static void copy_str(char *dst, const struct field *f)
{
	size_t n = f->len < 63 ? f->len : 63;

	memcpy(dst, f->p, n);
	dst[n] = 0;
}

static void interned(struct trace *t, const struct field *in)
{
	const uint8_t *p = in->p;
	struct field f, s;

	while (next(&p, in->p + in->len, &f)) {
		uint64_t iid;

		if (f.wt != 2 || (f.num != 2 && f.num != 3))
			continue;
		iid = get_u(&f, 1);
		assert_true(iid > 0 && iid < MAXN);
		assert_true(get_m(&f, 2, &s));
		copy_str(f.num == 2 ? t->names[iid] : t->anames[iid], &s);
	}
}

static void decode(struct trace *t, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;
	struct field pkt;
	uint64_t last = 0, def_track = 0;

	memset(t, 0, sizeof(*t));
	while (next(&p, buf + len, &pkt)) {
		struct field f, d;
		uint64_t ts = get_u(&pkt, 8);

		/* a trace is TracePackets only */
		assert_int_equal(pkt.num, 1);
		assert_int_equal(pkt.wt, 2);
		t->packets++;
		if (get_m(&pkt, 45, &f))
			t->sysinfo = true;
		if (get_m(&pkt, 1, &f)) { /* an ftrace bundle: switches of one cpu */
			struct field cs;

			t->bundles++;
			t->bundle_cpu = get_u(&f, 1);
			assert_true(get_m(&f, 4, &cs));
			if (get_m(&cs, 3, &d)) { /* next_pid, packed */
				const uint8_t *q = d.p;

				while (q < d.p + d.len && t->nbundle_pids < 16)
					t->bundle_pids[t->nbundle_pids++] = varint(&q, d.p + d.len);
			}
			continue;
		}
		if (get_u(&pkt, 10) != 1)
			continue;	 /* not the sequence of track events */
		if (get_u(&pkt, 13) & 1) /* incremental state cleared */
			def_track = 0;
		if (get_u(&pkt, 58) == 6) { /* absolute on BOOTTIME */
			if (get_u(&pkt, 13) & 1)
				last = ts;
		} else {
			last += ts;
			ts = last;
		}
		if (get_m(&pkt, 59, &f) && get_m(&f, 11, &d))
			def_track = get_u(&d, 11);
		if (get_m(&pkt, 12, &f))
			interned(t, &f);
		if (get_m(&pkt, 60, &f)) { /* a track */
			uint64_t uuid = get_u(&f, 1);

			if (get_m(&f, 4, &d)) {
				assert_true(get_u(&d, 2) < MAXN);
				t->thread_track[get_u(&d, 2)] = uuid;
			} else if (get_m(&f, 3, &d)) {
				assert_true(get_u(&d, 1) < MAXN);
				t->process_track[get_u(&d, 1)] = uuid;
			}
		}
		if (get_m(&pkt, 11, &f)) { /* a track event */
			struct tev *e = &t->ev[t->n++];
			const uint8_t *q = f.p;
			struct field a;

			assert_true(t->n < MAXN);
			e->ts = ts;
			e->type = get_u(&f, 9);
			e->track = get_u(&f, 11) ? get_u(&f, 11) : def_track;
			if (get_u(&f, 10))
				strcpy(e->name, t->names[get_u(&f, 10)]);
			while (next(&q, f.p + f.len, &a)) {
				const char *an;

				if (a.num != 4 || a.wt != 2)
					continue;
				an = t->anames[get_u(&a, 1)];
				if (!strcmp(an, "count"))
					e->count = get_u(&a, 3);
				else if (!strcmp(an, "first_ts"))
					e->first_ts = get_u(&a, 3);
				else if (!strcmp(an, "last_ts"))
					e->last_ts = get_u(&a, 3);
			}
		}
	}
	assert_true(p == buf + len);
}

/* ---- the writer over a tape ---- */

struct run {
	struct tapes t;
	struct render rd;
	struct out o;
	struct perfetto *pf;
	int ofd, tfd;
	char path[64];
	uint64_t events, bytes;
	uint8_t *buf;
	size_t len;
};

/* Write every event of the tape in @m through perfetto__*(), as export
 * does: the process tables kept current, the predicate checked. */
static void write_trace(struct run *r, const struct golden_mem *m)
{
	char *paths[1] = {r->path}, err[256] = "";
	struct pred_opts po = {0};
	const struct tape_event *ev;
	int rc;

	r->tfd = unit_memfd(m->data, m->len, r->path, sizeof(r->path));
	assert_int_equal(tapes__setup(&r->t, paths, 1, &po, err, sizeof(err)), 0);
	assert_int_equal(render__init(&r->rd, r->t.readers, r->t.n, TIME_REL, NULL), 0);
	r->rd.src_pt = r->t.src_pt;
	r->ofd = memfd_create("trace", MFD_CLOEXEC);
	assert_int_equal(out__init(&r->o, r->ofd), 0);
	r->pf = perfetto__new(&r->o, &r->t, &r->rd, 0);
	assert_non_null(r->pf);
	while ((rc = tapes_merge__next(r->t.cur, &ev)) == 1) {
		assert_int_equal(tapes__apply(&r->t, ev), 0);
		if (predicate__match(r->t.pred, ev))
			assert_int_equal(perfetto__event(r->pf, ev, 0), 0);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(perfetto__finish(r->pf), 0);
	perfetto__stats(r->pf, &r->events, &r->bytes);
	assert_int_equal(out__close(&r->o), 0);
	r->buf = (uint8_t *)unit_fd_slurp(r->ofd, &r->len);
}

static void run_free(struct run *r)
{
	perfetto__free(r->pf);
	render__fini(&r->rd);
	tapes__teardown(&r->t);
	close(r->ofd);
	close(r->tfd);
	free(r->buf);
}

static struct trace tr; /* large: not on the stack */

static void test_golden(void **state)
{
	struct golden_mem m;
	struct tape_reader *g;
	struct tape_cursor *c;
	const struct tape_event *ev;
	struct run r = {0};
	size_t i = 0, ends = 0;

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	write_trace(&r, &m);
	decode(&tr, r.buf, r.len);
	assert_int_equal(r.bytes, r.len);
	assert_int_equal(r.events, 19); /* 18 events and a loss */
	assert_true(tr.sysinfo);

	/* every event and the loss, in order, at its time, named; a syscall's
	 * slice ends after its latency on the same track */
	g = unit_open_mem(&m);
	c = tape_cursor__new(&g, 1, NULL);
	while (tape_cursor__next(c, &ev) == 1) {
		const struct tev *e;

		while (i < tr.n && tr.ev[i].type == 2) {
			i++;
			ends++;
		}
		assert_true(i < tr.n);
		e = &tr.ev[i++];
		assert_int_equal(e->ts, ev->ts);
		if (ev->type == TAPE_TYPE_LOSS) {
			assert_string_equal(e->name, "events lost");
			assert_int_equal(e->type, 3);
			assert_int_equal(e->count, ev->values[TAPE_LOSS_COUNT].u);
			assert_int_equal(e->first_ts, ev->values[TAPE_LOSS_FIRST_TS].u);
			assert_int_equal(e->last_ts, ev->values[TAPE_LOSS_LAST_TS].u);
			assert_int_equal(e->count, 1234);
			continue;
		}
		if (!strcmp(ev->tp->name, "syscall")) {
			uint64_t lat, nr;
			bool ended = false;

			assert_int_equal(tape_event__uint_by_name(ev, "latency", &lat), 0);
			assert_int_equal(tape_event__uint_by_name(ev, "nr", &nr), 0);
			assert_int_equal(e->type, 1);
			/* the slice is named by the syscall */
			assert_string_equal(e->name, nr == 0   ? "read"
						     : nr == 1 ? "write"
							       : "openat");
			for (size_t k = i; k < tr.n; k++)
				if (tr.ev[k].type == 2 && tr.ev[k].track == e->track) {
					assert_int_equal(tr.ev[k].ts, ev->ts + lat);
					ended = true;
					break;
				}
			assert_true(ended);
		} else {
			assert_int_equal(e->type, 3);
			assert_string_equal(e->name, ev->tp->name);
		}
		/* on its thread's track */
		assert_true(ev->tid < MAXN && tr.thread_track[ev->tid]);
		assert_int_equal(e->track, tr.thread_track[ev->tid]);
	}
	while (i < tr.n && tr.ev[i].type == 2) {
		i++;
		ends++;
	}
	assert_int_equal(i, tr.n);
	assert_int_equal(ends, 3);
	/* processes with their threads */
	assert_true(tr.process_track[100] && tr.process_track[200]);
	assert_true(tr.thread_track[201] && tr.thread_track[201] != tr.thread_track[200]);

	tape_cursor__free(c);
	tape_reader__free(g);
	run_free(&r);
	free(m.data);
}

static const struct tape_field switch_f[] = {
	{"prev_pid", TAPE_U32, 0, NULL},   {"prev_comm", TAPE_STR, 0, NULL},
	{"prev_state", TAPE_U64, 0, NULL}, {"next_pid", TAPE_U32, 0, NULL},
	{"next_comm", TAPE_STR, 0, NULL},
};

static int write_switches(struct tape_writer *w)
{
	static const struct tape_type t = {0, "sched_switch", "", "", 5, switch_f};
	int id = tape_writer__add_type(w, &t);

	if (id < 0)
		return id;
	for (uint32_t i = 0; i < 3; i++) {
		union tape_value v[] = {GV_U(10 + i), GV_B("a", 1), GV_U(1), GV_U(11 + i),
					GV_B("b", 1)};
		struct tape_event ev = {.ts = 1000 + i,
					.pid = 10 + i,
					.tid = 10 + i,
					.cpu = 3,
					.type = (uint16_t)id,
					.comm = "a",
					.values = v};
		int rc = tape_writer__append(w, &ev);

		if (rc)
			return rc;
	}
	return tape_writer__finish(w);
}

/* Scheduler switches: one ftrace bundle for their cpu, with the next
 * tasks' pids; no track events. */
static void test_switches(void **state)
{
	struct golden_mem m;
	struct run r = {0};

	(void)state;
	assert_int_equal(golden_write_mem(&m, write_switches), 0);
	write_trace(&r, &m);
	decode(&tr, r.buf, r.len);
	assert_int_equal(r.events, 3);
	assert_int_equal(tr.bundles, 1);
	assert_int_equal(tr.bundle_cpu, 3);
	assert_int_equal(tr.nbundle_pids, 3);
	assert_int_equal(tr.bundle_pids[0], 11);
	assert_int_equal(tr.bundle_pids[2], 13);
	assert_int_equal(tr.n, 0);
	run_free(&r);
	free(m.data);
}

/* No events: a trace of its head alone, still well-formed. */
static void test_empty(void **state)
{
	struct golden_mem m;
	struct run r = {0};

	(void)state;
	assert_int_equal(golden_write_mem(&m, tape_writer__finish), 0);
	write_trace(&r, &m);
	decode(&tr, r.buf, r.len);
	assert_int_equal(r.events, 0);
	assert_int_equal(tr.n, 0);
	assert_int_equal(r.bytes, r.len);
	run_free(&r);
	free(m.data);
	perfetto__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
