// SPDX-License-Identifier: MIT
/* The rows of the SQL tables, streamed from the tapes (see qtab.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "private/grow.h"
#include <bpftape/tape_proctab.h>
#include "qtab_int.h"

/* Per (table, tape type): the field index of each slot, -1 if absent.
 * Tapes are matched by field name, so each tape's field order may differ. */
struct qmap {
	const struct qtable *t;
	const struct tape_type *tp;
	int8_t field[TAPE_MAX_FIELDS];
};

/* The last display text of one field: flags, enums and addresses repeat,
 * and formatting them is most of what a row costs. */
#define DCACHE_SLOTS 64
#define DCACHE_KEY   32
#define DCACHE_TEXT  96

struct dcache {
	const struct tape_type *tp;
	unsigned idx;
	uint32_t keylen; /* bytes of @key used; for ints 8 */
	uint8_t key[DCACHE_KEY];
	int len;
	char text[DCACHE_TEXT];
};

struct qscan {
	struct qset *set;
	const struct qtable *t;
	int64_t rowid;
	char err[512];

	/* the tapes @f lets through, and each cursor source's tape */
	bool *tape_ok;
	size_t *srcmap;
	struct tape_reader **readers;
	size_t ev_tape;

	/* event tables */
	struct tape_cursor *cur;
	const struct tape_event *ev;
	struct tape_select sel;
	uint32_t *pids, *tids;
	char **types; /* owned copies: the cursor keeps pointing at them */
	size_t ntypes;
	bool done;
	struct qmap *maps;
	size_t nmaps, capmaps;
	size_t last_map;

	/* events from the index: @left rows of type @names[@name] in chunk
	 * @chunk of tape @tape */
	bool index_only;
	char **names;
	size_t nnames, name, chunk;
	uint32_t left;
	/* events by type: the cursor reads type @names[@name] */
	bool by_type;

	/* other tables: row @row of tape @tape */
	size_t tape, row;
	const struct tape_proctab *procs;
	const struct tape_type *tp; /* types: current type */
	int field;		    /* types: current field, -1 for a type without fields */
	/* frames: frame @depth of stack @stack_id, the @row-th of tape @tape */
	uint32_t stack_id, want_stack;
	const struct tape_frame *frames;
	size_t nframes, depth;

	struct dcache *dcache; /* DCACHE_SLOTS, allocated on first use */
	char *jb;	       /* events.args */
	size_t jcap;
	/* text built for a column */
	char *buf;
	size_t cap;
	/* wall-clock second last formatted, per tape */
	int64_t time_sec;
	size_t time_tape;
	size_t time_len;
	char time_prefix[32];
};

void qfilter__reset(struct qfilter *f)
{
	for (size_t i = 0; i < f->nfiles; i++)
		free(f->files[i]);
	for (size_t i = 0; i < f->nhosts; i++)
		free(f->hosts[i]);
	free(f->files);
	free(f->hosts);
	for (size_t i = 0; i < f->ntypes; i++)
		free(f->types[i]);
	free(f->pids);
	free(f->tids);
	free(f->types);
	memset(f, 0, sizeof(*f));
}

