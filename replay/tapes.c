// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "predicate.h"
#include <bpftape/tape_proctab.h>
#include "tapes.h"

int tapes__open(char *const *paths, size_t n, struct tape_reader ***out, char *err, size_t errlen)
{
	struct tape_reader **r = calloc(n ? n : 1, sizeof(*r));
	char why[256];

	*out = NULL;
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		why[0] = '\0';
		r[i] = tape_reader__open(paths[i], why, sizeof(why));
		if (!r[i]) {
			int rc = -errno;

			snprintf(err, errlen, "%s: %s", paths[i], why[0] ? why : "cannot open");
			tapes__close(r, i);
			return rc ? rc : -EINVAL;
		}
	}
	*out = r;
	return 0;
}

void tapes__close(struct tape_reader **readers, size_t n)
{
	if (!readers)
		return;
	for (size_t i = 0; i < n; i++)
		tape_reader__free(readers[i]);
	free(readers);
}

struct tapes_merge {
	struct tape_cursor **cur;
	size_t ncur;
	int64_t *off;
	bool by_wall;
	const struct tape_event **head; /* per cursor: its next event, or NULL */
	size_t last;			/* cursor whose head was handed out */
	bool handed;
	struct tape_event out;
	char errmsg[512];
	unsigned errsrc;
};

void tapes_merge__free(struct tapes_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ncur; i++)
		tape_cursor__free(m->cur[i]);
	free(m->cur);
	free(m->off);
	free(m->head);
	free(m);
}

struct tapes_merge *tapes_merge__new(struct tape_reader *const *readers, size_t n,
				     const struct tape_select *sel, const uint64_t *since,
				     const uint64_t *until)
{
	struct tapes_merge *m = calloc(1, sizeof(*m));
	struct tape_select one = {.sz = sizeof(one)};
	bool all_clock = n > 1;
	int err = ENOMEM;

	if (!m)
		goto fail;
	m->off = calloc(n ? n : 1, sizeof(*m->off));
	m->cur = calloc(n ? n : 1, sizeof(*m->cur));
	m->head = calloc(n ? n : 1, sizeof(*m->head));
	if (!m->off || !m->cur || !m->head)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (pred_clock_offset(readers[i], &m->off[i]))
			all_clock = false;
	for (size_t i = 1; all_clock && i < n; i++)
		if (m->off[i] != m->off[0])
			m->by_wall = true;
	if (sel)
		one = *sel;
	if (!m->by_wall) {
		/* one clock: the library merges, within the widest per-tape bounds */
		memset(m->off, 0, (n ? n : 1) * sizeof(*m->off));
		for (size_t i = 0; i < n; i++) {
			if (since && (!i || since[i] < one.since))
				one.since = since[i];
			if (until && (!i || !until[i] || (one.until && until[i] > one.until)))
				one.until = until[i];
		}
		m->cur[0] = tape_cursor__new(readers, n, &one);
		if (!m->cur[0]) {
			err = errno;
			goto fail;
		}
		m->ncur = 1;
		return m;
	}
	for (size_t i = 0; i < n; i++) {
		struct tape_select s = one;

		if (since)
			s.since = since[i];
		if (until)
			s.until = until[i];
		m->cur[i] = tape_cursor__new(&readers[i], 1, &s);
		if (!m->cur[i]) {
			err = errno;
			goto fail;
		}
		m->ncur = i + 1;
	}
	return m;
fail:
	tapes_merge__free(m);
	errno = err;
	return NULL;
}

int tapes_merge__next(struct tapes_merge *m, const struct tape_event **ev)
{
	size_t best = SIZE_MAX;
	int64_t best_t = 0;

	if (!m->by_wall) {
		int rc = tape_cursor__next(m->cur[0], ev);

		if (rc < 0) {
			snprintf(m->errmsg, sizeof(m->errmsg), "%s",
				 tape_cursor__errmsg(m->cur[0]));
			m->errsrc = (unsigned)tape_cursor__errsrc(m->cur[0]);
		}
		return rc;
	}
	if (m->handed) {
		m->head[m->last] = NULL;
		m->handed = false;
	}
	for (size_t i = 0; i < m->ncur; i++) {
		int64_t t;

		if (!m->head[i]) {
			int rc = tape_cursor__next(m->cur[i], &m->head[i]);

			if (rc < 0) {
				m->head[i] = NULL;
				snprintf(m->errmsg, sizeof(m->errmsg), "%s",
					 tape_cursor__errmsg(m->cur[i]));
				m->errsrc = (unsigned)i;
				return rc;
			}
			if (!rc) {
				m->head[i] = NULL;
				continue;
			}
		}
		t = (int64_t)m->head[i]->ts + m->off[i];
		if (best == SIZE_MAX || t < best_t) {
			best = i;
			best_t = t;
		}
	}
	if (best == SIZE_MAX)
		return 0;
	m->out = *m->head[best];
	m->out.source = (uint32_t)best;
	m->last = best;
	m->handed = true;
	*ev = &m->out;
	return 1;
}

