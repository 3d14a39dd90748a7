// SPDX-License-Identifier: MIT
/* User addresses to (binary, file offset): stackres.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stackres.h"
#include "strpool.h"

struct smap {
	uint64_t start, end, pgoff;
	const char *path; /* interned */
};

struct sproc {
	uint32_t pid;
	bool used;
	struct smap *maps;
	size_t n;
	uint64_t read_ns; /* when its maps were read */
};

#define NPROCS 4096 /* open addressing; the least recently read goes when full */

struct stackres {
	char proc[256];
	struct sproc *procs;
	size_t nprocs;
	struct strpool paths;
};

struct stackres *stackres__new(const char *proc)
{
	struct stackres *sr = calloc(1, sizeof(*sr));

	if (!sr)
		return NULL;
	snprintf(sr->proc, sizeof(sr->proc), "%s", proc ? proc : "/proc");
	sr->procs = calloc(NPROCS, sizeof(*sr->procs));
	if (!sr->procs) {
		free(sr);
		return NULL;
	}
	return sr;
}

static void sproc_clear(struct sproc *p)
{
	free(p->maps);
	memset(p, 0, sizeof(*p));
}

void stackres__free(struct stackres *sr)
{
	if (!sr)
		return;
	for (size_t i = 0; i < NPROCS; i++)
		sproc_clear(&sr->procs[i]);
	free(sr->procs);
	strpool__free(&sr->paths);
	free(sr);
}

/* Read @pid's executable file mappings into @p.  0 or -errno. */
static int read_maps(struct stackres *sr, uint32_t pid, struct sproc *p)
{
	char path[300], line[4352];
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/maps", sr->proc, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	free(p->maps);
	p->maps = NULL;
	p->n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		char perms[8];
		int pos = 0;
		char *name, *nl;
		struct smap *m;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff,
			   &pos) != 4 ||
		    !pos || perms[2] != 'x')
			continue;
		name = line + pos;
		nl = strchr(name, '\n');
		if (nl)
			*nl = 0;
		/* files only: [vdso], anonymous JIT code and the like are not */
		if (name[0] != '/')
			continue;
		if (p->n == cap) {
			cap = cap ? 2 * cap : 32;
			m = realloc(p->maps, cap * sizeof(*m));
			if (!m) {
				fclose(f);
				return -ENOMEM;
			}
			p->maps = m;
		}
		m = &p->maps[p->n];
		m->start = start;
		m->end = end;
		m->pgoff = pgoff;
		m->path = strpool__intern(&sr->paths, name);
		if (!m->path) {
			fclose(f);
			return -ENOMEM;
		}
		p->n++;
	}
	fclose(f);
	p->read_ns = strpool__now_ns();
	return 0;
}

static struct sproc *slot_of(struct stackres *sr, uint32_t pid, bool create)
{
	size_t h = (pid * 2654435761u) % NPROCS, oldest = h;

	for (size_t i = 0; i < 16; i++) {
		struct sproc *p = &sr->procs[(h + i) % NPROCS];

		if (p->used && p->pid == pid)
			return p;
		if (!p->used) {
			if (!create)
				return NULL;
			p->used = true;
			p->pid = pid;
			return p;
		}
		if (p->read_ns < sr->procs[oldest].read_ns)
			oldest = (h + i) % NPROCS;
	}
	if (!create)
		return NULL;
	sproc_clear(&sr->procs[oldest]);
	sr->procs[oldest].used = true;
	sr->procs[oldest].pid = pid;
	return &sr->procs[oldest];
}

static const struct smap *lookup(const struct sproc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

int stackres__resolve(struct stackres *sr, uint32_t pid, uint64_t addr, struct stackres_hit *hit)
{
	struct sproc *p = slot_of(sr, pid, true);
	const struct smap *m;

	if (!p->read_ns && read_maps(sr, pid, p)) {
		/* gone: remember that for a while, not re-read per frame */
		p->read_ns = strpool__now_ns();
		return -ESRCH;
	}
	m = lookup(p, addr);
	/* a library mapped since: read again, at most every 10 ms */
	if (!m && strpool__now_ns() - p->read_ns > 10000000ull) {
		if (read_maps(sr, pid, p)) {
			/* gone since: what was read stays, for its frames */
			p->read_ns = strpool__now_ns();
			return -ESRCH;
		}
		m = lookup(p, addr);
	}
	if (!m)
		return p->n ? -ENOENT : -ESRCH; /* no mappings: gone, or a zombie */
	hit->path = m->path;
	hit->offset = addr - m->start + m->pgoff;
	hit->start = m->start;
	hit->end = m->end;
	hit->pgoff = m->pgoff;
	return 0;
}

void stackres__forget(struct stackres *sr, uint32_t pid)
{
	struct sproc *p = slot_of(sr, pid, false);

	if (p) {
		free(p->maps);
		p->maps = NULL;
		p->n = 0;
		p->read_ns = 0;
	}
}
