// SPDX-License-Identifier: MIT
/* Executable mappings per process, for user stack resolution (maps.h). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "maps.h"

#define DEFAULT_PROCS	 65536
#define DEFAULT_MAPPINGS (1u << 20)
#define DEFAULT_BINARIES 65536

struct mapping {
	uint64_t start, end, pgoff;
	uint32_t bin;
};

struct mproc {
	int pid;
	bool dead;
	uint64_t dead_ts;
	struct mapping *v; /* sorted by start, never overlapping */
	uint32_t n, cap;
};

struct binary {
	uint64_t dev, ino;
	char *path;
};

struct maps {
	struct maps_limits lim;
	/* pid -> process, open addressing with linear probing */
	struct mproc **slots;
	size_t nslots, nprocs;
	size_t nmappings;
	/* binary id - 1 -> binary, and (dev, ino) or path -> id */
	struct binary *bins;
	size_t nbins, capbins;
	uint32_t *bslots; /* id, 0: empty */
	size_t nbslots;
	maps_observer_fn obs;
	void *obs_ctx;
	const char *proc_root;
	uint64_t snap_ts;
	struct maps_stats st;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

struct maps *maps__new_limits(const struct maps_limits *lim)
{
	struct maps *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->lim.procs = lim && lim->procs ? lim->procs : DEFAULT_PROCS;
	m->lim.mappings = lim && lim->mappings ? lim->mappings : DEFAULT_MAPPINGS;
	m->lim.binaries = lim && lim->binaries ? lim->binaries : DEFAULT_BINARIES;
	m->proc_root = "/proc";
	return m;
}

struct maps *maps__new(void)
{
	return maps__new_limits(NULL);
}

static void proc_free(struct mproc *p)
{
	if (p) {
		free(p->v);
		free(p);
	}
}

void maps__free(struct maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nslots; i++)
		proc_free(m->slots[i]);
	free(m->slots);
	for (size_t i = 0; i < m->nbins; i++)
		free(m->bins[i].path);
	free(m->bins);
	free(m->bslots);
	free(m);
}

void maps__set_observer(struct maps *m, maps_observer_fn fn, void *ctx)
{
	m->obs = fn;
	m->obs_ctx = ctx;
}

void maps__set_proc_root(struct maps *m, const char *dir)
{
	m->proc_root = dir ? dir : "/proc";
}

void maps__set_snapshot_ts(struct maps *m, uint64_t ts)
{
	m->snap_ts = ts;
}

static void notify(struct maps *m, const struct tape_mapping *rec, const char *path)
{
	if (m->obs)
		m->obs(m->obs_ctx, rec, path);
}

/* ---- processes ------------------------------------------------------------ */

static size_t pid_slot(const struct maps *m, int pid)
{
	return mix((uint32_t)pid) & (m->nslots - 1);
}

static struct mproc *proc_get(const struct maps *m, int pid)
{
	if (!m->nslots)
		return NULL;
	for (size_t i = pid_slot(m, pid);; i = (i + 1) & (m->nslots - 1)) {
		struct mproc *p = m->slots[i];

		if (!p)
			return NULL;
		if (p->pid == pid)
			return p;
	}
}

static int procs_grow(struct maps *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 64;
	struct mproc **old = m->slots, **s = calloc(n, sizeof(*s));
	size_t oldn = m->nslots;

	if (!s)
		return -ENOMEM;
	m->slots = s;
	m->nslots = n;
	for (size_t i = 0; i < oldn; i++) {
		size_t j;

		if (!old[i])
			continue;
		for (j = pid_slot(m, old[i]->pid); s[j]; j = (j + 1) & (n - 1))
			;
		s[j] = old[i];
	}
	free(old);
	return 0;
}

/* The process @pid, created (empty) if new; NULL at the limit. */
static struct mproc *proc_add(struct maps *m, int pid)
{
	struct mproc *p = proc_get(m, pid);
	size_t i;

	if (p)
		return p;
	if (m->nprocs >= m->lim.procs) {
		m->st.procs_dropped++;
		return NULL;
	}
	if ((m->nprocs + 1) * 2 > m->nslots && procs_grow(m))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	for (i = pid_slot(m, pid); m->slots[i]; i = (i + 1) & (m->nslots - 1))
		;
	m->slots[i] = p;
	m->nprocs++;
	return p;
}

/* Remove slot @i, moving back the entries its removal would strand. */
static void slot_remove(struct maps *m, size_t i)
{
	size_t mask = m->nslots - 1, j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!m->slots[j])
			break;
		k = pid_slot(m, m->slots[j]->pid);
		/* its home lies cyclically in (i, j]: it is still reachable */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i] = NULL;
}

static void proc_clear(struct maps *m, struct mproc *p)
{
	m->nmappings -= p->n;
	p->n = 0;
}