const char *tapes_merge__errmsg(const struct tapes_merge *m)
{
	return m->errmsg;
}

unsigned tapes_merge__errsrc(const struct tapes_merge *m)
{
	return m->errsrc;
}

void tapes_merge__stats(const struct tapes_merge *m, struct tape_cursor_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < m->ncur; i++) {
		struct tape_cursor_stats s;

		tape_cursor__stats(m->cur[i], &s);
		st->chunks_read += s.chunks_read;
		st->chunks_skipped += s.chunks_skipped;
		st->bytes_read += s.bytes_read;
	}
}

bool tapes_merge__by_wall(const struct tapes_merge *m)
{
	return m->by_wall;
}

int64_t tapes_merge__offset(const struct tapes_merge *m, unsigned src)
{
	return m->by_wall && src < m->ncur ? m->off[src] : 0;
}

struct tapes_merge *tapes_merge__new_pred(struct tape_reader *const *readers, size_t n,
					  const struct predicate *pred, bool lifecycle)
{
	uint64_t *since = calloc(n ? n : 1, sizeof(*since));
	uint64_t *until = calloc(n ? n : 1, sizeof(*until));
	struct tapes_merge *m = NULL;

	if (since && until) {
		for (size_t s = 0; s < n; s++)
			predicate__range(pred, (unsigned)s, &since[s], &until[s]);
		m = tapes_merge__new(readers, n,
				     lifecycle ? predicate__select_lifecycle(pred)
					       : predicate__select(pred),
				     since, until);
	} else {
		errno = ENOMEM;
	}
	free(since);
	free(until);
	return m;
}

struct snap_order {
	size_t idx;
	int64_t start;
};

static int snap_cmp(const void *a, const void *b)
{
	const struct snap_order *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int tapes__load_snapshots(struct tape_reader *const *readers, size_t n, struct tape_proctab *pt)
{
	struct snap_order *o = calloc(n ? n : 1, sizeof(*o));
	int rc = 0;

	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int64_t off = 0;

		pred_clock_offset(readers[i], &off);
		o[i].idx = i;
		o[i].start = (int64_t)tape_reader__min_ts(readers[i]) + off;
	}
	qsort(o, n, sizeof(*o), snap_cmp);
	for (size_t i = 0; i < n && !rc; i++)
		rc = tape_proctab__load_snapshot(pt, readers[o[i].idx]);
	free(o);
	return rc;
}

int tapes__apply(struct tapes *t, const struct tape_event *ev)
{
	return ev->source < t->n ? tape_proctab__apply(t->src_pt[ev->source], ev) : 0;
}

int tapes__proc_prefix(struct tapes *t)
{
	static const char *const lc[] = {"fork", "exec", "exit"};
	struct tape_select sel = {.sz = sizeof(sel)};
	struct tapes_merge *cur;
	const struct tape_event *ev;
	uint64_t *until = calloc(t->n ? t->n : 1, sizeof(*until));
	int rc = 0;

	if (!until)
		return -ENOMEM;
	for (size_t s = 0; s < t->n; s++) {
		uint64_t a, b;

		predicate__range(t->pred, (unsigned)s, &a, &b);
		if (a <= 1) {
			free(until);
			return 0;
		}
		until[s] = a - 1;
	}
	sel.types = lc;
	sel.ntypes = 3;
	sel.no_losses = true;
	cur = tapes_merge__new(t->readers, t->n, &sel, NULL, until);
	free(until);
	if (!cur)
		return -errno;
	for (;;) {
		int r = tapes_merge__next(cur, &ev);

		if (r < 0)
			continue; /* a bad chunk costs only its own state changes */
		if (!r)
			break;
		if ((rc = tapes__apply(t, ev)))
			break;
	}
	tapes_merge__free(cur);
	return rc;
}

/* A tape's host: its host.name, or the older hostname key; "" if none. */
static const char *host_of(const struct tape_reader *r)
{
	const char *v = tape_reader__meta(r, "host.name");

	if (!v)
		v = tape_reader__meta(r, "hostname");
	return v ? v : "";
}

/* Group the tapes by host and seed one process table per host with its
 * tapes' snapshots; with several hosts, also the table of them all (t->pt). */
