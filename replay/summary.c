// SPDX-License-Identifier: MIT
/* bpftape summary: its engine (summary.h) and its command line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "predicate.h"
#include <bpftape/tape_proctab.h>
#include "summary.h"
#include "tapes.h"
#include "../cli/verbs.h"

/* ---- latency histogram ------------------------------------------------- */

static unsigned lat_bucket(uint64_t v)
{
	unsigned e;

	if (v < LAT_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	if (e >= LAT_MAX_EXP)
		return LAT_NBUCKETS - 1;
	return (e - LAT_SUB_BITS + 1) * LAT_SUB + (unsigned)((v >> (e - LAT_SUB_BITS)) - LAT_SUB);
}

/* The highest value that falls into bucket @b. */
static uint64_t lat_bucket_high(unsigned b)
{
	unsigned e, sub;
	uint64_t lo;

	if (b < LAT_SUB)
		return b;
	if (b == LAT_NBUCKETS - 1)
		return UINT64_MAX;
	e = b / LAT_SUB - 1 + LAT_SUB_BITS;
	sub = b % LAT_SUB;
	lo = (uint64_t)(LAT_SUB + sub) << (e - LAT_SUB_BITS);
	return lo + (1ULL << (e - LAT_SUB_BITS)) - 1;
}

void lat_hist__add(struct lat_hist *h, uint64_t ns)
{
	h->b[lat_bucket(ns)]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

void lat_hist__merge(struct lat_hist *dst, const struct lat_hist *src)
{
	for (unsigned i = 0; i < LAT_NBUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t lat_hist__percentile(const struct lat_hist *h, unsigned permille)
{
	uint64_t rank, seen = 0;

	if (!h->n)
		return 0;
	if (permille > 1000)
		permille = 1000;
	/* ceil(n * permille / 1000) without overflow for any n */
	rank = h->n / 1000 * permille + (h->n % 1000 * permille + 999) / 1000;
	if (!rank)
		rank = 1;
	for (unsigned i = 0; i < LAT_NBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = lat_bucket_high(i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

/* ---- hash tables ------------------------------------------------------- */

#define EMPTY UINT32_MAX

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* uint64 keys to row indexes, open addressing, at most half full. */
struct u64map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

static uint32_t u64map_get(const struct u64map *m, uint64_t k)
{
	if (!m->cap)
		return EMPTY;
	for (size_t i = mix64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == EMPTY)
			return EMPTY;
		if (m->keys[i] == k)
			return m->vals[i];
	}
}

static int u64map_put(struct u64map *m, uint64_t k, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint64_t *keys = malloc(cap * sizeof(*keys));
		uint32_t *vals = malloc(cap * sizeof(*vals));

		if (!keys || !vals) {
			free(keys);
			free(vals);
			return -ENOMEM;
		}
		memset(vals, 0xff, cap * sizeof(*vals));
		for (size_t j = 0; j < m->cap; j++) {
			size_t i;

			if (m->vals[j] == EMPTY)
				continue;
			for (i = mix64(m->keys[j]) & (cap - 1); vals[i] != EMPTY;
			     i = (i + 1) & (cap - 1))
				;
			keys[i] = m->keys[j];
			vals[i] = m->vals[j];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	for (size_t i = mix64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == EMPTY) {
			m->keys[i] = k;
			m->vals[i] = v;
			m->n++;
			return 0;
		}
	}
}

static void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
}

/* Byte-string keys to row indexes: key i is row i of the caller's table. */
struct skey {
	char *s; /* NUL-terminated copy */
	uint32_t len;
	uint64_t hash;
};

struct strmap {
	uint32_t *slots;
	size_t cap;
	struct skey *keys;
	size_t n, kcap;
};

static uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return mix64(h ^ len);
}

/* The row of key @s, added as row n (*@created) if new and the table has
 * fewer than @max keys.  The index, EMPTY when full, or -ENOMEM. */
static int64_t strmap_get(struct strmap *m, const char *s, size_t len, size_t max, bool *created)
{
	uint64_t h = str_hash(s, len);
	size_t i;

	*created = false;
	if (m->cap) {
		for (i = h & (m->cap - 1); m->slots[i] != EMPTY; i = (i + 1) & (m->cap - 1)) {
			const struct skey *k = &m->keys[m->slots[i]];

			if (k->hash == h && k->len == len && !memcmp(k->s, s, len))
				return m->slots[i];
		}
	}
	if (m->n >= max)
		return EMPTY;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint32_t *slots = malloc(cap * sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		memset(slots, 0xff, cap * sizeof(*slots));
		for (size_t j = 0; j < m->n; j++) {
			for (i = m->keys[j].hash & (cap - 1); slots[i] != EMPTY;
			     i = (i + 1) & (cap - 1))
				;
			slots[i] = (uint32_t)j;
		}
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	if (m->n == m->kcap) {
		size_t kcap = m->kcap ? m->kcap * 2 : 64;
		struct skey *k = realloc(m->keys, kcap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		m->keys = k;
		m->kcap = kcap;
	}
	{
		char *copy = malloc(len + 1);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, s, len);
		copy[len] = '\0';
		m->keys[m->n] = (struct skey){copy, (uint32_t)len, h};
	}
	for (i = h & (m->cap - 1); m->slots[i] != EMPTY; i = (i + 1) & (m->cap - 1))
		;
	m->slots[i] = (uint32_t)m->n;
	*created = true;
	return (int64_t)m->n++;
}

static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i].s);
	free(m->keys);
	free(m->slots);
}

/* Make room for row @n of *@arr (elements of @size bytes), zeroed. */
static int rows_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	char **a = arr;
	size_t c;
	char *p;

	if (n < *cap)
		return 0;
	/* @n may skip ahead (a loss record's cpu), not only append */
	for (c = *cap ? *cap : 64; c <= n; c *= 2)
		;
	p = realloc(*a, c * size);
	if (!p)
		return -ENOMEM;
	memset(p + *cap * size, 0, (c - *cap) * size);
	*a = p;
	*cap = c;
	return 0;
}

/* ---- the tables -------------------------------------------------------- */

/* The command line of a process, as much as a report shows. */
#define CMD_MAX 200

struct sproc {
	uint32_t host, pid, ppid;
	char comm[TAPE_COMM_LEN];
	char *cmd; /* argv joined by blanks, NULL if unknown */
	uint32_t cmd_len;
	bool execd; /* exec'd in the selection */
	uint64_t events, syscalls, sys_ns;
	uint64_t subtree; /* events with its descendants (report) */
	int32_t parent;	  /* row of its parent, -1 (report) */
	bool shown;	  /* in the exec tree (report) */
};

struct ssc {
	char name[64];
	uint64_t calls, errors, total_ns;
	struct lat_hist *h;
};

struct sfile {
	uint64_t opens, fails;
	int32_t last_err;
};

struct sconn {
	uint64_t count;
	uint32_t dest_len; /* the key is the destination, a NUL, the result */
	bool ok;
};

struct scpu {
	uint64_t lost, records;
};

struct stype {
	uint64_t n;   /* in the events read */
	uint64_t idx; /* in the indexes */
};

enum kind { K_OTHER, K_SYSCALL, K_OPEN, K_CONNECT, K_EXEC };

/* What a type is to the summary, found once per type (as proctab does). */
struct tclass {
	const struct tape_type *tp;
	uint32_t type_row;
	enum kind kind;
	int f[3];
};

#define TCLASS_SLOTS 64

struct summary {
	const struct tapes *t;
	struct summary_opts o;
	bool bad; /* a chunk failed: counts from the events read */
	uint64_t events, min_ts, max_ts;
	/* per type name */
	struct strmap types;
	struct stype *tcount;
	size_t tcount_cap;
	struct tclass cls[TCLASS_SLOTS];
	/* processes, by (host, pid) */
	struct u64map proc_map;
	struct sproc *procs;
	size_t nprocs, proc_cap;
	uint64_t other_proc_events, other_proc_sys_ns;
	/* syscalls, by (tape, nr) to a row by name */
	struct u64map sc_map;
	struct ssc *scs;
	size_t nscs, sc_cap;
	struct ssc sc_other;
	/* files, by path */
	struct strmap file_map;
	struct sfile *files;
	size_t file_cap;
	struct sfile file_other;
	/* connections, by destination and result */
	struct strmap conn_map;
	struct sconn *conns;
	size_t conn_cap;
	uint64_t conn_other, connects;
	/* losses */
	struct scpu *cpus;
	size_t cpu_cap;
	struct scpu cpu_other;
	uint64_t lost, loss_records;
	char fmt[512];
};

static int64_t ival(const struct tape_event *ev, int f)
{
	uint8_t k = ev->tp->fields[f].kind;

	return (k >= TAPE_S8 && k <= TAPE_S64) ? ev->values[f].s : (int64_t)ev->values[f].u;
}

static bool is_str(const struct tape_type *tp, int f)
{
	return f >= 0 && (tp->fields[f].kind == TAPE_STR || tp->fields[f].kind == TAPE_BYTES);
}

static bool is_int(const struct tape_type *tp, int f)
{
	return f >= 0 && tp->fields[f].kind >= TAPE_U8 && tp->fields[f].kind <= TAPE_S64;
}

/* The row of type name @name; -ENOMEM. */
static int64_t type_row(struct summary *s, const char *name)
{
	bool created;
	int64_t i = strmap_get(&s->types, name, strlen(name), SIZE_MAX, &created);

	if (i >= 0 && created &&
	    rows_grow(&s->tcount, &s->tcount_cap, (size_t)i, sizeof(*s->tcount)))
		return -ENOMEM;
	return i;
}

static const struct tclass *classify(struct summary *s, const struct tape_type *tp)
{
	struct tclass *c = &s->cls[((uintptr_t)tp >> 4) % TCLASS_SLOTS];
	int64_t row;

	if (c->tp == tp)
		return c;
	row = type_row(s, tp->name);
	if (row < 0)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->tp = tp;
	c->type_row = (uint32_t)row;
	c->kind = K_OTHER;
	/* by name and fields, as docs/EVENTS.md defines them: a type of that
	 * name without them (a generic probe named so) is counted only */
	if (!strcmp(tp->name, "syscall")) {
		c->f[0] = tape_type__field_index(tp, "nr");
		c->f[1] = tape_type__field_index(tp, "ret");
		c->f[2] = tape_type__field_index(tp, "latency");
		if (is_int(tp, c->f[0]) && is_int(tp, c->f[1]) && is_int(tp, c->f[2]))
			c->kind = K_SYSCALL;
	} else if (!strcmp(tp->name, "open")) {
		c->f[0] = tape_type__field_index(tp, "path");
		c->f[1] = tape_type__field_index(tp, "ret");
		if (is_str(tp, c->f[0]) && is_int(tp, c->f[1]))
			c->kind = K_OPEN;
	} else if (!strcmp(tp->name, "connect")) {
		c->f[0] = tape_type__field_index(tp, "addr");
		c->f[1] = tape_type__field_index(tp, "ret");
		if (c->f[0] >= 0 && is_int(tp, c->f[1]))
			c->kind = K_CONNECT;
	} else if (!strcmp(tp->name, "exec")) {
		c->f[0] = tape_type__field_index(tp, "argv");
		c->f[1] = tape_type__field_index(tp, "ret");
		if (is_str(tp, c->f[0]) && is_int(tp, c->f[1]))
			c->kind = K_EXEC;
	}
	return c;
}

/* Keep @argv (NUL-separated) as the process's command line, blanks
 * between the arguments. */
static int set_cmd(struct sproc *p, const char *argv, size_t len)
{
	size_t n = len < CMD_MAX ? len : CMD_MAX;

	while (n && argv[n - 1] == '\0')
		n--;
	if (!p->cmd && !(p->cmd = malloc(CMD_MAX + 1)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p->cmd[i] = argv[i] ? argv[i] : ' ';
	p->cmd[n] = '\0';
	p->cmd_len = (uint32_t)n;
	return 0;
}

/* The row of @ev's process, or NULL when the table is full (*@err 0) or
 * memory is short (*@err -ENOMEM). */
static struct sproc *proc_of(struct summary *s, const struct tape_event *ev, int *err)
{
	uint32_t host = s->t->host_of ? s->t->host_of[ev->source] : 0;
	uint64_t key = (uint64_t)host << 32 | ev->pid;
	uint32_t i = u64map_get(&s->proc_map, key);
	const struct tape_proc_state *ps;
	struct sproc *p;

	*err = 0;
	if (i != EMPTY)
		return &s->procs[i];
	if (s->nprocs >= SUMMARY_MAX_PROCS)
		return NULL;
	if (rows_grow(&s->procs, &s->proc_cap, s->nprocs, sizeof(*s->procs)) ||
	    u64map_put(&s->proc_map, key, (uint32_t)s->nprocs)) {
		*err = -ENOMEM;
		return NULL;
	}
	p = &s->procs[s->nprocs++];
	p->host = host;
	p->pid = ev->pid;
	/* who it is at its first event: the table saw its fork and exec */
	ps = s->t->src_pt ? tape_proctab__get(s->t->src_pt[ev->source], ev->pid) : NULL;
	if (ps) {
		p->ppid = ps->ppid;
		if (ps->argv && ps->argv_len && set_cmd(p, ps->argv, ps->argv_len)) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	return p;
}

static uint64_t tape_nr_key(const struct tape_event *ev, uint64_t nr)
{
	return (uint64_t)ev->source << 32 | (nr & 0xffffffffULL);
}

/* The syscall row of @nr of @ev's tape, by its name in that tape. */
static struct ssc *syscall_of(struct summary *s, const struct tape_event *ev, int f, int *err)
{
	uint64_t key = tape_nr_key(ev, ev->values[f].u);
	uint32_t i = u64map_get(&s->sc_map, key);
	char name[64];
	ssize_t n;

	*err = 0;
	if (i != EMPTY)
		return i == EMPTY - 1 ? &s->sc_other : &s->scs[i];
	n = tape_format_value(ev->tp, (unsigned)f, &ev->values[f], TAPE_ESC_RAW, name,
			      sizeof(name));
	if (n < 0)
		snprintf(name, sizeof(name), "%llu", (unsigned long long)ev->values[f].u);
	for (i = 0; i < s->nscs && strcmp(s->scs[i].name, name); i++)
		;
	if (i == s->nscs) {
		if (s->nscs >= SUMMARY_MAX_SYSCALLS) {
			i = EMPTY - 1;
		} else if (rows_grow(&s->scs, &s->sc_cap, s->nscs, sizeof(*s->scs)) ||
			   !(s->scs[s->nscs].h = calloc(1, sizeof(struct lat_hist)))) {
			*err = -ENOMEM;
			return NULL;
		} else {
			snprintf(s->scs[s->nscs].name, sizeof(s->scs[0].name), "%s", name);
			s->nscs++;
		}
	}
	if (u64map_put(&s->sc_map, key, i)) {
		*err = -ENOMEM;
		return NULL;
	}
	return i == EMPTY - 1 ? &s->sc_other : &s->scs[i];
}

static int add_syscall(struct summary *s, const struct tclass *c, const struct tape_event *ev,
		       struct sproc *p)
{
	int64_t ret = ival(ev, c->f[1]);
	uint64_t lat = ev->values[c->f[2]].u;
	int err;
	struct ssc *sc = syscall_of(s, ev, c->f[0], &err);

	if (!sc)
		return err;
	sc->calls++;
	/* as strace counts errors: -4095..-1 are -errno, other negative
	 * values are results (addresses) */
	if (ret < 0 && ret >= -4095)
		sc->errors++;
	sc->total_ns += lat;
	if (sc->h)
		lat_hist__add(sc->h, lat);
	if (p) {
		p->syscalls++;
		p->sys_ns += lat;
	} else {
		s->other_proc_sys_ns += lat;
	}
	return 0;
}

static int add_open(struct summary *s, const struct tclass *c, const struct tape_event *ev)
{
	const union tape_value *v = &ev->values[c->f[0]];
	int64_t ret = ival(ev, c->f[1]);
	struct sfile *f;
	bool created;
	int64_t i = strmap_get(&s->file_map, v->b.ptr, v->b.len, SUMMARY_MAX_FILES, &created);

	if (i < 0)
		return (int)i;
	if (i == EMPTY) {
		f = &s->file_other;
	} else {
		if (created && rows_grow(&s->files, &s->file_cap, (size_t)i, sizeof(*s->files)))
			return -ENOMEM;
		f = &s->files[i];
	}
	f->opens++;
	if (ret < 0) {
		f->fails++;
		f->last_err = (int32_t)ret;
	}
	return 0;
}

static int add_connect(struct summary *s, const struct tclass *c, const struct tape_event *ev)
{
	int64_t ret = ival(ev, c->f[1]);
	const char *en;
	char *key = s->fmt;
	ssize_t n;
	size_t len;
	bool created;
	int64_t i;

	s->connects++;
	n = tape_format_value(ev->tp, (unsigned)c->f[0], &ev->values[c->f[0]], TAPE_ESC_RAW, key,
			      sizeof(s->fmt) - 32);
	if (n < 0)
		key[0] = '\0';
	len = strlen(key);
	en = ret < 0 ? tape_errno_name((int)-ret) : NULL;
	if (!ret)
		len += (size_t)snprintf(key + len + 1, 31, "ok") + 1;
	else if (en)
		len += (size_t)snprintf(key + len + 1, 31, "%s", en) + 1;
	else
		len += (size_t)snprintf(key + len + 1, 31, "%lld", (long long)ret) + 1;
	i = strmap_get(&s->conn_map, key, len, SUMMARY_MAX_CONNS, &created);
	if (i < 0)
		return (int)i;
	if (i == EMPTY) {
		s->conn_other++;
		return 0;
	}
	if (created) {
		if (rows_grow(&s->conns, &s->conn_cap, (size_t)i, sizeof(*s->conns)))
			return -ENOMEM;
		s->conns[i].dest_len = (uint32_t)strlen(key);
		s->conns[i].ok = !ret;
	}
	s->conns[i].count++;
	return 0;
}

static int add_loss(struct summary *s, const struct tape_event *ev)
{
	uint64_t cpu = ev->values[TAPE_LOSS_CPU].u, count = ev->values[TAPE_LOSS_COUNT].u;
	struct scpu *c = &s->cpu_other;

	if (cpu < SUMMARY_MAX_CPUS) {
		if (rows_grow(&s->cpus, &s->cpu_cap, (size_t)cpu, sizeof(*s->cpus)))
			return -ENOMEM;
		c = &s->cpus[cpu];
	}
	c->lost += count;
	c->records++;
	s->lost += count;
	s->loss_records++;
	return 0;
}

int summary__add(struct summary *s, const struct tape_event *ev)
{
	const struct tclass *c;
	struct sproc *p;
	uint64_t ts;
	int err = 0;

	if (ev->type == TAPE_TYPE_LOSS)
		return add_loss(s, ev);
	if (!ev->tp)
		return 0;
	ts = ev->ts + (uint64_t)(s->t->cur ? tapes_merge__offset(s->t->cur, ev->source) : 0);
	if (!s->events || ts < s->min_ts)
		s->min_ts = ts;
	if (!s->events || ts > s->max_ts)
		s->max_ts = ts;
	s->events++;
	if (!(c = classify(s, ev->tp)))
		return -ENOMEM;
	s->tcount[c->type_row].n++;
	p = proc_of(s, ev, &err);
	if (err)
		return err;
	if (p) {
		p->events++;
		memcpy(p->comm, ev->comm, strnlen(ev->comm, TAPE_COMM_LEN - 1));
		p->comm[strnlen(ev->comm, TAPE_COMM_LEN - 1)] = '\0';
	} else {
		s->other_proc_events++;
	}
	switch (c->kind) {
	case K_SYSCALL:
		return add_syscall(s, c, ev, p);
	case K_OPEN:
		return add_open(s, c, ev);
	case K_CONNECT:
		return add_connect(s, c, ev);
	case K_EXEC:
		if (p && !ival(ev, c->f[1])) {
			const union tape_value *v = &ev->values[c->f[0]];

			p->execd = true;
			return set_cmd(p, v->b.ptr, v->b.len);
		}
		return 0;
	default:
		return 0;
	}
}

void summary__bad_chunk(struct summary *s)
{
	s->bad = true;
}

struct summary *summary__new(const struct tapes *t, const struct summary_opts *o)
{
	struct summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->t = t;
	if (o)
		memcpy(&s->o, o, o->sz < sizeof(s->o) ? o->sz : sizeof(s->o));
	snprintf(s->sc_other.name, sizeof(s->sc_other.name), "(other)");
	/* the index's counts, for a summary of whole tapes: by type name, so
	 * that tapes with different ids add up */
	for (size_t r = 0; r < t->n; r++) {
		const struct tape_reader *rd = t->readers[r];
		unsigned max = tape_reader__max_type(rd);
		uint64_t *counts = calloc(max + 1, sizeof(*counts));

		if (!counts)
			goto nomem;
		tape_reader__type_counts(rd, counts);
		for (unsigned ty = 1; ty <= max; ty++) {
			const struct tape_type *tp = tape_reader__type(rd, ty);
			int64_t row = tp ? type_row(s, tp->name) : 0;

			if (row < 0) {
				free(counts);
				goto nomem;
			}
			if (tp)
				s->tcount[row].idx += counts[ty];
		}
		free(counts);
	}
	/* --type alone: the index's counts of the types it names */
	for (size_t i = 0; !s->o.whole && s->o.ntypes && i < s->types.n; i++) {
		size_t k = 0;

		while (k < s->o.ntypes && strcmp(s->o.types[k], s->types.keys[i].s))
			k++;
		if (k == s->o.ntypes)
			s->tcount[i].idx = 0;
	}
	return s;
nomem:
	summary__free(s);
	errno = ENOMEM;
	return NULL;
}

void summary__free(struct summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nprocs; i++)
		free(s->procs[i].cmd);
	for (size_t i = 0; i < s->nscs; i++)
		free(s->scs[i].h);
	free(s->procs);
	free(s->scs);
	free(s->files);
	free(s->conns);
	free(s->cpus);
	free(s->tcount);
	u64map_free(&s->proc_map);
	u64map_free(&s->sc_map);
	strmap_free(&s->types);
	strmap_free(&s->file_map);
	strmap_free(&s->conn_map);
	free(s);
}

int summary__lineage(struct summary *s)
{
	static const char *const lc[] = {"fork", "exec"};
	const struct tapes *t = s->t;
	struct tape_select sel = {.sz = sizeof(sel), .types = lc, .ntypes = 2, .no_losses = true};
	size_t nh = t->nhosts ? t->nhosts : 1, missing = 0;
	struct tape_proctab **pts = calloc(nh, sizeof(*pts));
	uint64_t *until = calloc(t->n ? t->n : 1, sizeof(*until));
	struct tapes_merge *cur = NULL;
	const struct tape_event *ev;
	int rc = -ENOMEM;

	for (size_t i = 0; i < s->nprocs; i++)
		missing += !s->procs[i].ppid || !s->procs[i].cmd;
	if (!missing || s->o.whole) {
		rc = 0;
		goto out;
	}
	if (!pts || !until)
		goto out;
	for (size_t h = 0; h < nh; h++)
		if (!(pts[h] = tape_proctab__new()))
			goto out;
	for (size_t r = 0; r < t->n; r++) {
		uint64_t since;

		if (tape_proctab__load_snapshot(pts[t->host_of ? t->host_of[r] : 0], t->readers[r]))
			goto out;
		predicate__range(t->pred, (unsigned)r, &since, &until[r]);
	}
	if (!(cur = tapes_merge__new(t->readers, t->n, &sel, NULL, until))) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		int k = tapes_merge__next(cur, &ev);

		if (k < 0)
			continue; /* the pass named it already: it costs its own forks */
		if (!k)
			break;
		if (tape_proctab__apply(pts[t->host_of ? t->host_of[ev->source] : 0], ev))
			goto out;
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		struct sproc *p = &s->procs[i];
		const struct tape_proc_state *ps = tape_proctab__get(pts[p->host], p->pid);

		if (!ps)
			continue;
		if (!p->ppid)
			p->ppid = ps->ppid;
		if (!p->cmd && ps->argv && ps->argv_len && set_cmd(p, ps->argv, ps->argv_len))
			goto out;
	}
	rc = 0;
out:
	tapes_merge__free(cur);
	for (size_t h = 0; pts && h < nh; h++)
		tape_proctab__free(pts[h]);
	free(pts);
	free(until);
	return rc;
}

/* ---- the report -------------------------------------------------------- */

/* Levels of the exec tree shown: a chain of forks deeper than this is cut,
 * so that the report's recursion stays small whatever the tape. */
#define TREE_DEPTH 64

/* Sorting: most first, ties by key so that the report is stable. */
#define CMP_DESC(a, b)                                                                             \
	do {                                                                                       \
		if ((a) != (b))                                                                    \
			return (a) < (b) ? 1 : -1;                                                 \
	} while (0)

static int proc_cmp_key(const struct sproc *a, const struct sproc *b)
{
	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int cmp_proc_events(const void *x, const void *y)
{
	const struct sproc *a = *(struct sproc *const *)x, *b = *(struct sproc *const *)y;

	CMP_DESC(a->events, b->events);
	return proc_cmp_key(a, b);
}

static int cmp_proc_sys(const void *x, const void *y)
{
	const struct sproc *a = *(struct sproc *const *)x, *b = *(struct sproc *const *)y;

	CMP_DESC(a->sys_ns, b->sys_ns);
	CMP_DESC(a->syscalls, b->syscalls);
	return proc_cmp_key(a, b);
}

static int cmp_proc_subtree(const void *x, const void *y)
{
	const struct sproc *a = *(struct sproc *const *)x, *b = *(struct sproc *const *)y;

	CMP_DESC(a->subtree, b->subtree);
	return proc_cmp_key(a, b);
}

static int cmp_sc(const void *x, const void *y)
{
	const struct ssc *a = *(struct ssc *const *)x, *b = *(struct ssc *const *)y;

	CMP_DESC(a->total_ns, b->total_ns);
	CMP_DESC(a->calls, b->calls);
	return strcmp(a->name, b->name);
}

/* Files and connections sort by key too: rows carry their index. */
struct krow {
	uint64_t a, b;
	const struct skey *key;
	size_t i;
};

static int cmp_krow(const void *x, const void *y)
{
	const struct krow *a = x, *b = y;
	size_t n;
	int c;

	CMP_DESC(a->a, b->a);
	CMP_DESC(a->b, b->b);
	n = a->key->len < b->key->len ? a->key->len : b->key->len;
	c = memcmp(a->key->s, b->key->s, n);
	if (c)
		return c;
	return a->key->len < b->key->len ? -1 : a->key->len > b->key->len;
}

/* What the report needs, sorted once for either output. */
struct report {
	struct sproc **by_events, **by_sys;
	size_t nsys;	  /* processes with syscalls */
	struct ssc **scs; /* merged with (other) when it has calls */
	size_t nscs;
	struct ssc total;     /* totals of every syscall row */
	struct lat_hist *all; /* every latency */
	struct krow *by_opens, *by_fails;
	size_t nfails;
	uint64_t opens, fails;
	struct krow *conns;
	struct sproc **tree_roots; /* processes shown in the exec tree */
	size_t nroots;
	int32_t *kids; /* children of shown processes: kid_at[p]..kid_at[p+1] */
	uint32_t *kid_at;
	size_t shown;
};

static void report_free(struct report *r)
{
	free(r->by_events);
	free(r->by_sys);
	free(r->scs);
	free(r->all);
	free(r->by_opens);
	free(r->by_fails);
	free(r->conns);
	free(r->tree_roots);
	free(r->kids);
	free(r->kid_at);
}

static size_t rows_shown(const struct summary *s, size_t n)
{
	return s->o.top && s->o.top < n ? s->o.top : n;
}

/* The exec tree: the busiest processes by their own events, and their
 * ancestors, so that each shows where it came from; children under their
 * parent, busiest subtree first. */
static int report_tree(struct summary *s, struct report *r)
{
	size_t n = s->nprocs, busiest = rows_shown(s, n), nk = 0;
	uint32_t *fill = NULL;

	for (size_t i = 0; i < n; i++) {
		struct sproc *p = &s->procs[i];
		uint32_t j = p->ppid && p->ppid != p->pid
				     ? u64map_get(&s->proc_map, (uint64_t)p->host << 32 | p->ppid)
				     : EMPTY;

		p->parent = j == EMPTY ? -1 : (int32_t)j;
		p->subtree = 0;
		p->shown = false;
	}
	/* reused pids can make a loop of parents: cut it where it closes, so
	 * that its processes hang from a root like the others */
	for (size_t i = 0; i < n; i++) {
		int32_t q = s->procs[i].parent;

		for (int d = 0; d < 256 && q >= 0; d++, q = s->procs[q].parent)
			if (q == (int32_t)i) {
				s->procs[i].parent = -1;
				break;
			}
	}
	/* a chain longer than this is cut there (the tree shows TREE_DEPTH
	 * levels) */
	for (size_t i = 0; i < n; i++) {
		int32_t q = (int32_t)i;

		for (int d = 0; d < 256 && q >= 0; d++, q = s->procs[q].parent) {
			s->procs[q].subtree += s->procs[i].events;
			if (d && q == (int32_t)i)
				break;
		}
	}
	for (size_t k = 0; k < busiest; k++) {
		int32_t q = (int32_t)(r->by_events[k] - s->procs);

		for (int d = 0; d < 256 && q >= 0 && !s->procs[q].shown; d++) {
			s->procs[q].shown = true;
			q = s->procs[q].parent;
		}
	}
	r->kid_at = calloc(n + 1, sizeof(*r->kid_at));
	fill = calloc(n + 1, sizeof(*fill));
	r->tree_roots = calloc(n ? n : 1, sizeof(*r->tree_roots));
	if (!r->kid_at || !fill || !r->tree_roots)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct sproc *p = &s->procs[i];

		if (!p->shown)
			continue;
		r->shown++;
		if (p->parent >= 0 && s->procs[p->parent].shown) {
			r->kid_at[p->parent + 1]++;
			nk++;
		} else {
			r->tree_roots[r->nroots++] = p;
		}
	}
	for (size_t i = 0; i < n; i++)
		r->kid_at[i + 1] += r->kid_at[i];
	r->kids = calloc(nk ? nk : 1, sizeof(*r->kids));
	if (!r->kids)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const struct sproc *p = &s->procs[i];

		if (p->shown && p->parent >= 0 && s->procs[p->parent].shown)
			r->kids[r->kid_at[p->parent] + fill[p->parent]++] = (int32_t)i;
	}
	/* children in the order they are shown */
	for (size_t i = 0; i < n; i++) {
		struct sproc *tmp[64];
		uint32_t a = r->kid_at[i], b = r->kid_at[i + 1];
		struct sproc **v = b - a <= 64 ? tmp : malloc((b - a) * sizeof(*v));

		if (b - a < 2)
			continue;
		if (!v)
			goto nomem;
		for (uint32_t k = a; k < b; k++)
			v[k - a] = &s->procs[r->kids[k]];
		qsort(v, b - a, sizeof(*v), cmp_proc_subtree);
		for (uint32_t k = a; k < b; k++)
			r->kids[k] = (int32_t)(v[k - a] - s->procs);
		if (v != tmp)
			free(v);
	}
	qsort(r->tree_roots, r->nroots, sizeof(*r->tree_roots), cmp_proc_subtree);
	free(fill);
	return 0;
nomem:
	free(fill);
	return -ENOMEM;
}

static int report_make(struct summary *s, struct report *r)
{
	size_t nf = s->file_map.n, nc = s->conn_map.n;

	memset(r, 0, sizeof(*r));
	r->by_events = malloc((s->nprocs ? s->nprocs : 1) * sizeof(*r->by_events));
	r->by_sys = malloc((s->nprocs ? s->nprocs : 1) * sizeof(*r->by_sys));
	r->scs = malloc((s->nscs + 1) * sizeof(*r->scs));
	r->all = calloc(1, sizeof(*r->all));
	r->by_opens = malloc((nf ? nf : 1) * sizeof(*r->by_opens));
	r->by_fails = malloc((nf ? nf : 1) * sizeof(*r->by_fails));
	r->conns = malloc((nc ? nc : 1) * sizeof(*r->conns));
	if (!r->by_events || !r->by_sys || !r->scs || !r->all || !r->by_opens || !r->by_fails ||
	    !r->conns)
		return -ENOMEM;
	for (size_t i = 0; i < s->nprocs; i++) {
		r->by_events[i] = &s->procs[i];
		if (s->procs[i].syscalls)
			r->by_sys[r->nsys++] = &s->procs[i];
	}
	qsort(r->by_events, s->nprocs, sizeof(*r->by_events), cmp_proc_events);
	qsort(r->by_sys, r->nsys, sizeof(*r->by_sys), cmp_proc_sys);
	for (size_t i = 0; i < s->nscs; i++) {
		r->scs[r->nscs++] = &s->scs[i];
		lat_hist__merge(r->all, s->scs[i].h);
	}
	qsort(r->scs, r->nscs, sizeof(*r->scs), cmp_sc);
	/* a full table's rest, last */
	if (s->sc_other.calls)
		r->scs[r->nscs++] = &s->sc_other;
	for (size_t i = 0; i < r->nscs; i++) {
		r->total.calls += r->scs[i]->calls;
		r->total.errors += r->scs[i]->errors;
		r->total.total_ns += r->scs[i]->total_ns;
	}
	for (size_t i = 0; i < nf; i++) {
		const struct sfile *f = &s->files[i];

		r->by_opens[i] = (struct krow){f->opens, f->fails, &s->file_map.keys[i], i};
		if (f->fails)
			r->by_fails[r->nfails++] =
				(struct krow){f->fails, f->opens, &s->file_map.keys[i], i};
		r->opens += f->opens;
		r->fails += f->fails;
	}
	r->opens += s->file_other.opens;
	r->fails += s->file_other.fails;
	qsort(r->by_opens, nf, sizeof(*r->by_opens), cmp_krow);
	qsort(r->by_fails, r->nfails, sizeof(*r->by_fails), cmp_krow);
	for (size_t i = 0; i < nc; i++)
		r->conns[i] = (struct krow){s->conns[i].count, 0, &s->conn_map.keys[i], i};
	qsort(r->conns, nc, sizeof(*r->conns), cmp_krow);
	return report_tree(s, r);
}

/* Totals and counts per type: the index's for whole tapes, or all of some
 * types, that read well. */
static bool from_index(const struct summary *s)
{
	return (s->o.whole || s->o.ntypes) && !s->bad;
}

static uint64_t type_count(const struct summary *s, size_t i)
{
	return from_index(s) ? s->tcount[i].idx : s->tcount[i].n;
}

static uint64_t total_events(const struct summary *s)
{
	uint64_t n = 0;

	if (!from_index(s))
		return s->events;
	for (size_t i = 0; i < s->types.n; i++)
		n += s->tcount[i].idx;
	return n;
}

static const char *err_name(int32_t e, char *buf, size_t len)
{
	const char *n = e < 0 ? tape_errno_name(-e) : NULL;

	if (n)
		return n;
	snprintf(buf, len, "%d", e);
	return buf;
}

static double usecs(uint64_t ns)
{
	return (double)ns / 1e3;
}

/* ---- text -------------------------------------------------------------- */

static void text_more(struct out *o, size_t n, size_t shown, const char *what)
{
	if (n > shown)
		out__printf(o, "  ... %zu more %s (--top 0 shows every row)\n", n - shown, what);
}

static void text_proc_id(struct summary *s, struct out *o, const struct sproc *p)
{
	const char *h = s->t->nhosts > 1 ? s->t->host_name[p->host] : NULL;

	if (h) {
		out__text_str(o, h, strlen(h));
		out__putc(o, ':');
	}
	out__printf(o, "%u ", p->pid);
	out__text_str(o, p->comm, strlen(p->comm));
}

static void text_procs(struct summary *s, struct out *o, struct report *r)
{
	size_t n;

	if (!s->nprocs) {
		out__puts(o, "\nProcesses: none\n");
		return;
	}
	out__printf(o, "\nProcesses by events (%zu processes):\n", s->nprocs);
	out__puts(o, "    events  syscalls     seconds  process\n");
	n = rows_shown(s, s->nprocs);
	for (size_t i = 0; i < n; i++) {
		const struct sproc *p = r->by_events[i];

		out__printf(o, "%10llu %9llu %11.6f  ", (unsigned long long)p->events,
			    (unsigned long long)p->syscalls, (double)p->sys_ns / 1e9);
		text_proc_id(s, o, p);
		out__putc(o, '\n');
	}
	text_more(o, s->nprocs, n, "processes");
	if (s->other_proc_events)
		out__printf(o, "%10llu %9s %11.6f  (other: the table of %d processes is full)\n",
			    (unsigned long long)s->other_proc_events, "",
			    (double)s->other_proc_sys_ns / 1e9, SUMMARY_MAX_PROCS);
	if (!r->nsys)
		return;
	out__printf(o, "\nProcesses by time in syscalls (%zu processes):\n", r->nsys);
	out__puts(o, "    events  syscalls     seconds  process\n");
	n = rows_shown(s, r->nsys);
	for (size_t i = 0; i < n; i++) {
		const struct sproc *p = r->by_sys[i];

		out__printf(o, "%10llu %9llu %11.6f  ", (unsigned long long)p->events,
			    (unsigned long long)p->syscalls, (double)p->sys_ns / 1e9);
		text_proc_id(s, o, p);
		out__putc(o, '\n');
	}
	text_more(o, r->nsys, n, "processes");
}

static void text_sc_row(struct out *o, const struct ssc *sc, uint64_t total_ns,
			const struct lat_hist *h, const char *name)
{
	double pct = total_ns ? 100.0 * (double)sc->total_ns / (double)total_ns : 0;

	out__printf(o, "%6.2f %11.6f %11llu", pct, (double)sc->total_ns / 1e9,
		    (unsigned long long)(sc->calls ? sc->total_ns / sc->calls / 1000 : 0));
	if (h)
		out__printf(o, " %9.1f %9.1f %9.1f", usecs(lat_hist__percentile(h, 500)),
			    usecs(lat_hist__percentile(h, 990)), usecs(h->max));
	else
		out__printf(o, " %9s %9s %9s", "", "", "");
	out__printf(o, " %9llu ", (unsigned long long)sc->calls);
	if (sc->errors)
		out__printf(o, "%9llu ", (unsigned long long)sc->errors);
	else
		out__printf(o, "%9s ", "");
	/* an enum name from the tape: escaped like every string of it */
	out__text_str(o, name, strlen(name));
	out__putc(o, '\n');
}

static void text_syscalls(struct summary *s, struct out *o, struct report *r)
{
	static const char rule[] = "------ ----------- ----------- --------- --------- --------- "
				   "--------- --------- ----------------\n";
	size_t n = rows_shown(s, r->nscs);

	if (!r->nscs) {
		out__puts(o, "\nSyscalls: no syscall events (record them with -e syscall)\n");
		return;
	}
	out__printf(o, "\nSyscalls (%llu calls; p50, p99 within 1.6%%, max exact, in usecs):\n",
		    (unsigned long long)r->total.calls);
	out__puts(o, "% time     seconds  usecs/call       p50       p99       max     calls    "
		     "errors syscall\n");
	out__puts(o, rule);
	for (size_t i = 0; i < n; i++)
		text_sc_row(o, r->scs[i], r->total.total_ns, r->scs[i]->h, r->scs[i]->name);
	text_more(o, r->nscs, n, "syscalls");
	out__puts(o, rule);
	text_sc_row(o, &r->total, r->total.total_ns, r->all->n ? r->all : NULL, "total");
}

static void text_files(struct summary *s, struct out *o, struct report *r)
{
	size_t nf = s->file_map.n, n;
	char eb[16];

	if (!r->opens)
		return;
	out__printf(o, "\nFiles by opens (%llu opens of %zu files, %llu failed):\n",
		    (unsigned long long)r->opens, nf, (unsigned long long)r->fails);
	out__puts(o, "     opens  failures  last error       path\n");
	n = rows_shown(s, nf);
	for (size_t i = 0; i < n; i++) {
		const struct krow *k = &r->by_opens[i];
		const struct sfile *f = &s->files[k->i];

		out__printf(o, "%10llu %9llu  %-16s ", (unsigned long long)f->opens,
			    (unsigned long long)f->fails,
			    f->fails ? err_name(f->last_err, eb, sizeof(eb)) : "");
		out__text_str(o, k->key->s, k->key->len);
		out__putc(o, '\n');
	}
	text_more(o, nf, n, "files");
	if (s->file_other.opens)
		out__printf(o, "%10llu %9llu  %-16s (other: the table of %d files is full)\n",
			    (unsigned long long)s->file_other.opens,
			    (unsigned long long)s->file_other.fails, "", SUMMARY_MAX_FILES);
	if (!r->nfails)
		return;
	out__printf(o, "\nFiles by failures (%zu files):\n", r->nfails);
	out__puts(o, "  failures     opens  last error       path\n");
	n = rows_shown(s, r->nfails);
	for (size_t i = 0; i < n; i++) {
		const struct krow *k = &r->by_fails[i];
		const struct sfile *f = &s->files[k->i];

		out__printf(o, "%10llu %9llu  %-16s ", (unsigned long long)f->fails,
			    (unsigned long long)f->opens, err_name(f->last_err, eb, sizeof(eb)));
		out__text_str(o, k->key->s, k->key->len);
		out__putc(o, '\n');
	}
	text_more(o, r->nfails, n, "files");
}

static void text_conns(struct summary *s, struct out *o, struct report *r)
{
	size_t nc = s->conn_map.n, n = rows_shown(s, nc);

	if (!s->connects)
		return;
	out__printf(o, "\nConnections by destination and result (%llu connects):\n",
		    (unsigned long long)s->connects);
	out__puts(o, "     count  result           destination\n");
	for (size_t i = 0; i < n; i++) {
		const struct krow *k = &r->conns[i];
		uint32_t dl = s->conns[k->i].dest_len;

		out__printf(o, "%10llu  %-16s ", (unsigned long long)k->a, k->key->s + dl + 1);
		out__text_str(o, k->key->s, dl);
		out__putc(o, '\n');
	}
	text_more(o, nc, n, "destinations");
	if (s->conn_other)
		out__printf(o, "%10llu  (other: the table of %d is full)\n",
			    (unsigned long long)s->conn_other, SUMMARY_MAX_CONNS);
}

static void text_node(struct summary *s, struct out *o, struct report *r, const struct sproc *p,
		      unsigned depth)
{
	size_t i = (size_t)(p - s->procs);

	out__printf(o, "%10llu %10llu  %*s", (unsigned long long)p->events,
		    (unsigned long long)p->subtree, (int)(2 * (depth < 16 ? depth : 16)), "");
	text_proc_id(s, o, p);
	if (p->cmd) {
		out__puts(o, ": ");
		out__text_str(o, p->cmd, p->cmd_len);
	}
	out__putc(o, '\n');
	if (depth == TREE_DEPTH && r->kid_at[i] < r->kid_at[i + 1]) {
		out__printf(o, "%21s  %*s... deeper processes not shown\n", "", 2 * 16, "");
		return;
	}
	for (uint32_t k = r->kid_at[i]; k < r->kid_at[i + 1]; k++)
		text_node(s, o, r, &s->procs[r->kids[k]], depth + 1);
}

static void text_tree(struct summary *s, struct out *o, struct report *r)
{
	if (!r->shown)
		return;
	out__printf(o,
		    "\nExec tree of the %zu busiest processes and their ancestors (events: own, "
		    "with descendants):\n",
		    rows_shown(s, s->nprocs));
	out__puts(o, "       own      total  process\n");
	for (size_t i = 0; i < r->nroots; i++)
		text_node(s, o, r, r->tree_roots[i], 0);
}

static void text_losses(struct summary *s, struct out *o)
{
	out__printf(o, "\nLosses: %llu events lost in %llu record(s)\n",
		    (unsigned long long)s->lost, (unsigned long long)s->loss_records);
	if (!s->loss_records)
		return;
	out__puts(o, "      lost   records  cpu\n");
	for (size_t c = 0; c < s->cpu_cap; c++)
		if (s->cpus[c].records)
			out__printf(o, "%10llu %9llu  %zu\n", (unsigned long long)s->cpus[c].lost,
				    (unsigned long long)s->cpus[c].records, c);
	if (s->cpu_other.records)
		out__printf(o, "%10llu %9llu  (cpus from %d)\n",
			    (unsigned long long)s->cpu_other.lost,
			    (unsigned long long)s->cpu_other.records, SUMMARY_MAX_CPUS);
}

static void text_types(struct summary *s, struct out *o)
{
	if (!total_events(s))
		return;
	out__puts(o, "\nEvents by type:\n");
	for (size_t i = 0; i < s->types.n; i++) {
		uint64_t n = type_count(s, i);

		if (!n)
			continue;
		out__printf(o, "%10llu  ", (unsigned long long)n);
		out__text_str(o, s->types.keys[i].s, s->types.keys[i].len);
		out__putc(o, '\n');
	}
}

void summary__text(struct summary *s, struct out *o)
{
	struct report r;
	uint64_t n = total_events(s);

	if (report_make(s, &r)) {
		/* the report needs less than the tables: a machine this short
		 * of memory gets the totals */
		report_free(&r);
		out__printf(o, "%llu events; out of memory for the tables\n",
			    (unsigned long long)n);
		return;
	}
	out__printf(o, "%llu events", (unsigned long long)n);
	if (s->events)
		out__printf(o, " over %.6f s", (double)(s->max_ts - s->min_ts) / 1e9);
	out__printf(o, " in %zu tape(s)%s; counts %s\n", s->t->n, s->o.whole ? "" : ", selected",
		    from_index(s) ? "from the index" : "from the events read");
	text_types(s, o);
	text_procs(s, o, &r);
	text_syscalls(s, o, &r);
	text_files(s, o, &r);
	text_conns(s, o, &r);
	text_tree(s, o, &r);
	text_losses(s, o);
	report_free(&r);
}

/* ---- JSON -------------------------------------------------------------- */

static void json_key(struct out *o, const char *k)
{
	out__json_str(o, k, strlen(k));
	out__putc(o, ':');
}

static void json_proc(struct summary *s, struct out *o, const struct sproc *p)
{
	out__printf(o, "{\"pid\":%u,", p->pid);
	if (s->t->nhosts > 1) {
		json_key(o, "host");
		out__json_str(o, s->t->host_name[p->host], strlen(s->t->host_name[p->host]));
		out__putc(o, ',');
	}
	json_key(o, "comm");
	out__json_str(o, p->comm, strlen(p->comm));
	out__printf(o, ",\"events\":%llu,\"syscalls\":%llu,\"syscall_ns\":%llu}",
		    (unsigned long long)p->events, (unsigned long long)p->syscalls,
		    (unsigned long long)p->sys_ns);
}

static void json_procs(struct summary *s, struct out *o, struct sproc **v, size_t n)
{
	out__putc(o, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			out__putc(o, ',');
		json_proc(s, o, v[i]);
	}
	out__putc(o, ']');
}

static void json_sc(struct out *o, const struct ssc *sc, const struct lat_hist *h, const char *name)
{
	out__putc(o, '{');
	json_key(o, "syscall");
	out__json_str(o, name, strlen(name));
	out__printf(o, ",\"calls\":%llu,\"errors\":%llu,\"total_ns\":%llu,\"avg_ns\":%llu",
		    (unsigned long long)sc->calls, (unsigned long long)sc->errors,
		    (unsigned long long)sc->total_ns,
		    (unsigned long long)(sc->calls ? sc->total_ns / sc->calls : 0));
	if (h)
		out__printf(o, ",\"p50_ns\":%llu,\"p99_ns\":%llu,\"max_ns\":%llu",
			    (unsigned long long)lat_hist__percentile(h, 500),
			    (unsigned long long)lat_hist__percentile(h, 990),
			    (unsigned long long)h->max);
	out__putc(o, '}');
}

static void json_files(struct summary *s, struct out *o, const struct krow *v, size_t n)
{
	char eb[16];

	out__putc(o, '[');
	for (size_t i = 0; i < n; i++) {
		const struct sfile *f = &s->files[v[i].i];

		if (i)
			out__putc(o, ',');
		out__putc(o, '{');
		json_key(o, "path");
		out__json_str(o, v[i].key->s, v[i].key->len);
		out__printf(o, ",\"opens\":%llu,\"failures\":%llu", (unsigned long long)f->opens,
			    (unsigned long long)f->fails);
		if (f->fails)
			out__printf(o, ",\"last_error\":\"%s\"",
				    err_name(f->last_err, eb, sizeof(eb)));
		out__putc(o, '}');
	}
	out__putc(o, ']');
}

static void json_node(struct summary *s, struct out *o, struct report *r, const struct sproc *p,
		      unsigned depth)
{
	size_t i = (size_t)(p - s->procs);

	out__printf(o, "{\"pid\":%u,\"ppid\":%u,", p->pid, p->ppid);
	if (s->t->nhosts > 1) {
		json_key(o, "host");
		out__json_str(o, s->t->host_name[p->host], strlen(s->t->host_name[p->host]));
		out__putc(o, ',');
	}
	json_key(o, "comm");
	out__json_str(o, p->comm, strlen(p->comm));
	if (p->cmd) {
		out__putc(o, ',');
		json_key(o, "cmd");
		out__json_str(o, p->cmd, p->cmd_len);
	}
	out__printf(o, ",\"exec\":%s,\"events\":%llu,\"subtree_events\":%llu,\"children\":[",
		    p->execd ? "true" : "false", (unsigned long long)p->events,
		    (unsigned long long)p->subtree);
	for (uint32_t k = r->kid_at[i]; k < r->kid_at[i + 1] && depth < TREE_DEPTH; k++) {
		if (k > r->kid_at[i])
			out__putc(o, ',');
		json_node(s, o, r, &s->procs[r->kids[k]], depth + 1);
	}
	out__puts(o, "]}");
}

void summary__json(struct summary *s, struct out *o)
{
	struct report r;
	size_t n;

	if (report_make(s, &r)) {
		report_free(&r);
		out__printf(o, "{\"events\":%llu,\"error\":\"out of memory for the tables\"}\n",
			    (unsigned long long)total_events(s));
		return;
	}
	out__printf(o, "{\"tapes\":%zu,\"whole\":%s,\"counts_from\":\"%s\",\"events\":%llu",
		    s->t->n, s->o.whole ? "true" : "false", from_index(s) ? "index" : "events",
		    (unsigned long long)total_events(s));
	out__printf(o, ",\"span_ns\":%llu,\"types\":{",
		    (unsigned long long)(s->events ? s->max_ts - s->min_ts : 0));
	n = 0;
	for (size_t i = 0; i < s->types.n; i++) {
		if (!type_count(s, i))
			continue;
		if (n++)
			out__putc(o, ',');
		out__json_str(o, s->types.keys[i].s, s->types.keys[i].len);
		out__printf(o, ":%llu", (unsigned long long)type_count(s, i));
	}
	out__printf(o, "},\"processes\":{\"count\":%zu,\"other_events\":%llu,\"by_events\":",
		    s->nprocs, (unsigned long long)s->other_proc_events);
	json_procs(s, o, r.by_events, rows_shown(s, s->nprocs));
	out__puts(o, ",\"by_syscall_time\":");
	json_procs(s, o, r.by_sys, rows_shown(s, r.nsys));
	out__printf(o,
		    "},\"syscalls\":{\"precision\":\"p50 and p99 at most 1/%u above the "
		    "true value, exact below %u ns; max exact\",\"total\":",
		    LAT_SUB, 2 * LAT_SUB);
	json_sc(o, &r.total, r.all->n ? r.all : NULL, "total");
	out__puts(o, ",\"rows\":[");
	n = rows_shown(s, r.nscs);
	for (size_t i = 0; i < n; i++) {
		if (i)
			out__putc(o, ',');
		json_sc(o, r.scs[i], r.scs[i]->h, r.scs[i]->name);
	}
	out__printf(o,
		    "],\"more\":%zu},\"files\":{\"opens\":%llu,\"failures\":%llu,\"count\":%zu,"
		    "\"other_opens\":%llu,\"by_opens\":",
		    r.nscs - n, (unsigned long long)r.opens, (unsigned long long)r.fails,
		    s->file_map.n, (unsigned long long)s->file_other.opens);
	json_files(s, o, r.by_opens, rows_shown(s, s->file_map.n));
	out__puts(o, ",\"by_failures\":");
	json_files(s, o, r.by_fails, rows_shown(s, r.nfails));
	out__printf(o, "},\"connections\":{\"connects\":%llu,\"other\":%llu,\"rows\":[",
		    (unsigned long long)s->connects, (unsigned long long)s->conn_other);
	n = rows_shown(s, s->conn_map.n);
	for (size_t i = 0; i < n; i++) {
		const struct krow *k = &r.conns[i];
		uint32_t dl = s->conns[k->i].dest_len;

		if (i)
			out__putc(o, ',');
		out__putc(o, '{');
		json_key(o, "destination");
		out__json_str(o, k->key->s, dl);
		out__putc(o, ',');
		json_key(o, "result");
		out__json_str(o, k->key->s + dl + 1, strlen(k->key->s + dl + 1));
		out__printf(o, ",\"count\":%llu}", (unsigned long long)k->a);
	}
	out__puts(o, "]},\"exec_tree\":[");
	for (size_t i = 0; i < r.nroots; i++) {
		if (i)
			out__putc(o, ',');
		json_node(s, o, &r, r.tree_roots[i], 0);
	}
	out__printf(o, "],\"losses\":{\"lost\":%llu,\"records\":%llu,\"by_cpu\":[",
		    (unsigned long long)s->lost, (unsigned long long)s->loss_records);
	n = 0;
	for (size_t c = 0; c < s->cpu_cap; c++) {
		if (!s->cpus[c].records)
			continue;
		if (n++)
			out__putc(o, ',');
		out__printf(o, "{\"cpu\":%zu,\"lost\":%llu,\"records\":%llu}", c,
			    (unsigned long long)s->cpus[c].lost,
			    (unsigned long long)s->cpus[c].records);
	}
	out__puts(o, "]}}\n");
	report_free(&r);
}

/* ---- the verb ---------------------------------------------------------- */

#define VERB "summary"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpftape summary [PREDICATES] [--json] [--top N] FILE...\n\n"
		"What happened in the tapes, or in the selected events, in one report:\n"
		"events by type; processes by events and by time in syscalls; syscalls\n"
		"by time as strace -c lays them out (%% time, seconds, usecs/call), with\n"
		"p50, p99 and max latency, calls and errors (from 'syscall' events: record\n"
		"with -e syscall); files by opens and by failures ('open' events);\n"
		"connections by destination and result ('connect' events); the exec\n"
		"tree of the busiest processes and their ancestors; losses.  Several\n"
		"tapes are merged as replay merges them.\n\n"
		"Totals and counts per type come from the index when nothing is\n"
		"selected, or --type alone; the tables take one pass over the events,\n"
		"in bounded memory: percentiles from log-linear histograms (at most\n"
		"1/64 above the true value, exact below 128 ns; max exact), at most %d\n"
		"processes, %d files and %d destinations (the rest is counted as\n"
		"'other').\n\n"
		"Output:\n"
		"  --json         one JSON object (latencies in ns)\n"
		"  --top N        rows per table (default 10; 0: every row)\n"
		"  -h, --help     this help\n\n" PRED_HELP "\nExamples:\n"
		"  bpftape summary incident.tape\n"
		"  bpftape summary --pid 4242 --since 10s --until 20s incident.tape\n"
		"  bpftape summary --comm nginx --top 0 incident.tape\n"
		"  bpftape summary -f 'ret < 0' incident.tape\n"
		"  bpftape summary --json incident.tape | jq '.syscalls.rows[0]'\n"
		"  bpftape summary host-a.tape host-b.tape\n",
		SUMMARY_MAX_PROCS, SUMMARY_MAX_FILES, SUMMARY_MAX_CONNS);
}