static void proc_remove(struct maps *m, int pid)
{
	if (!m->nslots)
		return;
	for (size_t i = pid_slot(m, pid);; i = (i + 1) & (m->nslots - 1)) {
		struct mproc *p = m->slots[i];

		if (!p)
			return;
		if (p->pid == pid) {
			proc_clear(m, p);
			proc_free(p);
			slot_remove(m, i);
			m->nprocs--;
			return;
		}
	}
}

/* ---- binaries ------------------------------------------------------------- */

static uint64_t bin_hash(uint64_t dev, uint64_t ino, const char *path)
{
	return ino ? mix(dev * 0x9e3779b97f4a7c15ull ^ ino) : hash_str(path);
}

static bool bin_is(const struct binary *b, uint64_t dev, uint64_t ino, const char *path)
{
	if (ino)
		return b->ino == ino && b->dev == dev;
	return !b->ino && !strcmp(b->path, path);
}

static int bins_grow(struct maps *m)
{
	size_t n = m->nbslots ? m->nbslots * 2 : 256;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->nbins; i++) {
		const struct binary *b = &m->bins[i];
		size_t j = bin_hash(b->dev, b->ino, b->path) & (n - 1);

		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = i + 1;
	}
	free(m->bslots);
	m->bslots = s;
	m->nbslots = n;
	return 0;
}

/* The id of the binary (@dev, @ino), else @path; 0 at the limit. */
static uint32_t bin_id(struct maps *m, uint64_t dev, uint64_t ino, const char *path)
{
	size_t j;

	if (m->nbslots)
		for (j = bin_hash(dev, ino, path) & (m->nbslots - 1); m->bslots[j];
		     j = (j + 1) & (m->nbslots - 1))
			if (bin_is(&m->bins[m->bslots[j] - 1], dev, ino, path))
				return m->bslots[j];
	if (m->nbins >= m->lim.binaries || m->nbins >= UINT32_MAX - 1) {
		m->st.binaries_dropped++;
		return 0;
	}
	if ((m->nbins + 1) * 2 > m->nbslots && bins_grow(m))
		return 0;
	if (m->nbins == m->capbins) {
		size_t cap = m->capbins ? m->capbins * 2 : 64;
		struct binary *b = realloc(m->bins, cap * sizeof(*b));

		if (!b)
			return 0;
		m->bins = b;
		m->capbins = cap;
	}
	m->bins[m->nbins].path = strdup(path);
	if (!m->bins[m->nbins].path)
		return 0;
	m->bins[m->nbins].dev = dev;
	m->bins[m->nbins].ino = ino;
	m->nbins++;
	for (j = bin_hash(dev, ino, path) & (m->nbslots - 1); m->bslots[j];
	     j = (j + 1) & (m->nbslots - 1))
		;
	m->bslots[j] = m->nbins;
	return m->nbins;
}

uint32_t maps__name_id(struct maps *m, const char *path)
{
	/* keyed by path like a mapping known by its path alone: no file at
	 * such a path is mapped executable */
	return bin_id(m, 0, 0, path);
}

const char *maps__binary_path(const struct maps *m, uint32_t id)
{
	return id && id <= m->nbins ? m->bins[id - 1].path : NULL;
}

/* ---- one process's mappings --------------------------------------------- */

