// SPDX-License-Identifier: MIT
/* PREDICATES: event selection shared by the offline verbs (see predicate.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli/cli.h"
#include "expr.h"
#include "private/grow.h"
#include "predicate.h"
#include <bpftape/tape_proctab.h>

struct pred_src {
	uint64_t since, until; /* in this tape's ts; 0 = no bound */
	unsigned ntypes;
	bool *allowed; /* by type id */
};

struct predicate {
	struct pred_src *srcs;
	size_t nsrcs;
	struct tape_select sel, sel_lc;
	const char **sel_types, **lc_types;
	uint32_t *pids, *tids;
	size_t npids, ntids;
	char *comm;
	bool comm_glob;
	char *container, *pod;
	struct tape_proctab *const *pt; /* per source, not owned */
	size_t npt;
	bool want_losses;
	bool any_type; /* no --type and no -f: types beyond the tables pass */
	struct expr *expr;
};

/* Parse "P[,P...]" into @arr. */
static int parse_ids(const char *arg, uint32_t **arr, size_t *n, const char *what, char *err,
		     size_t errlen)
{
	const char *s = arg;

	while (*s) {
		size_t len = strcspn(s, ",");
		char one[24];
		uint64_t v;
		uint32_t *a;

		/* each id alone through the shared parser: no blanks, signs or
		 * values cut to 32 bits */
		if (len < sizeof(one)) {
			memcpy(one, s, len);
			one[len] = 0;
		}
		if (len >= sizeof(one) || cli__parse_uint(one, UINT32_MAX, &v)) {
			snprintf(err, errlen, "%s: '%s' is not a list of ids", what, arg);
			return -EINVAL;
		}
		a = realloc(*arr, (*n + 1) * sizeof(*a));
		if (!a)
			return -ENOMEM;
		a[(*n)++] = (uint32_t)v;
		*arr = a;
		s += len + (s[len] == ',');
	}
	if (!*n) {
		snprintf(err, errlen, "%s: empty list", what);
		return -EINVAL;
	}
	return 0;
}

static int parse_types(struct pred_opts *o, const char *arg, char *err, size_t errlen)
{
	const char *s = arg;

	while (*s) {
		size_t len = strcspn(s, ",");
		char **t;

		if (len) {
			t = realloc(o->types, (o->ntypes + 1) * sizeof(*t));
			if (!t)
				return -ENOMEM;
			o->types = t;
			t[o->ntypes] = strndup(s, len);
			if (!t[o->ntypes])
				return -ENOMEM;
			o->ntypes++;
		}
		s += len;
		if (*s)
			s++;
	}
	if (!o->ntypes) {
		snprintf(err, errlen, "--type: empty list");
		return -EINVAL;
	}
	return 0;
}

int pred_opts__parse(struct pred_opts *o, int opt, const char *arg, char *err, size_t errlen)
{
	switch (opt) {
	case PRED_OPT_SINCE:
		o->since = arg;
		return 1;
	case PRED_OPT_UNTIL:
		o->until = arg;
		return 1;
	case PRED_OPT_PID: {
		int rc = parse_ids(arg, &o->pids, &o->npids, "--pid", err, errlen);

		return rc ? rc : 1;
	}
	case PRED_OPT_TID: {
		int rc = parse_ids(arg, &o->tids, &o->ntids, "--tid", err, errlen);

		return rc ? rc : 1;
	}
	case PRED_OPT_COMM:
		o->comm = arg;
		return 1;
	case PRED_OPT_CONTAINER:
	case PRED_OPT_POD:
		if (!*arg) {
			snprintf(err, errlen, "--%s: empty",
				 opt == PRED_OPT_POD ? "pod" : "container");
			return -EINVAL;
		}
		*(opt == PRED_OPT_POD ? &o->pod : &o->container) = arg;
		return 1;
	case PRED_OPT_TYPE: {
		int rc = parse_types(o, arg, err, errlen);

		return rc ? rc : 1;
	}
	case 'f':
		if (o->expr) {
			snprintf(err, errlen, "-f: given twice; join the expressions with &&");
			return -EINVAL;
		}
		o->expr = arg;
		return 1;
	default:
		return 0;
	}
}

