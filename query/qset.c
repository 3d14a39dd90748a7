// SPDX-License-Identifier: MIT
/* A set of open tapes shared by the tables of one connection (see qtab.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape_proctab.h>
#include "qtab_int.h"

struct qset *qset__open(const char *const *paths, size_t n, char *err, size_t errlen)
{
	struct qset *s;
	char rerr[512];

	if (!n) {
		snprintf(err, errlen, "no tape given");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->refs = 1;
	pthread_mutex_init(&s->damage_mu, NULL);
	s->n = n;
	s->tapes = calloc(n, sizeof(*s->tapes));
	s->readers = calloc(n, sizeof(*s->readers));
	if (!s->tapes || !s->readers)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct qtape *t = &s->tapes[i];
		const char *v;

		rerr[0] = '\0';
		s->readers[i] = tape_reader__open(paths[i], rerr, sizeof(rerr));
		if (!s->readers[i]) {
			int e = errno ? errno : EINVAL;

			snprintf(err, errlen, "%s: %s", paths[i], rerr[0] ? rerr : strerror(e));
			qset__put(s);
			errno = e;
			return NULL;
		}
		t->path = strdup(paths[i]);
		if (!t->path)
			goto nomem;
		v = tape_reader__meta(s->readers[i], "host.name");
		if (!v)
			v = tape_reader__meta(s->readers[i], "hostname");
		t->host = v ? v : "";
		v = tape_reader__meta(s->readers[i], "clock.boottime_to_realtime_ns");
		if (v && *v) {
			char *end;

			errno = 0;
			t->rt_off = strtoll(v, &end, 10);
			t->has_rt = !errno && !*end;
		}
	}
	return s;
nomem:
	snprintf(err, errlen, "out of memory");
	qset__put(s);
	errno = ENOMEM;
	return NULL;
}

struct qset *qset__get(struct qset *s)
{
	if (s)
		s->refs++;
	return s;
}

void qset__put(struct qset *s)
{
	if (!s || --s->refs > 0)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->tapes) {
			free(s->tapes[i].path);
			tape_proctab__free(s->tapes[i].procs);
			free(s->tapes[i].chunk_ck);
		}
		if (s->readers)
			tape_reader__free(s->readers[i]);
	}
	for (size_t i = 0; i < s->comm_slots; i++)
		free(s->comms[i]);
	free(s->comms);
	for (size_t i = 0; i < s->ndamage; i++)
		free(s->damage[i]);
	free(s->damage);
	pthread_mutex_destroy(&s->damage_mu);
	free(s->tapes);
	free(s->readers);
	free(s);
}

void qset__skip_damage(struct qset *s)
{
	s->skip_damage = true;
}

int qset__damage_add(struct qset *s, size_t i, const char *msg)
{
	char *m = NULL, **nd;
	int ret = -ENOMEM;

	if (asprintf(&m, "%s: %s", s->tapes[i].path, msg) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&s->damage_mu);
	/* a query may read a chunk many times (a pass per type, a join) */
	for (size_t k = 0; k < s->ndamage; k++)
		if (!strcmp(s->damage[k], m)) {
			ret = 0;
			goto out;
		}
	nd = realloc(s->damage, (s->ndamage + 1) * sizeof(*nd));
	if (nd) {
		s->damage = nd;
		s->damage[s->ndamage++] = m;
		m = NULL;
		ret = 0;
	}
out:
	pthread_mutex_unlock(&s->damage_mu);
	free(m);
	return ret;
}

size_t qset__damage_count(struct qset *s)
{
	size_t n;

	pthread_mutex_lock(&s->damage_mu);
	n = s->ndamage;
	pthread_mutex_unlock(&s->damage_mu);
	return n;
}

const char *qset__damage_at(struct qset *s, size_t i)
{
	const char *m;

	pthread_mutex_lock(&s->damage_mu);
	m = i < s->ndamage ? s->damage[i] : NULL;
	pthread_mutex_unlock(&s->damage_mu);
	return m;
}