/* Index of the first mapping whose end is above @addr. */
static uint32_t first_above(const struct mproc *p, uint64_t addr)
{
	uint32_t lo = 0, hi = p->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct mproc *p, uint32_t extra)
{
	uint32_t cap;
	struct mapping *v;

	if (p->n + extra <= p->cap)
		return 0;
	cap = p->cap ? p->cap * 2 : 8;
	while (cap < p->n + extra)
		cap *= 2;
	v = realloc(p->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->v = v;
	p->cap = cap;
	return 0;
}

/* Take [start, end) out of @p's mappings.  Whether anything was there. */
static bool cut(struct maps *m, struct mproc *p, uint64_t start, uint64_t end)
{
	uint32_t i = first_above(p, start), j;
	bool changed = false;

	if (i < p->n && p->v[i].start < start && p->v[i].end > end) {
		/* a hole in the middle: split in two (one more mapping) */
		struct mapping right = p->v[i];

		if (m->nmappings >= m->lim.mappings || reserve(p, 1)) {
			m->st.mappings_dropped++;
			p->v[i].end = start; /* keep the left part, lose the right */
			return true;
		}
		right.pgoff += end - right.start;
		right.start = end;
		p->v[i].end = start;
		memmove(&p->v[i + 2], &p->v[i + 1], (p->n - i - 1) * sizeof(*p->v));
		p->v[i + 1] = right;
		p->n++;
		m->nmappings++;
		return true;
	}
	if (i < p->n && p->v[i].start < start && p->v[i].end > start) {
		p->v[i].end = start;
		changed = true;
		i++;
	}
	for (j = i; j < p->n && p->v[j].end <= end; j++)
		;
	if (j > i) {
		memmove(&p->v[i], &p->v[j], (p->n - j) * sizeof(*p->v));
		p->n -= j - i;
		m->nmappings -= j - i;
		changed = true;
	}
	if (i < p->n && p->v[i].start < end) {
		p->v[i].pgoff += end - p->v[i].start;
		p->v[i].start = end;
		changed = true;
	}
	return changed;
}

/* Map [start, end) of binary @bin in @p, replacing what was there. */
static bool place(struct maps *m, struct mproc *p, uint64_t start, uint64_t end, uint64_t pgoff,
		  uint32_t bin)
{
	uint32_t i;

	cut(m, p, start, end);
	if (m->nmappings >= m->lim.mappings || reserve(p, 1)) {
		m->st.mappings_dropped++;
		return false;
	}
	i = first_above(p, start);
	memmove(&p->v[i + 1], &p->v[i], (p->n - i) * sizeof(*p->v));
	p->v[i] = (struct mapping){start, end, pgoff, bin};
	p->n++;
	m->nmappings++;
	return true;
}

/* A process that runs again under a pid we saw die: a new process. */
static struct mproc *proc_live(struct maps *m, int pid)
{
	struct mproc *p = proc_get(m, pid);

	if (p && p->dead) {
		proc_clear(m, p);
		p->dead = false;
	}
	return p ? p : proc_add(m, pid);
}

void maps__mmap2(struct maps *m, int pid, uint64_t start, uint64_t end, uint64_t pgoff,
		 uint64_t dev, uint64_t ino, const char *path, uint64_t ts)
{
	struct mproc *p;
	uint32_t bin;

	if (start >= end || !path || !*path)
		return;
	p = proc_live(m, pid);
	if (!p)
		return;
	bin = bin_id(m, dev, ino, path);
	if (!bin) {
		/* unknown from now on, rather than a stale binary's name */
		if (cut(m, p, start, end))
			notify(m,
			       &(struct tape_mapping){.kind = TAPE_MAPPING_UNMAP,
						      .pid = pid,
						      .ts = ts,
						      .start = start,
						      .end = end},
			       NULL);
		return;
	}
	if (place(m, p, start, end, pgoff, bin))
		notify(m,
		       &(struct tape_mapping){.kind = TAPE_MAPPING_MAP,
					      .pid = pid,
					      .ts = ts,
					      .start = start,
					      .end = end,
					      .offset = pgoff,
					      .binary = bin},
		       m->bins[bin - 1].path);
}

void maps__mmap(struct maps *m, int pid, uint64_t start, uint64_t end, uint64_t pgoff,
		const char *path, uint64_t ts)
{
	maps__mmap2(m, pid, start, end, pgoff, 0, 0, path, ts);
}

void maps__munmap(struct maps *m, int pid, uint64_t start, uint64_t end, uint64_t ts)
{
	struct mproc *p = proc_get(m, pid);

	if (!p || start >= end)
		return;
	if (cut(m, p, start, end))
		notify(m,
		       &(struct tape_mapping){.kind = TAPE_MAPPING_UNMAP,
					      .pid = pid,
					      .ts = ts,
					      .start = start,
					      .end = end},
		       NULL);
}

void maps__exec(struct maps *m, int pid, uint64_t ts)
{
	struct mproc *p = proc_live(m, pid);

	if (!p)
		return;
	proc_clear(m, p);
	notify(m, &(struct tape_mapping){.kind = TAPE_MAPPING_EXEC, .pid = pid, .ts = ts}, NULL);
}

void maps__fork(struct maps *m, int pid, int child, uint64_t ts)
{
	struct mproc *p, *c;
	uint32_t n;

	if (pid == child)
		return; /* a thread: it shares its process's mappings */
	c = proc_live(m, child);
	if (!c)
		return;
	proc_clear(m, c);
	/* the parent may have moved in the table: look it up after the add */
	p = proc_get(m, pid);
	n = p ? p->n : 0;
	if (m->nmappings + n > m->lim.mappings) {
		m->st.mappings_dropped += n;
		n = 0;
	}
	if (n && reserve(c, n)) {
		m->st.mappings_dropped += n;
		n = 0;
	}
	if (n)
		memcpy(c->v, p->v, n * sizeof(*c->v));
	c->n = n;
	m->nmappings += n;
	notify(m,
	       &(struct tape_mapping){
		       .kind = TAPE_MAPPING_FORK, .pid = child, .ts = ts, .ppid = pid},
	       NULL);
}

void maps__exit(struct maps *m, int pid, uint64_t ts)
{
	struct mproc *p = proc_get(m, pid);

	if (p && !p->dead) {
		p->dead = true;
		p->dead_ts = ts;
	}
}

size_t maps__reap(struct maps *m, uint64_t ts)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nslots;) {
		struct mproc *p = m->slots[i];

		if (p && p->dead && p->dead_ts < ts) {
			/* the slot is refilled by a later entry: look at it again */
			proc_remove(m, p->pid);
			n++;
			continue;
		}
		i++;
	}
	return n;
}