static int add_u32(uint32_t **arr, size_t *n, uint32_t v)
{
	uint32_t *a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

int qfilter__add_pid(struct qfilter *f, uint32_t pid)
{
	return add_u32(&f->pids, &f->npids, pid);
}

int qfilter__add_tid(struct qfilter *f, uint32_t tid)
{
	return add_u32(&f->tids, &f->ntids, tid);
}

static int add_str(char ***arr, size_t *n, const char *v)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	*arr = a;
	a[*n] = strdup(v);
	if (!a[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int qfilter__add_type(struct qfilter *f, const char *type)
{
	return add_str(&f->types, &f->ntypes, type);
}

int qfilter__add_file(struct qfilter *f, const char *path)
{
	return add_str(&f->files, &f->nfiles, path);
}

int qfilter__add_host(struct qfilter *f, const char *host)
{
	return add_str(&f->hosts, &f->nhosts, host);
}

static bool listed(char **arr, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arr[i], v))
			return true;
	return false;
}

static bool is_event_table(const struct qtable *t)
{
	return t->kind == QT_EVENTS || t->kind == QT_TYPE;
}

static int add_type(struct qscan *s, const char *type)
{
	char **a = realloc(s->types, (s->ntypes + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	s->types = a;
	a[s->ntypes] = strdup(type);
	if (!a[s->ntypes])
		return -ENOMEM;
	s->ntypes++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The type names @f lets through, of every tape, sorted, in s->names. */
static int collect_names(struct qscan *s, const struct qfilter *f)
{
	size_t cap = 0, n = 0;

	for (size_t i = 0; i < qset__count(s->set); i++) {
		const struct tape_reader *r = qset__reader(s->set, i);

		for (unsigned id = 1; id <= tape_reader__max_type(r); id++) {
			const struct tape_type *tp = tape_reader__type(r, id);
			bool want = f->ntypes == 0;

			for (size_t k = 0; tp && k < f->ntypes; k++)
				want |= !strcmp(f->types[k], tp->name);
			if (!tp || !want)
				continue;
			if (array_grow(&s->names, &cap, s->nnames, sizeof(*s->names), 64))
				return -ENOMEM;
			s->names[s->nnames] = strdup(tp->name);
			if (!s->names[s->nnames])
				return -ENOMEM;
			s->nnames++;
		}
	}
	/* sorted, then the names several tapes share once (a tape with 65535
	 * types makes a quadratic search of the list too slow) */
	if (!s->nnames)
		return 0;
	qsort(s->names, s->nnames, sizeof(*s->names), name_cmp);
	for (size_t i = 0; i < s->nnames; i++) {
		if (n && !strcmp(s->names[n - 1], s->names[i]))
			free(s->names[i]);
		else
			s->names[n++] = s->names[i];
	}
	s->nnames = n;
	return 0;
}

/*
 * A chunk holding events of a type its tape's schema lacks (the schema
 * block was lost) returns none of them: a scan of every type reads it and
 * names it as damage.  The index rows, which walk the schema's types only,
 * would leave it out silently, so each such chunk is named here, as a scan
 * would.  0, or -EBADMSG with s->err when damage is not skipped.
 */
static int check_unknown_types(struct qscan *s)
{
	for (size_t i = 0; i < qset__count(s->set); i++) {
		const struct tape_reader *r = qset__reader(s->set, i);

		for (size_t c = 0; s->tape_ok[i] && c < tape_reader__chunk_count(r); c++) {
			struct tape_chunk_info ci;
			uint64_t known = 0;
			int ret;

			if (tape_reader__chunk(r, c, &ci))
				continue;
			for (unsigned id = 1; id <= tape_reader__max_type(r) && known < ci.count;
			     id++)
				if (tape_reader__type(r, id))
					known += tape_reader__chunk_type_count(r, c, id);
			if (known >= ci.count)
				continue;
			snprintf(s->err, sizeof(s->err),
				 "chunk at offset %llu: %llu event(s) of types not in the schema",
				 (unsigned long long)ci.offset,
				 (unsigned long long)(ci.count - known));
			if (!s->set->skip_damage) {
				char why[sizeof(s->err)];

				memcpy(why, s->err, sizeof(why));
				snprintf(s->err, sizeof(s->err), "%s: %s", qset__path(s->set, i),
					 why);
				return -EBADMSG;
			}
			if ((ret = qset__damage_add(s->set, i, s->err)))
				return ret;
			s->err[0] = 0;
		}
	}
	return 0;
}

static int scan_open_index(struct qscan *s, const struct qfilter *f)
{
	int ret;

	s->index_only = true;
	s->chunk = (size_t)-1;
	if (!f->ntypes && (ret = check_unknown_types(s)))
		return ret;
	return collect_names(s, f);
}

/* Next row of an index scan: walk types, then tapes, then chunks. */
static int next_index_row(struct qscan *s)
{
	while (s->name < s->nnames) {
		if (s->left) {
			s->left--;
			s->rowid++;
			return 1;
		}
		if (s->tape < qset__count(s->set)) {
			const struct tape_reader *r = qset__reader(s->set, s->tape);
			const struct tape_type *tp =
				s->tape_ok[s->tape]
					? tape_reader__type_by_name(r, s->names[s->name])
					: NULL;

			if (tp && ++s->chunk < tape_reader__chunk_count(r)) {
				int ok;

				s->left = tape_reader__chunk_type_count(r, s->chunk, tp->id);
				if (!s->left)
					continue;
				/* the index counts only what a scan could return */
				ok = qset__chunk_ok(s->set, s->tape, s->chunk, s->err,
						    sizeof(s->err));
				if (ok < 0)
					return ok;
				if (ok)
					continue;
				s->left = 0;
				if (!s->set->skip_damage) {
					char why[sizeof(s->err)];

					memcpy(why, s->err, sizeof(why));
					snprintf(s->err, sizeof(s->err), "%s: %s",
						 qset__path(s->set, s->tape), why);
					return -EBADMSG;
				}
				continue;
			}
			s->tape++;
			s->chunk = (size_t)-1;
			continue;
		}
		s->name++;
		s->tape = 0;
		s->chunk = (size_t)-1;
	}
	return 0;
}

static int open_cursor(struct qscan *s);

static int scan_open_events(struct qscan *s, const struct qfilter *f)
{
	const struct qtable *t = s->t;

	s->sel.sz = sizeof(s->sel);
	s->sel.no_losses = true;
	s->sel.no_fields = f && f->no_fields;
	if (f) {
		if (f->empty) {
			s->done = true;
			return 0;
		}
		if (f->index_only && t->kind == QT_EVENTS && !f->since && !f->until && !f->npids &&
		    !f->ntids)
			return scan_open_index(s, f);
		s->sel.since = f->since;
		s->sel.until = f->until;
		if (f->npids) {
			s->pids = malloc(f->npids * sizeof(*s->pids));
			if (!s->pids)
				return -ENOMEM;
			memcpy(s->pids, f->pids, f->npids * sizeof(*s->pids));
			s->sel.pids = s->pids;
			s->sel.npids = f->npids;
		}
		if (f->ntids) {
			s->tids = malloc(f->ntids * sizeof(*s->tids));
			if (!s->tids)
				return -ENOMEM;
			memcpy(s->tids, f->tids, f->ntids * sizeof(*s->tids));
			s->sel.tids = s->tids;
			s->sel.ntids = f->ntids;
		}
	}
	if (t->kind == QT_TYPE) {
		bool found = !f || !f->ntypes;

		for (size_t i = 0; f && i < f->ntypes; i++)
			found |= !strcmp(f->types[i], t->type_name);
		if (!found) {
			s->done = true;
			return 0;
		}
		if (add_type(s, t->type_name))
			return -ENOMEM;
	} else if (f) {
		for (size_t i = 0; i < f->ntypes; i++)
			if (add_type(s, f->types[i]))
				return -ENOMEM;
	}
	s->sel.types = (const char *const *)s->types;
	s->sel.ntypes = s->ntypes;
	if (f && f->by_type && t->kind == QT_EVENTS) {
		int ret = collect_names(s, f);

		if (ret)
			return ret;
		s->by_type = true;
		if (!s->nnames) {
			s->done = true;
			return 0;
		}
		s->sel.types = (const char *const *)&s->names[0];
		s->sel.ntypes = 1;
	}
	return open_cursor(s);
}

/* Add the counts of the cursor to the set's, and free it. */
static void close_cursor(struct qscan *s)
{
	struct tape_cursor_stats st;

	if (!s->cur)
		return;
	tape_cursor__stats(s->cur, &st);
	s->set->stats.chunks_read += st.chunks_read;
	s->set->stats.chunks_skipped += st.chunks_skipped;
	s->set->stats.bytes_read += st.bytes_read;
	tape_cursor__free(s->cur);
	s->cur = NULL;
}

/* A cursor for s->sel over the tapes the filter lets through. */
static int open_cursor(struct qscan *s)
{
	struct tape_reader **readers;
	size_t n;

	readers = s->readers;
	n = 0;
	for (size_t i = 0; i < qset__count(s->set); i++) {
		if (!s->tape_ok[i])
			continue;
		s->srcmap[n] = i;
		readers[n++] = qset__reader(s->set, i);
	}
	if (!n) {
		s->done = true;
		return 0;
	}
	s->cur = tape_cursor__new(readers, n, &s->sel);
	if (!s->cur) {
		snprintf(s->err, sizeof(s->err), "%s%s%s", n == 1 ? qset__path(s->set, 0) : "",
			 n == 1 ? ": " : "", strerror(errno));
		return -errno;
	}
	return 0;
}

struct qscan *qscan__new(struct qset *set, const struct qtable *t, const struct qfilter *f,
			 char *err, size_t errlen)
{
	struct qscan *s = calloc(1, sizeof(*s));
	int ret = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->set = qset__get(set);
	s->t = t;
	s->time_sec = -1;
	s->field = -1;
	s->tape_ok = calloc(qset__count(set) + 1, sizeof(*s->tape_ok));
	s->srcmap = calloc(qset__count(set) + 1, sizeof(*s->srcmap));
	s->readers = calloc(qset__count(set) + 1, sizeof(*s->readers));
	if (!s->tape_ok || !s->srcmap || !s->readers) {
		snprintf(err, errlen, "out of memory");
		qscan__free(s);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < qset__count(set); i++)
		s->tape_ok[i] =
			!f || ((!f->nfiles || listed(f->files, f->nfiles, qset__path(set, i))) &&
			       (!f->nhosts || listed(f->hosts, f->nhosts, qset__host(set, i))));
	if (is_event_table(t)) {
		ret = scan_open_events(s, f);
	} else if (t->kind == QT_PROCESSES && qset__count(set)) {
		ret = qset__proctab(set, 0, &s->procs, s->err, sizeof(s->err));
	} else if (t->kind == QT_FRAMES && f) {
		s->want_stack = f->stack_id;
		s->done = f->empty;
	}
	if (ret) {
		snprintf(err, errlen, "%s", s->err[0] ? s->err : strerror(-ret));
		qscan__free(s);
		errno = -ret;
		return NULL;
	}
	/* rows of non-event tables start before the first */
	s->row = (size_t)-1;
	return s;
}

void qscan__free(struct qscan *s)
{
	if (!s)
		return;
	close_cursor(s);
	free(s->pids);
	free(s->tids);
	for (size_t i = 0; i < s->ntypes; i++)
		free(s->types[i]);
	free(s->types);
	free(s->tape_ok);
	free(s->srcmap);
	free(s->readers);
	free(s->maps);
	free(s->dcache);
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s->jb);
	free(s->buf);
	qset__put(s->set);
	free(s);
}

const char *qscan__errmsg(const struct qscan *s)
{
	return s->err;
}

int64_t qscan__rowid(const struct qscan *s)
{
	return s->rowid;
}

const struct tape_event *qscan__event(const struct qscan *s)
{
	return s->ev;
}

/* The cursor's next event; a chunk that cannot be read is skipped and
 * recorded when the set skips damage. */
static int next_intact(struct qscan *s)
{
	int ret;

	while ((ret = tape_cursor__next(s->cur, &s->ev)) < 0 && ret != -ENOMEM &&
	       s->set->skip_damage) {
		int src = tape_cursor__errsrc(s->cur);

		ret = qset__damage_add(s->set, src >= 0 ? s->srcmap[src] : 0,
				       tape_cursor__errmsg(s->cur));
		if (ret)
			return ret;
	}
	return ret;
}

static int next_event(struct qscan *s)
{
	int ret;

	if (s->done)
		return 0;
	ret = next_intact(s);
	/* by type: the next type's pass */
	while (!ret && s->by_type && s->name + 1 < s->nnames) {
		close_cursor(s);
		s->sel.types = (const char *const *)&s->names[++s->name];
		ret = open_cursor(s);
		if (ret) {
			s->ev = NULL;
			s->done = true;
			return ret;
		}
		if (s->done)
			return 0;
		ret = next_intact(s);
	}
	if (ret > 0) {
		s->ev_tape = s->srcmap[s->ev->source];
		s->rowid++;
		return 1;
	}
	s->ev = NULL;
	s->done = true;
	if (ret < 0) {
		size_t n = qset__count(s->set);

		snprintf(s->err, sizeof(s->err), "%s%s%s", n == 1 ? qset__path(s->set, 0) : "",
			 n == 1 ? ": " : "", tape_cursor__errmsg(s->cur));
		return ret;
	}
	return 0;
}

static size_t rows_in(struct qscan *s, size_t tape)
{
	const struct tape_reader *r = qset__reader(s->set, tape);

	switch (s->t->kind) {
	case QT_PROCESSES:
		return s->procs ? tape_proctab__count(s->procs) : 0;
	case QT_LOSSES:
		return tape_reader__loss_count(r);
	case QT_META:
		return tape_reader__meta_count(r);
	default:
		return 0;
	}
}

/*
 * frames: one row per frame of every stack of every tape the filter lets
 * through, from the readers' stack tables (in memory since the tapes were
 * opened), or of the one stack the filter names.
 */
static int next_frame_row(struct qscan *s)
{
	if (s->done)
		return 0;
	if (s->frames && ++s->depth < s->nframes)
		return 1;
	s->frames = NULL;
	while (s->tape < qset__count(s->set)) {
		struct tape_reader *r = qset__reader(s->set, s->tape);
		size_t n = s->want_stack ? 1 : tape_reader__stack_count(r);

		/* s->row starts at (size_t)-1: the first stack is row 0 */
		while (s->tape_ok[s->tape] && ++s->row < n) {
			uint32_t id = s->want_stack ?: tape_reader__stack_id_at(r, s->row);

			if (tape_reader__stack(r, id, &s->frames, &s->nframes) || !s->nframes)
				continue;
			s->stack_id = id;
			s->depth = 0;
			return 1;
		}
		s->frames = NULL;
		s->tape++;
		s->row = (size_t)-1;
	}
	s->done = true;
	return 0;
}

/* types: one row per field, one for a type without fields. */
static int next_type_row(struct qscan *s)
{
	while (s->tape < qset__count(s->set)) {
		const struct tape_reader *r = qset__reader(s->set, s->tape);
		unsigned max = tape_reader__max_type(r);
		unsigned id = s->tp ? s->tp->id : 0;

		if (s->tp && s->field + 1 < (int)s->tp->nfields) {
			s->field++;
			return 1;
		}
		while (++id <= max) {
			s->tp = tape_reader__type(r, id);
			if (s->tp) {
				s->field = s->tp->nfields ? 0 : -1;
				return 1;
			}
		}
		s->tp = NULL;
		s->tape++;
	}
	return 0;
}

int qscan__next(struct qscan *s)
{
	int ret;

	if (s->index_only)
		return next_index_row(s);
	if (is_event_table(s->t))
		return next_event(s);
	if (s->t->kind == QT_TYPES) {
		ret = next_type_row(s);
		s->rowid += ret;
		return ret;
	}
	if (s->t->kind == QT_FRAMES) {
		ret = next_frame_row(s);
		s->rowid += ret;
		return ret;
	}
	s->row++;
	while (s->tape < qset__count(s->set)) {
		if (s->row < rows_in(s, s->tape)) {
			s->rowid++;
			return 1;
		}
		s->tape++;
		s->row = 0;
		if (s->tape < qset__count(s->set) && s->t->kind == QT_PROCESSES) {
			ret = qset__proctab(s->set, s->tape, &s->procs, s->err, sizeof(s->err));
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- column values ------------------------------------------------------ */

static int reserve(struct qscan *s, size_t need)
{
	char *nb;
	size_t nc;

	if (need <= s->cap)
		return 0;
	nc = s->cap ? s->cap : 256;
	while (nc < need)
		nc *= 2;
	nb = realloc(s->buf, nc);
	if (!nb)
		return -ENOMEM;
	s->buf = nb;
	s->cap = nc;
	return 0;
}

static void set_int(struct qval *v, int64_t i)
{
	v->t = QV_INT;
	v->tmp = false;
	v->i = i;
}

static void set_text(struct qval *v, const char *p, int n)
{
	v->t = QV_TEXT;
	v->tmp = false;
	v->stable = false;
	v->p = p;
	v->n = n < 0 ? (int)strlen(p) : n;
}

static void set_stable_text(struct qval *v, const char *p)
{
	set_text(v, p, -1);
	v->stable = true;
}

static void set_tmp_text(struct qval *v, const char *p, int n)
{
	set_text(v, p, n);
	v->tmp = true;
}

static void set_null(struct qval *v)
{
	v->t = QV_NULL;
	v->tmp = false;
}

/* ISO 8601 UTC with nanoseconds; gmtime only when the second changes. */
static void set_time(struct qscan *s, size_t tape, uint64_t ts, struct qval *v)
{
	const struct qtape *t = &s->set->tapes[tape];
	int64_t wall, sec, ns;

	if (!t->has_rt || !ts || reserve(s, 40)) {
		set_null(v);
		return;
	}
	wall = (int64_t)ts + t->rt_off;
	sec = wall / 1000000000;
	ns = wall % 1000000000;
	if (ns < 0) {
		ns += 1000000000;
		sec--;
	}
	if (sec != s->time_sec || tape != s->time_tape) {
		time_t tt = (time_t)sec;
		struct tm tm;

		if (!gmtime_r(&tt, &tm)) {
			set_null(v);
			return;
		}
		strftime(s->time_prefix, sizeof(s->time_prefix), "%Y-%m-%dT%H:%M:%S", &tm);
		s->time_sec = sec;
		s->time_tape = tape;
		s->time_len = strlen(s->time_prefix);
	}
	/* the prefix changes once a second; the nanoseconds by hand */
	char *o = s->buf;

	memcpy(o, s->time_prefix, s->time_len);
	o += s->time_len;
	*o++ = '.';
	for (int d = 8; d >= 0; d--) {
		o[d] = '0' + ns % 10;
		ns /= 10;
	}
	o += 9;
	*o++ = 'Z';
	*o = '\0';
	set_tmp_text(v, s->buf, (int)(o - s->buf));
}

static bool cacheable(const struct tape_field *f)
{
	switch (f->display) {
	case TAPE_DISP_ENUM:
	case TAPE_DISP_FLAGS:
	case TAPE_DISP_IPV4:
		return f->kind != TAPE_STR && f->kind != TAPE_BYTES;
	case TAPE_DISP_SOCKADDR:
	case TAPE_DISP_IPV6:
		return f->kind == TAPE_BYTES;
	default:
		return false;
	}
}

/* The display text of a field (tape_format_value(), the bytes as recorded:
 * SQL holds values, the output escapes them), in the scan's buffer.
 * Returns its length or -errno. */
static int field_text(struct qscan *s, const struct tape_type *tp, unsigned idx,
		      const union tape_value *val, const char **out)
{
	const struct tape_field *f = &tp->fields[idx];
	struct dcache *d = NULL;
	const void *key = &val->u;
	uint32_t keylen = 8;
	int n;

	if (reserve(s, 128))
		return -ENOMEM;
	*out = s->buf;
	if (cacheable(f)) {
		if (f->kind == TAPE_BYTES) {
			key = val->b.ptr;
			keylen = val->b.len;
		}
		if (keylen <= DCACHE_KEY) {
			if (!s->dcache)
				s->dcache = calloc(DCACHE_SLOTS, sizeof(*s->dcache));
			if (s->dcache) {
				uintptr_t h = ((uintptr_t)tp >> 4) * 31 + idx;

				d = &s->dcache[h % DCACHE_SLOTS];
				if (d->tp == tp && d->idx == idx && d->keylen == keylen &&
				    !memcmp(d->key, key, keylen)) {
					memcpy(s->buf, d->text, d->len + 1);
					return d->len;
				}
			}
		}
	}
	n = (int)tape_format_value(tp, idx, val, TAPE_ESC_RAW, s->buf, s->cap);
	if (n < 0)
		return n;
	if ((size_t)n >= s->cap) {
		if (reserve(s, (size_t)n + 1))
			return -ENOMEM;
		n = (int)tape_format_value(tp, idx, val, TAPE_ESC_RAW, s->buf, s->cap);
		*out = s->buf;
	}
	if (d && n < DCACHE_TEXT) {
		d->tp = tp;
		d->idx = idx;
		d->keylen = keylen;
		memcpy(d->key, key, keylen);
		d->len = n;
		memcpy(d->text, s->buf, n + 1);
	}
	return n;
}

/* ---- JSON for events.args ---- */

/* Built in its own buffer, so that field_text() can run meanwhile. */
struct jbuf {
	struct qscan *s;
	size_t len;
	int err;
};

static int j_reserve(struct jbuf *j, size_t need)
{
	struct qscan *s = j->s;
	char *nb;
	size_t nc;

	if (need <= s->jcap)
		return 0;
	nc = s->jcap ? s->jcap : 512;
	while (nc < need)
		nc *= 2;
	nb = realloc(s->jb, nc);
	if (!nb)
		return -ENOMEM;
	s->jb = nb;
	s->jcap = nc;
	return 0;
}

static void j_put(struct jbuf *j, const void *p, size_t n)
{
	if (j->err || (j->err = j_reserve(j, j->len + n + 1)))
		return;
	memcpy(j->s->jb + j->len, p, n);
	j->len += n;
}

static void j_ch(struct jbuf *j, char c)
{
	if (j->len + 1 < j->s->jcap) {
		j->s->jb[j->len++] = c;
		return;
	}
	j_put(j, &c, 1);
}

/* A JSON string of the bytes @p: format's renderer escapes them (tape.h,
 * TAPE_ESC_JSON), so the document is valid UTF-8 and the bytes come back. */
static void j_str(struct jbuf *j, const char *p, size_t n)
{
	ssize_t w;

	if (j->err || (j->err = j_reserve(j, j->len + n * TAPE_ESC_MAX + 3)))
		return;
	j->s->jb[j->len++] = '"';
	w = tape_escape(p, n, TAPE_ESC_JSON, j->s->jb + j->len, n * TAPE_ESC_MAX + 2);
	j->len += (size_t)(w > 0 ? w : 0);
	j->s->jb[j->len++] = '"';
}

static void j_u64(struct jbuf *j, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	j_put(j, tmp + sizeof(tmp) - n, n);
}

static void j_s64(struct jbuf *j, int64_t v)
{
	if (v < 0) {
		j_ch(j, '-');
		j_u64(j, (uint64_t)0 - (uint64_t)v);
	} else {
		j_u64(j, (uint64_t)v);
	}
}

/* The display text of a field as a JSON string. */
static void j_display(struct jbuf *j, const struct tape_type *tp, unsigned idx,
		      const union tape_value *val)
{
	size_t room = j->s->jcap > j->len ? j->s->jcap - j->len : 0;
	ssize_t n;

	if (j->err || (room < 256 && (j->err = j_reserve(j, j->len + 256))))
		return;
	room = j->s->jcap - j->len;
	j->s->jb[j->len++] = '"';
	n = tape_format_value(tp, idx, val, TAPE_ESC_JSON, j->s->jb + j->len, room - 2);
	if (n >= 0 && (size_t)n + 2 >= room - 1) {
		if ((j->err = j_reserve(j, j->len + (size_t)n + 3)))
			return;
		n = tape_format_value(tp, idx, val, TAPE_ESC_JSON, j->s->jb + j->len,
				      (size_t)n + 1);
	}
	j->len += (size_t)(n > 0 ? n : 0);
	j->s->jb[j->len++] = '"';
}

static void j_value(struct jbuf *j, const struct tape_type *tp, unsigned idx,
		    const union tape_value *val)
{
	const struct tape_field *f = &tp->fields[idx];
	static const char hex[] = "0123456789abcdef";

	switch (f->kind) {
	case TAPE_STR:
		j_str(j, val->b.ptr, val->b.len);
		return;
	case TAPE_BYTES:
		if (f->display == TAPE_DISP_ARGV) {
			const char *p = val->b.ptr, *end = p + val->b.len;
			bool first = true;

			j_ch(j, '[');
			while (p < end) {
				const char *z = memchr(p, '\0', end - p);
				size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

				if (!first)
					j_ch(j, ',');
				first = false;
				j_str(j, p, n);
				p += n + 1;
			}
			j_ch(j, ']');
		} else if (f->display != TAPE_DISP_DEFAULT) {
			j_display(j, tp, idx, val);
		} else {
			const uint8_t *p = val->b.ptr;

			j_ch(j, '"');
			for (uint32_t i = 0; i < val->b.len; i++) {
				j_ch(j, hex[p[i] >> 4]);
				j_ch(j, hex[p[i] & 15]);
			}
			j_ch(j, '"');
		}
		return;
	default:
		break;
	}
	switch (f->display) {
	case TAPE_DISP_ENUM:
	case TAPE_DISP_FLAGS:
	case TAPE_DISP_IPV4:
	case TAPE_DISP_SOCKADDR:
		j_display(j, tp, idx, val);
		return;
	default:
		break;
	}
	if (f->kind >= TAPE_S8 && f->kind <= TAPE_S64)
		j_s64(j, val->s);
	else
		j_u64(j, val->u);
}

static int set_args(struct qscan *s, const struct tape_event *ev, struct qval *v)
{
	const struct tape_type *tp = ev->tp;
	struct jbuf j = {.s = s};

	j_ch(&j, '{');
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		if (i)
			j_ch(&j, ',');
		j_str(&j, tp->fields[i].name, strlen(tp->fields[i].name));
		j_ch(&j, ':');
		j_value(&j, tp, i, &ev->values[i]);
	}
	j_ch(&j, '}');
	if (j.err)
		return j.err;
	set_tmp_text(v, s->jb, (int)j.len);
	return 0;
}

static struct qmap *find_map(struct qscan *s, const struct qtable *t, const struct tape_type *tp)
{
	struct qmap *m;

	if (s->last_map < s->nmaps && s->maps[s->last_map].t == t && s->maps[s->last_map].tp == tp)
		return &s->maps[s->last_map];
	for (size_t i = 0; i < s->nmaps; i++) {
		if (s->maps[i].t == t && s->maps[i].tp == tp) {
			s->last_map = i;
			return &s->maps[i];
		}
	}
	if (s->nmaps == s->capmaps) {
		size_t nc = s->capmaps ? s->capmaps * 2 : 8;
		struct qmap *nm = realloc(s->maps, nc * sizeof(*nm));

		if (!nm)
			return NULL;
		s->maps = nm;
		s->capmaps = nc;
	}
	m = &s->maps[s->nmaps];
	m->t = t;
	m->tp = tp;
	for (int i = 0; i < t->nslots; i++) {
		int idx = tape_type__field_index(tp, t->slots[i].field);

		m->field[i] = idx >= 0 ? idx : -1;
	}
	s->last_map = s->nmaps++;
	return m;
}

static int set_field(struct qscan *s, const struct qtable *t, const struct qcol *c,
		     const struct tape_event *ev, struct qval *v)
{
	const struct tape_type *tp = ev->tp;
	const union tape_value *val;
	const struct tape_field *f;
	struct qmap *m;
	int idx, n;

	if (!tp) {
		set_null(v);
		return 0;
	}
	m = find_map(s, t, tp);
	if (!m)
		return -ENOMEM;
	idx = m->field[c->slot];
	if (idx < 0) {
		set_null(v);
		return 0;
	}
	f = &tp->fields[idx];
	val = &ev->values[idx];
	if (c->src == QC_FIELD_STR && f->display == TAPE_DISP_ERRNO && f->kind >= TAPE_S8 &&
	    f->kind <= TAPE_S64) {
		/* the errno name alone, so that WHERE ret_str = 'ENOENT' reads
		 * naturally; NULL on success, like errno itself is meaningless */
		const char *name = val->s < 0 ? tape_errno_name((int)val->s) : NULL;

		if (name)
			set_text(v, name, -1);
		else if (val->s < 0 && reserve(s, 24) == 0)
			set_tmp_text(v, s->buf,
				     snprintf(s->buf, s->cap, "%lld", (long long)val->s));
		else
			set_null(v);
		return 0;
	}
	if (c->src == QC_FIELD_STR) {
		const char *text;

		n = field_text(s, tp, idx, val, &text);
		if (n < 0)
			return n;
		set_tmp_text(v, text, n);
		return 0;
	}
	switch (f->kind) {
	case TAPE_STR:
		set_text(v, val->b.ptr, val->b.len);
		break;
	case TAPE_BYTES:
		v->t = QV_BLOB;
		v->tmp = false;
		v->stable = false;
		v->p = val->b.ptr;
		v->n = val->b.len;
		break;
	case TAPE_S8:
	case TAPE_S16:
	case TAPE_S32:
	case TAPE_S64:
		set_int(v, val->s);
		break;
	default:
		/* u64 above INT64_MAX (addresses) keep their bits */
		set_int(v, (int64_t)val->u);
		break;
	}
	return 0;
}

static void set_origin(struct qscan *s, const struct qcol *c, size_t tape, struct qval *v)
{
	if (tape >= qset__count(s->set)) {
		set_null(v);
		return;
	}
	if (c->src == QC_HOST)
		set_stable_text(v, qset__host(s->set, tape));
	else
		set_stable_text(v, qset__path(s->set, tape));
}

static int event_column(struct qscan *s, const struct qtable *t, int col, struct qval *v)
{
	const struct tape_event *ev = s->ev;
	const struct qcol *c = &t->cols[col];

	if (!ev) {
		set_null(v);
		return 0;
	}
	switch (c->src) {
	case QC_TS:
		set_int(v, (int64_t)ev->ts);
		return 0;
	case QC_TIME:
		set_time(s, s->ev_tape, ev->ts, v);
		return 0;
	case QC_CPU:
		set_int(v, ev->cpu);
		return 0;
	case QC_PID:
		set_int(v, ev->pid);
		return 0;
	case QC_TID:
		set_int(v, ev->tid);
		return 0;
	case QC_COMM: {
		const char *comm = ev->comm ? ev->comm : "";
		size_t len = strnlen(comm, TAPE_COMM_LEN);
		const char *stable = qset__intern_comm(s->set, comm, len);

		if (stable)
			set_stable_text(v, stable);
		else
			set_text(v, comm, (int)len);
		return 0;
	}
	case QC_TYPE:
		set_stable_text(v, ev->tp ? ev->tp->name : "");
		return 0;
	case QC_ARGS:
		return set_args(s, ev, v);
	case QC_FIELD:
	case QC_FIELD_STR:
		return set_field(s, t, c, ev, v);
	case QC_STACK_ID:
		if (ev->stack_id)
			set_int(v, ev->stack_id);
		else
			set_null(v);
		return 0;
	case QC_HOST:
	case QC_FILE:
		set_origin(s, c, s->ev_tape, v);
		return 0;
	default:
		set_null(v);
		return 0;
	}
}

static int argv_text(struct qscan *s, const char *argv, uint32_t len, struct qval *v)
{
	if (!argv) {
		set_null(v);
		return 0;
	}
	while (len && argv[len - 1] == '\0')
		len--;
	if (reserve(s, (size_t)len + 1))
		return -ENOMEM;
	for (uint32_t i = 0; i < len; i++)
		s->buf[i] = argv[i] ? argv[i] : ' ';
	s->buf[len] = '\0';
	set_tmp_text(v, s->buf, (int)len);
	return 0;
}

static int proc_column(struct qscan *s, const struct qcol *c, struct qval *v)
{
	const struct tape_proc_state *p = tape_proctab__at(s->procs, s->row);

	if (!p) {
		set_null(v);
		return 0;
	}
	switch (c->src) {
	case QC_P_PID:
		set_int(v, p->pid);
		break;
	case QC_P_PPID:
		set_int(v, p->ppid);
		break;
	case QC_P_UID:
		set_int(v, p->uid);
		break;
	case QC_P_COMM:
		set_text(v, p->comm, (int)strnlen(p->comm, sizeof(p->comm)));
		break;
	case QC_P_EXE:
		if (p->exe)
			set_text(v, p->exe, -1);
		else
			set_null(v);
		break;
	case QC_P_ARGV:
		return argv_text(s, p->argv, p->argv_len, v);
	case QC_P_CGROUP:
		if (p->cgroup)
			set_text(v, p->cgroup, -1);
		else
			set_null(v);
		break;
	case QC_P_CONTAINER:
	case QC_P_CONTAINER_NAME:
	case QC_P_RUNTIME:
	case QC_P_POD: {
		/* NULL where nothing recorded the process's cgroup, "" outside a container */
		const char *t = c->src == QC_P_CONTAINER	? p->container
				: c->src == QC_P_CONTAINER_NAME ? p->container_name
				: c->src == QC_P_RUNTIME	? p->runtime
								: p->pod;

		if (t)
			set_text(v, t, -1);
		else
			set_null(v);
		break;
	}
	case QC_P_START_TS:
		if (p->start_ts)
			set_int(v, (int64_t)p->start_ts);
		else
			set_null(v);
		break;
	case QC_P_START_TIME:
		set_time(s, s->tape, p->start_ts, v);
		break;
	case QC_P_EXIT_TS:
		if (p->exited && p->exit_ts)
			set_int(v, (int64_t)p->exit_ts);
		else
			set_null(v);
		break;
	case QC_P_EXIT_TIME:
		if (p->exited)
			set_time(s, s->tape, p->exit_ts, v);
		else
			set_null(v);
		break;
	case QC_P_EXIT_CODE:
		if (p->exited)
			set_int(v, p->exit_code);
		else
			set_null(v);
		break;
	case QC_P_EXIT_SIGNAL:
		if (p->exited)
			set_int(v, p->exit_signal);
		else
			set_null(v);
		break;
	default:
		set_null(v);
	}
	return 0;
}

static const char *kind_name(unsigned kind)
{
	static const char *const names[] = {
		[TAPE_U8] = "u8",   [TAPE_U16] = "u16",	    [TAPE_U32] = "u32", [TAPE_U64] = "u64",
		[TAPE_S8] = "s8",   [TAPE_S16] = "s16",	    [TAPE_S32] = "s32", [TAPE_S64] = "s64",
		[TAPE_STR] = "str", [TAPE_BYTES] = "bytes",
	};

	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "?";
}

static const char *display_name(unsigned d)
{
	static const char *const names[] = {
		[TAPE_DISP_DEFAULT] = "default", [TAPE_DISP_HEX] = "hex",
		[TAPE_DISP_ERRNO] = "errno",	 [TAPE_DISP_ENUM] = "enum",
		[TAPE_DISP_FLAGS] = "flags",	 [TAPE_DISP_SOCKADDR] = "sockaddr",
		[TAPE_DISP_IPV4] = "ipv4",	 [TAPE_DISP_IPV6] = "ipv6",
		[TAPE_DISP_NSEC] = "nsec",	 [TAPE_DISP_ARGV] = "argv",
		[TAPE_DISP_PTR] = "ptr",	 [TAPE_DISP_OCTAL] = "octal",
	};

	return d < sizeof(names) / sizeof(names[0]) && names[d] ? names[d] : "?";
}

static void types_column(struct qscan *s, const struct qcol *c, struct qval *v)
{
	const struct tape_type *tp = s->tp;
	const struct tape_field *f = tp && s->field >= 0 ? &tp->fields[s->field] : NULL;

	set_null(v);
	if (!tp)
		return;
	switch (c->src) {
	case QC_T_TYPE:
		set_text(v, tp->name, -1);
		break;
	case QC_T_ID:
		set_int(v, tp->id);
		break;
	case QC_T_SOURCE:
		set_text(v, tp->source ? tp->source : "", -1);
		break;
	case QC_T_FIELD:
		if (f)
			set_text(v, f->name, -1);
		break;
	case QC_T_POS:
		if (f)
			set_int(v, s->field);
		break;
	case QC_T_KIND:
		if (f)
			set_text(v, kind_name(f->kind), -1);
		break;
	case QC_T_DISPLAY:
		if (f)
			set_text(v, display_name(f->display), -1);
		break;
	case QC_T_ENUM:
		if (f && f->enumeration && f->enumeration->name)
			set_text(v, f->enumeration->name, -1);
		break;
	}
}

/* Kernel frames have no address in a tape (KASLR): NULL, as are the
 * symbol, offset and build-id nobody knows. */
static void frames_column(struct qscan *s, const struct qcol *c, struct qval *v)
{
	const struct tape_frame *f =
		s->frames && s->depth < s->nframes ? &s->frames[s->depth] : NULL;

	set_null(v);
	if (!f)
		return;
	switch (c->src) {
	case QC_F_STACK_ID:
		set_int(v, s->stack_id);
		break;
	case QC_F_DEPTH:
		set_int(v, (int64_t)s->depth);
		break;
	case QC_F_KERNEL:
		set_int(v, f->kernel);
		break;
	case QC_F_ADDRESS:
		if (!f->kernel)
			set_int(v, (int64_t)f->address);
		break;
	case QC_F_SYMBOL:
		if (f->symbol)
			set_stable_text(v, f->symbol);
		break;
	case QC_F_OFFSET:
		if (f->symbol)
			set_int(v, (int64_t)f->offset);
		break;
	case QC_F_BINARY:
		if (f->binary)
			set_stable_text(v, f->binary);
		break;
	case QC_F_BUILD_ID:
		if (f->build_id_hex && *f->build_id_hex)
			set_stable_text(v, f->build_id_hex);
		break;
	case QC_F_GAP:
		set_int(v, f->gap);
		break;
	}
}

int qscan__column_of(struct qscan *s, const struct qtable *t, int col, struct qval *v)
{
	if (col < 0 || col >= t->ncols)
		return -EINVAL;
	return event_column(s, t, col, v);
}

int qscan__column(struct qscan *s, int col, struct qval *v)
{
	const struct qtable *t = s->t;
	const struct qcol *c;
	const struct tape_reader *r;

	if (col < 0 || col >= t->ncols)
		return -EINVAL;
	c = &t->cols[col];
	if (s->index_only) {
		if (c->src == QC_TYPE && s->name < s->nnames)
			set_stable_text(v, s->names[s->name]);
		else if (c->src == QC_HOST || c->src == QC_FILE)
			set_origin(s, c, s->tape, v);
		else
			set_null(v);
		return 0;
	}
	if (is_event_table(t))
		return event_column(s, t, col, v);
	if (c->src == QC_HOST || c->src == QC_FILE) {
		set_origin(s, c, s->tape, v);
		return 0;
	}
	if (s->tape >= qset__count(s->set)) {
		set_null(v);
		return 0;
	}
	r = qset__reader(s->set, s->tape);
	switch (t->kind) {
	case QT_PROCESSES:
		return proc_column(s, c, v);
	case QT_LOSSES: {
		const struct tape_loss *l = tape_reader__loss(r, s->row);

		if (!l)
			set_null(v);
		else if (c->src == QC_L_CPU)
			set_int(v, l->cpu);
		else if (c->src == QC_L_FIRST_TS)
			set_int(v, (int64_t)l->first_ts);
		else if (c->src == QC_L_LAST_TS)
			set_int(v, (int64_t)l->last_ts);
		else
			set_int(v, (int64_t)l->count);
		return 0;
	}
	case QT_META: {
		const char *key = NULL, *value = NULL;

		if (tape_reader__meta_at(r, s->row, &key, &value)) {
			set_null(v);
			return 0;
		}
		if (c->src == QC_M_KEY)
			set_text(v, key, -1);
		else
			set_text(v, value, -1);
		return 0;
	}
	case QT_TYPES:
		types_column(s, c, v);
		return 0;
	case QT_FRAMES:
		frames_column(s, c, v);
		return 0;
	default:
		set_null(v);
		return 0;
	}
}