int qset__chunk_ok(struct qset *s, size_t i, size_t c, char *err, size_t errlen)
{
	struct qtape *t = &s->tapes[i];
	struct tape_reader *r = s->readers[i];
	int ret;

	if (!t->chunk_ck) {
		t->chunk_ck = calloc(tape_reader__chunk_count(r) + 1, 1);
		if (!t->chunk_ck)
			return -ENOMEM;
	}
	if (t->chunk_ck[c]) {
		if (t->chunk_ck[c] == 2) {
			struct tape_chunk_info ci;

			tape_reader__chunk(r, c, &ci);
			snprintf(err, errlen, "chunk at offset %llu: damaged",
				 (unsigned long long)ci.offset);
		}
		return t->chunk_ck[c] == 1;
	}
	ret = tape_reader__check_chunk(r, c, err, errlen);
	if (ret && ret != -EBADMSG)
		return ret;
	t->chunk_ck[c] = ret ? 2 : 1;
	if (ret && s->skip_damage && (ret = qset__damage_add(s, i, err)))
		return ret;
	return t->chunk_ck[c] == 1;
}

#define MAX_COMMS 65536

static size_t comm_hash(const char *p, size_t len)
{
	size_t h = 5381;

	for (size_t i = 0; i < len; i++)
		h = h * 33 + (unsigned char)p[i];
	return h;
}

static int comms_grow(struct qset *s)
{
	size_t n = s->comm_slots ? s->comm_slots * 2 : 256;
	char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->comm_slots; i++) {
		char *c = s->comms[i];
		size_t h;

		if (!c)
			continue;
		for (h = comm_hash(c, strlen(c)) & (n - 1); slots[h]; h = (h + 1) & (n - 1))
			;
		slots[h] = c;
	}
	free(s->comms);
	s->comms = slots;
	s->comm_slots = n;
	return 0;
}

const char *qset__intern_comm(struct qset *s, const char *comm, size_t len)
{
	size_t h;
	char *c;

	if (s->ncomms * 2 >= s->comm_slots) {
		if (s->ncomms >= MAX_COMMS || comms_grow(s))
			return NULL;
	}
	for (h = comm_hash(comm, len) & (s->comm_slots - 1); (c = s->comms[h]);
	     h = (h + 1) & (s->comm_slots - 1))
		if (!strncmp(c, comm, len) && !c[len])
			return c;
	c = strndup(comm, len);
	if (!c)
		return NULL;
	s->comms[h] = c;
	s->ncomms++;
	return c;
}

size_t qset__count(const struct qset *s)
{
	return s->n;
}

struct tape_reader *qset__reader(const struct qset *s, size_t i)
{
	return s->readers[i];
}

const char *qset__path(const struct qset *s, size_t i)
{
	return s->tapes[i].path;
}

const char *qset__host(const struct qset *s, size_t i)
{
	return s->tapes[i].host;
}

uint64_t qset__event_count(const struct qset *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += tape_reader__event_count(s->readers[i]);
	return n;
}

double qset__type_pass_factor(const struct qset *s)
{
	double all = 0, passes = 0;

	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < tape_reader__chunk_count(s->readers[i]); k++) {
			struct tape_chunk_info ci;

			if (tape_reader__chunk(s->readers[i], k, &ci))
				continue;
			all += ci.count;
			passes += (double)ci.count * ci.ntypes;
		}
	}
	return all ? passes / all : 1;
}

int qset__proctab_begin(struct qset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct qtape *t = &s->tapes[i];
		int err;

		tape_proctab__free(t->procs);
		t->procs_ready = false;
		t->procs = tape_proctab__new();
		if (!t->procs)
			return -ENOMEM;
		err = tape_proctab__load_snapshot(t->procs, s->readers[i]);
		if (err)
			return err;
	}
	return 0;
}