int pred_opts__getopt(struct pred_opts *o, int argc, char **argv, const char *shortopts,
		      const struct option *longopts, const char *verb, int *ret)
{
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		rc = pred_opts__parse(o, c, optarg, err, sizeof(err));
		if (rc == -ENOMEM) {
			cli__eprintf("bpftape %s: out of memory\n", verb);
			*ret = 1;
			return PRED_GETOPT_FAIL;
		}
		if (rc < 0) {
			*ret = cli__usage(verb, "%s", err);
			return PRED_GETOPT_FAIL;
		}
		if (!rc)
			return c;
	}
	return -1;
}

void pred_opts__free(struct pred_opts *o)
{
	if (!o)
		return;
	free(o->pids);
	free(o->tids);
	for (size_t i = 0; i < o->ntypes; i++)
		free(o->types[i]);
	free(o->types);
	memset(o, 0, sizeof(*o));
}

bool pred_opts__empty(const struct pred_opts *o)
{
	return !o->since && !o->until && !o->npids && !o->ntids && !o->comm && !o->ntypes &&
	       !o->expr && !o->container && !o->pod;
}

int pred_clock_offset(const struct tape_reader *r, int64_t *off)
{
	const char *v = tape_reader__meta(r, "clock.boottime_to_realtime_ns");
	char *end;
	long long x;

	if (!v)
		return -ENOENT;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return -ENOENT;
	*off = x;
	return 0;
}

/* Parse fractional seconds ".123" into ns; @s points at the '.' or not. */
static const char *parse_frac(const char *s, int64_t *ns)
{
	int64_t mul = 100000000;

	*ns = 0;
	if (*s != '.')
		return s;
	s++;
	while (*s >= '0' && *s <= '9') {
		*ns += (*s - '0') * mul;
		mul /= 10;
		s++;
	}
	return s;
}

/*
 * Parse a wall-clock time into ns since the epoch.  @day_wall_ns gives the
 * day for a time of day alone.  0, -EINVAL, or 1 if @s is not a wall time.
 */
static int parse_wall(const char *s, int64_t day_wall_ns, int64_t *out)
{
	struct tm tm = {0};
	const char *p;
	int64_t frac;
	time_t t;
	bool utc;

	if (*s == '@') {
		size_t len = strcspn(s + 1, ".");
		char whole[24];
		uint64_t sec;

		/* the seconds through the shared parser (no blanks, no sign, and
		 * none that overflow once made nanoseconds), the fraction exact */
		if (len >= sizeof(whole))
			return -EINVAL;
		memcpy(whole, s + 1, len);
		whole[len] = 0;
		if (cli__parse_uint(whole, INT64_MAX / 1000000000LL - 1, &sec))
			return -EINVAL;
		p = parse_frac(s + 1 + len, &frac);
		if (*p)
			return -EINVAL;
		*out = (int64_t)sec * 1000000000LL + frac;
		return 0;
	}
	if (!strchr(s, ':'))
		return 1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!p) {
		time_t day = (time_t)(day_wall_ns / 1000000000LL);

		p = strptime(s, "%H:%M:%S", &tm);
		if (!p)
			return -EINVAL;
		utc = false;
		{
			struct tm d;
			const char *q = parse_frac(p, &frac);

			utc = *q == 'Z';
			if (utc ? !gmtime_r(&day, &d) : !localtime_r(&day, &d))
				return -EINVAL;
			tm.tm_year = d.tm_year;
			tm.tm_mon = d.tm_mon;
			tm.tm_mday = d.tm_mday;
		}
	}
	p = parse_frac(p, &frac);
	utc = *p == 'Z';
	if (utc)
		p++;
	if (*p)
		return -EINVAL;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = (int64_t)t * 1000000000LL + frac;
	return 0;
}