static int hosts_setup(struct tapes *t)
{
	struct tape_reader **sub = calloc(t->n ? t->n : 1, sizeof(*sub));
	int rc = -ENOMEM;

	t->host_of = calloc(t->n ? t->n : 1, sizeof(*t->host_of));
	t->host_name = calloc(t->n ? t->n : 1, sizeof(*t->host_name));
	t->hosts = calloc(t->n ? t->n : 1, sizeof(*t->hosts));
	t->src_pt = calloc(t->n ? t->n : 1, sizeof(*t->src_pt));
	if (!sub || !t->host_of || !t->host_name || !t->hosts || !t->src_pt)
		goto out;
	for (size_t i = 0; i < t->n; i++) {
		const char *name = host_of(t->readers[i]);
		size_t h = 0;

		while (h < t->nhosts && strcmp(t->host_name[h], name))
			h++;
		if (h == t->nhosts)
			t->host_name[t->nhosts++] = name;
		t->host_of[i] = (unsigned)h;
	}
	if (!t->nhosts) /* no tapes: one empty table all the same */
		t->nhosts = 1;
	for (size_t h = 0; h < t->nhosts; h++) {
		size_t k = 0;

		t->hosts[h] = tape_proctab__new();
		if (!t->hosts[h])
			goto out;
		for (size_t i = 0; i < t->n; i++)
			if (t->host_of[i] == h)
				sub[k++] = t->readers[i];
		if (tapes__load_snapshots(sub, k, t->hosts[h]))
			goto out;
	}
	for (size_t i = 0; i < t->n; i++)
		t->src_pt[i] = t->hosts[t->host_of[i]];
	predicate__set_procs(t->pred, t->src_pt, t->n);
	if (t->nhosts == 1) {
		t->pt = t->hosts[0];
	} else {
		t->pt = tape_proctab__new();
		if (!t->pt || tapes__load_snapshots(t->readers, t->n, t->pt))
			goto out;
	}
	rc = 0;
out:
	free(sub);
	return rc;
}

/* A time or an expression that is malformed is wrong whatever the tapes
 * hold: say so before a tape is opened (a missing file would hide it). */
static int selection_form(const struct pred_opts *po, char *err, size_t errlen)
{
	struct pred_opts times = {.since = po->since, .until = po->until};
	struct predicate *p;
	char why[256];

	if (po->since || po->until) {
		/* over no tapes: only the form of the times is checked */
		p = predicate__new(&times, NULL, 0, err, errlen);
		if (!p)
			return errno ? -errno : -EINVAL;
		predicate__free(p);
	}
	if (po->expr) {
		struct expr *e = expr__compile(po->expr, why, sizeof(why));

		if (!e) {
			int rc = errno ? -errno : -EINVAL;

			snprintf(err, errlen, "-f: %s", why);
			return rc;
		}
		expr__free(e);
	}
	return 0;
}

int tapes__setup(struct tapes *t, char *const *paths, size_t n, const struct pred_opts *po,
		 char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = selection_form(po, err, errlen))) {
		t->bad_selection = rc != -ENOMEM;
		return rc;
	}
	rc = tapes__open(paths, n, &t->readers, err, errlen);
	if (rc)
		return rc;
	t->n = n;
	t->pred = predicate__new(po, t->readers, n, err, errlen);
	if (!t->pred) {
		rc = errno ? -errno : -EINVAL;
		t->bad_selection = rc != -ENOMEM;
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	if (hosts_setup(t)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->cur = tapes_merge__new_pred(t->readers, n, t->pred, true);
	if (!t->cur) {
		rc = -errno;
		snprintf(err, errlen, "cannot iterate: %s", strerror(errno));
		return rc ? rc : -ENOMEM;
	}
	return 0;
}

void tapes__teardown(struct tapes *t)
{
	tapes_merge__free(t->cur);
	if (t->hosts && t->pt != t->hosts[0])
		tape_proctab__free(t->pt);
	for (size_t h = 0; h < t->nhosts; h++)
		tape_proctab__free(t->hosts[h]);
	free(t->hosts);
	free(t->host_name);
	free(t->host_of);
	free(t->src_pt);
	predicate__free(t->pred);
	tapes__close(t->readers, t->n);
	memset(t, 0, sizeof(*t));
}

size_t tapes__damage(const struct tape_reader *r, const char *path, size_t from,
		     tapes_damage_fn *fn, void *ctx)
{
	size_t n = tape_reader__problem_count(r);

	for (size_t i = from; fn && i < n; i++)
		fn(ctx, path, tape_reader__problem(r, i));
	return n > from ? n - from : 0;
}