int maps__resolve(struct maps *m, int pid, uint64_t addr, struct maps_hit *out)
{
	struct mproc *p = proc_get(m, pid);
	const struct mapping *e;
	const struct binary *b;
	uint32_t i;

	if (!p) {
		/* never seen (started before us and quiet since): ask /proc once;
		 * a process that is gone stays known as empty, and dead */
		maps__snapshot(m, pid);
		p = proc_get(m, pid);
		if (!p)
			p = proc_add(m, pid);
		if (!p)
			return -ENOENT;
		if (!p->n && !p->dead) {
			p->dead = true;
			p->dead_ts = 0;
		}
	}
	i = first_above(p, addr);
	if (i >= p->n || p->v[i].start > addr)
		return -ENOENT;
	e = &p->v[i];
	b = &m->bins[e->bin - 1];
	out->binary = e->bin;
	out->path = b->path;
	out->offset = addr - e->start + e->pgoff;
	out->start = e->start;
	out->end = e->end;
	out->dev = b->dev;
	out->ino = b->ino;
	return 0;
}

/* ---- /proc/PID/maps ------------------------------------------------------- */

/*
 * One line: "START-END PERMS OFFSET MAJ:MIN INODE   PATH".  Executable file
 * mappings only (PATH absolute); " (deleted)" is not part of the path.
 */
static bool parse_line(char *line, struct mapping *e, uint64_t *dev, uint64_t *ino, char **path)
{
	unsigned long long start, end, off, inode;
	unsigned maj, min;
	char perms[8];
	int n = 0;
	char *pth, *nl;
	size_t len;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min,
		   &inode, &n) < 7 ||
	    !n)
		return false;
	pth = line + n;
	nl = strchr(pth, '\n');
	if (nl)
		*nl = 0;
	if (strlen(perms) < 3 || perms[2] != 'x' || pth[0] != '/' || start >= end)
		return false;
	len = strlen(pth);
	if (len > 10 && !strcmp(pth + len - 10, " (deleted)"))
		pth[len - 10] = 0;
	e->start = start;
	e->end = end;
	e->pgoff = off;
	*dev = makedev(maj, min);
	*ino = inode;
	*path = pth;
	return true;
}

int maps__snapshot(struct maps *m, int pid)
{
	char fn[4096], line[4096 + 256];
	struct mproc *p;
	FILE *f;
	int err;

	snprintf(fn, sizeof(fn), "%s/%d/maps", m->proc_root, pid);
	f = fopen(fn, "re");
	if (!f) {
		err = -errno;
		m->st.snapshot_failures++;
		return err;
	}
	p = proc_live(m, pid);
	if (!p) {
		fclose(f);
		return -ENOSPC;
	}
	if (p->n)
		maps__exec(m, pid, m->snap_ts);
	while (fgets(line, sizeof(line), f)) {
		struct mapping e;
		uint64_t dev, ino;
		char *path;

		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			/* a path longer than the line: skip the rest of it */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (parse_line(line, &e, &dev, &ino, &path))
			maps__mmap2(m, pid, e.start, e.end, e.pgoff, dev, ino, path, m->snap_ts);
	}
	fclose(f);
	m->st.snapshots++;
	return 1;
}

int maps__snapshot_all(struct maps *m)
{
	struct dirent *de;
	DIR *d = opendir(m->proc_root);
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (end == de->d_name || *end || pid <= 0 || pid > INT32_MAX)
			continue;
		/* gone meanwhile, or a kernel thread without maps: nothing to hold */
		if (maps__snapshot(m, (int)pid) > 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ---- the whole state -------------------------------------------------------- */

void maps__for_each(const struct maps *m, uint64_t ts, maps_observer_fn fn, void *ctx)
{
	for (size_t i = 0; i < m->nslots; i++) {
		const struct mproc *p = m->slots[i];

		for (uint32_t k = 0; p && k < p->n; k++) {
			const struct mapping *e = &p->v[k];

			fn(ctx,
			   &(struct tape_mapping){.kind = TAPE_MAPPING_MAP,
						  .pid = p->pid,
						  .ts = ts,
						  .start = e->start,
						  .end = e->end,
						  .offset = e->pgoff,
						  .binary = e->bin},
			   m->bins[e->bin - 1].path);
		}
	}
}

void maps__stats(const struct maps *m, struct maps_stats *st)
{
	*st = m->st;
	st->procs = m->nprocs;
	st->mappings = m->nmappings;
	st->binaries = m->nbins;
}