int cmd_summary(int argc, char **argv)
{
	enum { OPT_JSON = 1, OPT_TOP };
	static const struct option opts[] = {
		PRED_LONG_OPTIONS,
		{"json", no_argument, NULL, OPT_JSON},
		{"top", required_argument, NULL, OPT_TOP},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pred_opts po = {0};
	struct summary_opts so = {.sz = sizeof(so), .top = 10};
	struct tapes t = {0};
	struct summary *s = NULL;
	struct out out = {.buf = NULL};
	bool json = false;
	uint64_t bad_chunks = 0, top;
	char err[512];
	int c, rc, ret = 1;

	cli__getopt_init();
	while ((c = pred_opts__getopt(&po, argc, argv, ":hf:", opts, VERB, &ret)) >= 0) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_TOP:
			if (cli__parse_uint(optarg, 1000000, &top)) {
				ret = cli__usage(VERB,
						 "--top: '%s' is not a number of rows from 0 "
						 "(every row) to 1000000",
						 optarg);
				goto cleanup;
			}
			so.top = (size_t)top;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto cleanup;
		default:
			ret = cli__bad_option(VERB, c, argv, opts);
			goto cleanup;
		}
	}
	if (c == PRED_GETOPT_FAIL)
		goto cleanup;
	if (optind >= argc) {
		ret = cli__usage(VERB, "no tape given (FILE...)");
		goto cleanup;
	}
	if ((rc = tapes__setup(&t, argv + optind, (size_t)(argc - optind), &po, err,
			       sizeof(err)))) {
		if (t.bad_selection)
			ret = cli__usage(VERB, "%s", err);
		else
			cli__eprintf("bpftape summary: %s\n", err);
		goto cleanup;
	}
	for (size_t i = 0; i < t.n; i++)
		bad_chunks += cli__report_damage(VERB, argv[optind + i], t.readers[i], 0);
	for (size_t i = 0; i < t.n; i++)
		if (tape_reader__recovered(t.readers[i]))
			cli__eprintf(
				"bpftape summary: %s: no valid index (unfinished or damaged tape);"
				" read by scanning ('bpftape recover' writes a clean copy)\n",
				argv[optind + i]);
	/* the parents and command lines of processes that started before
	 * --since, for the exec tree */
	if ((rc = tapes__proc_prefix(&t))) {
		cli__eprintf("bpftape summary: reading process state before --since: %s\n",
			     strerror(-rc));
		goto cleanup;
	}
	so.whole = pred_opts__empty(&po);
	if (po.ntypes && !po.since && !po.until && !po.npids && !po.ntids && !po.comm && !po.expr) {
		so.types = (const char *const *)po.types;
		so.ntypes = po.ntypes;
	}
	if (!(s = summary__new(&t, &so)) || out__init(&out, STDOUT_FILENO))
		goto nomem;
	/* damage the index already named: its chunks' counts are not in the
	 * events read */
	if (bad_chunks)
		summary__bad_chunk(s);
	for (;;) {
		const struct tape_event *ev;

		rc = tapes_merge__next(t.cur, &ev);
		if (rc < 0) {
			cli__eprintf("bpftape summary: %s: %s (skipped)\n",
				     argv[optind + tapes_merge__errsrc(t.cur)],
				     tapes_merge__errmsg(t.cur));
			bad_chunks++;
			summary__bad_chunk(s);
			continue;
		}
		if (rc == 0)
			break;
		if (tapes__apply(&t, ev))
			goto nomem;
		if (!predicate__match(t.pred, ev))
			continue;
		if (summary__add(s, ev))
			goto nomem;
	}
	if ((rc = summary__lineage(s))) {
		cli__eprintf("bpftape summary: reading the processes' forks and execs: %s\n",
			     strerror(-rc));
		goto cleanup;
	}
	signal(SIGPIPE, SIG_IGN);
	if (json)
		summary__json(s, &out);
	else
		summary__text(s, &out);
	out__flush(&out);
	if (out.err && out.err != -EPIPE) {
		cli__eprintf("bpftape summary: writing output: %s\n", strerror(-out.err));
		goto cleanup;
	}
	if (bad_chunks) {
		cli__partial(VERB, bad_chunks);
		ret = CLI_EXIT_PARTIAL;
		goto cleanup;
	}
	ret = 0;
	goto cleanup;
nomem:
	cli__eprintf("bpftape summary: out of memory\n");
cleanup:
	out__close(&out);
	summary__free(s);
	tapes__teardown(&t);
	pred_opts__free(&po);
	return ret;
}