void qset__proctab_end(struct qset *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->tapes[i].procs_ready = s->tapes[i].procs != NULL;
}

/* The events that make and change processes; the index lets the cursor
 * skip every chunk without one. */
static const char *const lifecycle_types[] = {"fork", "exec", "exit"};
#define NLIFECYCLE (sizeof(lifecycle_types) / sizeof(lifecycle_types[0]))

static bool is_lifecycle(const struct tape_event *ev)
{
	for (size_t i = 0; ev->tp && i < NLIFECYCLE; i++)
		if (!strcmp(ev->tp->name, lifecycle_types[i]))
			return true;
	return false;
}

/*
 * Both ways to the table (import's one pass over every event, a query's
 * pass over the lifecycle chunks) come through here, so that `processes`
 * has the same rows in a tape and in its imported database.  An ordinary
 * event would add its pid by comm alone, with a parent and uid nobody
 * recorded; the table is the snapshot and what fork/exec/exit say.
 */
static int proctab_apply(struct qtape *t, const struct tape_event *ev)
{
	return t->procs && is_lifecycle(ev) ? tape_proctab__apply(t->procs, ev) : 0;
}

int qset__proctab_apply(struct qset *s, const struct tape_event *ev)
{
	return ev->source < s->n ? proctab_apply(&s->tapes[ev->source], ev) : 0;
}

/*
 * The snapshot plus the lifecycle events, read from the chunks that hold
 * some.  Built once per set, then cached.
 */
int qset__proctab(struct qset *s, size_t i, const struct tape_proctab **out, char *err,
		  size_t errlen)
{
	struct tape_cursor *c = NULL;
	struct tape_reader *r = s->readers[i];
	struct qtape *t = &s->tapes[i];
	struct tape_select sel = {.sz = sizeof(sel),
				  .types = lifecycle_types,
				  .ntypes = NLIFECYCLE,
				  .no_losses = true};
	const struct tape_event *ev;
	int ret;

	if (t->procs_ready) {
		*out = t->procs;
		return 0;
	}
	tape_proctab__free(t->procs);
	t->procs = tape_proctab__new();
	if (!t->procs) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	ret = tape_proctab__load_snapshot(t->procs, r);
	if (ret) {
		snprintf(err, errlen, "%s: process snapshot: %s", t->path, strerror(-ret));
		goto cleanup;
	}
	c = tape_cursor__new(&r, 1, &sel);
	if (!c) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
		goto cleanup;
	}
	while ((ret = tape_cursor__next(c, &ev)) != 0) {
		if (ret < 0 && s->skip_damage) {
			/* the processes of what is intact */
			if ((ret = qset__damage_add(s, i, tape_cursor__errmsg(c))))
				break;
			continue;
		}
		if (ret < 0)
			break;
		/* this cursor reads tape @i alone: ev->source is 0 */
		ret = proctab_apply(t, ev);
		if (ret) {
			snprintf(err, errlen, "%s: process table: %s", t->path, strerror(-ret));
			goto cleanup;
		}
	}
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", t->path, tape_cursor__errmsg(c));
		goto cleanup;
	}
	t->procs_ready = true;
	*out = t->procs;
cleanup:
	tape_cursor__free(c);
	if (ret) {
		tape_proctab__free(t->procs);
		t->procs = NULL;
	}
	return ret;
}

void qset__take_stats(struct qset *s, struct tape_cursor_stats *st)
{
	*st = s->stats;
	memset(&s->stats, 0, sizeof(s->stats));
}

bool qset__time_offsets(const struct qset *s, int64_t *min, int64_t *max)
{
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		if (!s->tapes[i].has_rt)
			continue;
		if (!any || s->tapes[i].rt_off < *min)
			*min = s->tapes[i].rt_off;
		if (!any || s->tapes[i].rt_off > *max)
			*max = s->tapes[i].rt_off;
		any = true;
	}
	return any;
}