/* Resolve one --since/--until value into per-source ts bounds. */
static int resolve_time(struct predicate *p, struct tape_reader *const *readers, size_t n,
			const char *what, const char *arg, bool is_until, char *err, size_t errlen)
{
	int64_t *off = calloc(n ? n : 1, sizeof(*off));
	bool all_clock = true, have_base = false;
	int64_t base_wall = 0, wall = 0;
	uint64_t rel;
	int rc = 0, w;

	if (!off)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (pred_clock_offset(readers[i], &off[i]))
			all_clock = false;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t mn = tape_reader__min_ts(readers[i]);

		if (!tape_reader__event_count(readers[i]) && !mn)
			continue;
		if (!have_base || (int64_t)mn + (all_clock ? off[i] : 0) < base_wall)
			base_wall = (int64_t)mn + (all_clock ? off[i] : 0);
		have_base = true;
	}
	if (!cli__parse_duration(arg, &rel)) {
		for (size_t i = 0; i < n; i++) {
			int64_t ts;

			if (all_clock)
				ts = base_wall + (int64_t)rel - off[i];
			else
				ts = (int64_t)tape_reader__min_ts(readers[i]) + (int64_t)rel;
			if (ts < 1)
				ts = 1;
			if (is_until)
				p->srcs[i].until = (uint64_t)ts;
			else
				p->srcs[i].since = (uint64_t)ts;
		}
		goto cleanup;
	}
	w = parse_wall(arg, all_clock ? base_wall : 0, &wall);
	if (w) {
		snprintf(err, errlen,
			 "%s: '%s' is neither a duration (10, 1.5s, 250ms, 2m) nor a wall-clock"
			 " time (2026-11-21T21:30:00, 21:30:00, @EPOCH)",
			 what, arg);
		rc = -EINVAL;
		goto cleanup;
	}
	if (!all_clock) {
		snprintf(err, errlen,
			 "%s: a tape has no clock.boottime_to_realtime_ns metadata, so wall-clock"
			 " times cannot be mapped; use a time relative to the start",
			 what);
		rc = -EINVAL;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t ts = wall - off[i];

		if (ts < 1)
			ts = 1;
		if (is_until)
			p->srcs[i].until = (uint64_t)ts;
		else
			p->srcs[i].since = (uint64_t)ts;
	}
cleanup:
	free(off);
	return rc;
}

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int build_types(struct predicate *p, const struct pred_opts *o,
		       struct tape_reader *const *readers, size_t n, char *err, size_t errlen)
{
	const char **names = NULL;
	size_t nnames = 0, cap = 0;
	int rc = 0;

	p->want_losses = o->all_losses || !o->ntypes ||
			 in_list((const char *const *)o->types, o->ntypes, "lost");
	p->any_type = !o->ntypes && !o->expr;
	for (size_t i = 0; i < o->ntypes; i++) {
		bool found = !strcmp(o->types[i], "lost");

		for (size_t r = 0; r < n && !found; r++)
			found = tape_reader__type_by_name(readers[r], o->types[i]) != NULL;
		if (!found) {
			snprintf(err, errlen, "--type: no type '%s' in the tape%s", o->types[i],
				 n > 1 ? "s" : "");
			return -EINVAL;
		}
	}
	for (size_t r = 0; r < n; r++) {
		unsigned max = tape_reader__max_type(readers[r]);
		struct pred_src *s = &p->srcs[r];

		s->ntypes = max + 1;
		s->allowed = calloc(s->ntypes, sizeof(*s->allowed));
		if (!s->allowed)
			return -ENOMEM;
		for (unsigned t = 1; t <= max; t++) {
			const struct tape_type *tp = tape_reader__type(readers[r], t);

			if (!tp)
				continue;
			if (o->ntypes &&
			    !in_list((const char *const *)o->types, o->ntypes, tp->name))
				continue;
			if (p->expr && !expr__may_match(p->expr, (unsigned)r, t))
				continue;
			s->allowed[t] = true;
			if (!o->ntypes && !o->expr)
				continue; /* everything: no type list for the cursor */
			if (array_grow(&names, &cap, nnames + 1, sizeof(*names), 64)) {
				rc = -ENOMEM;
				goto cleanup;
			}
			names[nnames++] = tp->name;
		}
	}
	if (!o->ntypes && !o->expr)
		goto cleanup;
	/* each name once, though several tapes have it (sorted, not searched
	 * per type: a tape may define 65535 types) */
	if (nnames) {
		size_t k = 0;

		qsort(names, nnames, sizeof(*names), str_cmp);
		for (size_t i = 0; i < nnames; i++)
			if (!k || strcmp(names[k - 1], names[i]))
				names[k++] = names[i];
		nnames = k;
	}
	if (p->want_losses) {
		const char **nn = realloc(names, (nnames + 2) * sizeof(*nn));

		if (!nn) {
			rc = -ENOMEM;
			goto cleanup;
		}
		names = nn;
		names[nnames++] = "lost";
	}
	if (!nnames) {
		/* nothing can match; "" names no type, so the cursor skips all */
		const char **nn = realloc(names, 2 * sizeof(*nn));

		if (!nn) {
			rc = -ENOMEM;
			goto cleanup;
		}
		names = nn;
		names[nnames++] = "";
	}
	p->sel_types = names;
	p->sel.types = names;
	p->sel.ntypes = nnames;
	names = NULL;
cleanup:
	free(names);
	return rc;
}

struct predicate *predicate__new(const struct pred_opts *o, struct tape_reader *const *readers,
				 size_t n, char *err, size_t errlen)
{
	struct predicate *p = calloc(1, sizeof(*p));
	char eerr[256];
	int rc = -ENOMEM;

	if (err && errlen)
		err[0] = '\0';
	if (!p)
		goto fail;
	p->nsrcs = n;
	p->srcs = calloc(n ? n : 1, sizeof(*p->srcs));
	if (!p->srcs)
		goto fail;
	p->sel.sz = sizeof(p->sel);
	if (o->since && (rc = resolve_time(p, readers, n, "--since", o->since, false, err, errlen)))
		goto fail;
	if (o->until && (rc = resolve_time(p, readers, n, "--until", o->until, true, err, errlen)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (o->since && (!i || p->srcs[i].since < p->sel.since))
			p->sel.since = p->srcs[i].since;
		if (o->until && (!i || p->srcs[i].until > p->sel.until))
			p->sel.until = p->srcs[i].until;
	}
	if (o->expr) {
		p->expr = expr__compile(o->expr, eerr, sizeof(eerr));
		if (!p->expr) {
			rc = -errno;
			snprintf(err, errlen, "-f: %s", eerr);
			goto fail;
		}
		rc = expr__bind(p->expr, readers, n, eerr, sizeof(eerr));
		if (rc) {
			snprintf(err, errlen, "-f: %s", eerr);
			goto fail;
		}
	}
	if ((rc = build_types(p, o, readers, n, err, errlen)))
		goto fail;
	rc = -ENOMEM;
	if (o->npids) {
		p->pids = malloc(o->npids * sizeof(*p->pids));
		if (!p->pids)
			goto fail;
		memcpy(p->pids, o->pids, o->npids * sizeof(*p->pids));
		p->npids = o->npids;
		p->sel.pids = p->pids;
		p->sel.npids = p->npids;
	}
	if (o->ntids) {
		p->tids = malloc(o->ntids * sizeof(*p->tids));
		if (!p->tids)
			goto fail;
		memcpy(p->tids, o->tids, o->ntids * sizeof(*p->tids));
		p->ntids = o->ntids;
		p->sel.tids = p->tids;
		p->sel.ntids = p->ntids;
	}
	if ((o->container && !(p->container = strdup(o->container))) ||
	    (o->pod && !(p->pod = strdup(o->pod))))
		goto fail;
	if (o->comm) {
		p->comm = strdup(o->comm);
		if (!p->comm)
			goto fail;
		p->comm_glob = strpbrk(o->comm, "*?[") != NULL;
	}
	p->sel.no_losses = !p->want_losses;
	p->sel_lc = p->sel;
	if (p->sel.types) {
		static const char *const lc[] = {"fork", "exec", "exit"};

		p->lc_types = malloc((p->sel.ntypes + 3) * sizeof(*p->lc_types));
		if (!p->lc_types)
			goto fail;
		memcpy(p->lc_types, p->sel.types, p->sel.ntypes * sizeof(*p->lc_types));
		memcpy(p->lc_types + p->sel.ntypes, lc, sizeof(lc));
		p->sel_lc.types = p->lc_types;
		p->sel_lc.ntypes = p->sel.ntypes + 3;
	}
	return p;
fail:
	predicate__free(p);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

void predicate__free(struct predicate *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsrcs; i++)
		free(p->srcs[i].allowed);
	free(p->srcs);
	free(p->sel_types);
	free(p->lc_types);
	free(p->pids);
	free(p->tids);
	free(p->comm);
	free(p->container);
	free(p->pod);
	expr__free(p->expr);
	free(p);
}

const struct tape_select *predicate__select(const struct predicate *p)
{
	return &p->sel;
}

const struct tape_select *predicate__select_lifecycle(const struct predicate *p)
{
	return &p->sel_lc;
}

void predicate__range(const struct predicate *p, unsigned src, uint64_t *since, uint64_t *until)
{
	*since = src < p->nsrcs ? p->srcs[src].since : 0;
	*until = src < p->nsrcs ? p->srcs[src].until : 0;
}

static bool has_id(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* @want is @have, or a prefix of it (ids are given as docker ps shows them) */
static bool id_matches(const char *have, const char *want)
{
	return have && *have && !strncmp(have, want, strlen(want));
}

static bool in_container(const struct predicate *p, const struct tape_event *ev)
{
	const struct tape_proc_state *s = ev->source < p->npt && p->pt[ev->source]
						  ? tape_proctab__get(p->pt[ev->source], ev->pid)
						  : NULL;

	if (!s)
		return false;
	if (p->container && !id_matches(s->container, p->container) &&
	    !(s->container_name && !strcmp(s->container_name, p->container)))
		return false;
	if (p->pod && !id_matches(s->pod, p->pod))
		return false;
	return true;
}

bool predicate__match(struct predicate *p, const struct tape_event *ev)
{
	const struct pred_src *s = ev->source < p->nsrcs ? &p->srcs[ev->source] : NULL;

	if (ev->type == TAPE_TYPE_LOSS) {
		uint64_t first = ev->ts, last = ev->ts;

		if (!p->want_losses)
			return false;
		if (ev->values) {
			first = ev->values[TAPE_LOSS_FIRST_TS].u;
			last = ev->values[TAPE_LOSS_LAST_TS].u;
			if (last < first)
				last = first;
		}
		if (s && s->since && last < s->since)
			return false;
		if (s && s->until && first > s->until)
			return false;
		return true;
	}
	if (s) {
		if (s->since && ev->ts < s->since)
			return false;
		if (s->until && ev->ts > s->until)
			return false;
		if (ev->type < s->ntypes) {
			if (!s->allowed[ev->type])
				return false;
		} else if (!p->any_type) {
			return false;
		}
	}
	if (p->npids && !has_id(p->pids, p->npids, ev->pid))
		return false;
	if (p->ntids && !has_id(p->tids, p->ntids, ev->tid))
		return false;
	if (p->comm) {
		const char *c = ev->comm ? ev->comm : "";

		if (p->comm_glob ? fnmatch(p->comm, c, 0) != 0 : strcmp(p->comm, c) != 0)
			return false;
	}
	if ((p->container || p->pod) && !in_container(p, ev))
		return false;
	if (p->expr && !expr__eval(p->expr, ev))
		return false;
	return true;
}

void predicate__set_procs(struct predicate *p, struct tape_proctab *const *pt, size_t n)
{
	p->pt = pt;
	p->npt = n;
	if (p->expr)
		expr__set_procs(p->expr, pt, n);
}
