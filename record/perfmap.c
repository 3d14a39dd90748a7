// SPDX-License-Identifier: MIT
/* JIT'd code named by /tmp/perf-PID.map: perfmap.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "perfmap.h"
#include "strpool.h"

struct psym {
	uint64_t start, end;
	const char *name;
	uint32_t line; /* a later line wins */
};

struct pproc {
	uint32_t pid;
	bool used;
	bool have; /* the file was read (else absent or refused) */
	struct psym *syms;
	size_t n;
	const char *path;
	uint64_t checked_ns, read_ns;
	/* the file as last read: a change means a re-read */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct perfmaps {
	char dir[256];
	struct pproc procs[PERFMAP_MAX_PROCS];
	struct strpool names; /* names and paths, PERFMAP_MAX_NAMES bytes at most */
	uint64_t skipped;
};

struct perfmaps *perfmaps__new(const char *dir)
{
	struct perfmaps *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	snprintf(pm->dir, sizeof(pm->dir), "%s", dir ? dir : "/tmp");
	pm->names.max_bytes = PERFMAP_MAX_NAMES;
	return pm;
}

static void pproc_clear(struct pproc *p)
{
	free(p->syms);
	memset(p, 0, sizeof(*p));
}

void perfmaps__free(struct perfmaps *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < PERFMAP_MAX_PROCS; i++)
		pproc_clear(&pm->procs[i]);
	strpool__free(&pm->names);
	free(pm);
}

static int cmp_start(const void *pa, const void *pb)
{
	const struct psym *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* "START SIZE NAME": false if @line is not one. */
static bool parse_line(char *line, uint64_t *start, uint64_t *size, char **name)
{
	char *end, *p = line;

	errno = 0;
	*start = strtoull(p, &end, 16);
	if (end == p || errno || !isspace((unsigned char)*end))
		return false;
	p = end;
	*size = strtoull(p, &end, 16);
	if (end == p || errno || !isspace((unsigned char)*end))
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	p = end + strcspn(end, "\r\n");
	*p = 0;
	*name = end;
	return *size && *end && *start + *size > *start && p - end <= PERFMAP_MAX_NAME;
}

/*
 * Open @path if it is a regular file owned by root, by us or by @pid's
 * owner (a file anyone could have put in /tmp names nothing otherwise).
 */
static FILE *open_map(const char *path, uint32_t pid, struct stat *sb)
{
	char proc[64];
	struct stat ps;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	snprintf(proc, sizeof(proc), "/proc/%u", pid);
	if (fstat(fd, sb) || !S_ISREG(sb->st_mode) ||
	    (sb->st_uid != 0 && sb->st_uid != geteuid() &&
	     (stat(proc, &ps) || ps.st_uid != sb->st_uid))) {
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* (Re)read @p's file if it changed since.  Keeps what it had if the
 * file cannot be read any more (the process's exit may remove it). */
static void load(struct perfmaps *pm, struct pproc *p)
{
	char path[300], line[PERFMAP_MAX_NAME + 80];
	struct psym *syms = NULL;
	size_t n = 0, cap = 0, bytes = 0;
	uint32_t lineno = 0;
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "%s/perf-%u.map", pm->dir, p->pid);
	if (stat(path, &sb))
		return;
	if (p->have && sb.st_dev == p->dev && sb.st_ino == p->ino && sb.st_size == p->size &&
	    sb.st_mtim.tv_sec == p->mtime.tv_sec && sb.st_mtim.tv_nsec == p->mtime.tv_nsec)
		return;
	f = open_map(path, p->pid, &sb);
	if (!f)
		return;
	while (bytes < PERFMAP_MAX_BYTES && fgets(line, sizeof(line), f)) {
		uint64_t start, size;
		char *name;
		size_t len = strlen(line);

		bytes += len;
		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			/* longer than any name we keep: skip the rest of it */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				bytes++;
			pm->skipped++;
			continue;
		}
		if (!parse_line(line, &start, &size, &name) || n >= PERFMAP_MAX_SYMS) {
			pm->skipped++;
			continue;
		}
		if (n == cap) {
			size_t c2 = cap ? 2 * cap : 64;
			struct psym *g = realloc(syms, c2 * sizeof(*g));

			if (!g)
				break;
			syms = g;
			cap = c2;
		}
		syms[n].name = strpool__intern(&pm->names, name);
		if (!syms[n].name) {
			pm->skipped++;
			continue;
		}
		syms[n].start = start;
		syms[n].end = start + size;
		syms[n].line = lineno;
		n++;
	}
	fclose(f);
	if (n)
		qsort(syms, n, sizeof(*syms), cmp_start);
	free(p->syms);
	p->syms = syms;
	p->n = n;
	p->have = true;
	p->dev = sb.st_dev;
	p->ino = sb.st_ino;
	p->size = sb.st_size;
	p->mtime = sb.st_mtim;
	p->read_ns = strpool__now_ns();
	if (!p->path)
		p->path = strpool__intern(&pm->names, path);
}

static struct pproc *slot_of(struct perfmaps *pm, uint32_t pid)
{
	size_t h = (pid * 2654435761u) % PERFMAP_MAX_PROCS, oldest = h;

	for (size_t i = 0; i < 16; i++) {
		struct pproc *p = &pm->procs[(h + i) % PERFMAP_MAX_PROCS];

		if (p->used && p->pid == pid)
			return p;
		if (!p->used) {
			p->used = true;
			p->pid = pid;
			return p;
		}
		if (p->checked_ns < pm->procs[oldest].checked_ns)
			oldest = (h + i) % PERFMAP_MAX_PROCS;
	}
	pproc_clear(&pm->procs[oldest]);
	pm->procs[oldest].used = true;
	pm->procs[oldest].pid = pid;
	return &pm->procs[oldest];
}

/* Nested or overlapping lines are rare: this many back, no further. */
#define MAX_BACK 16

int perfmaps__resolve(struct perfmaps *pm, uint32_t pid, uint64_t addr, bool ret,
		      struct perfmap_hit *hit)
{
	struct pproc *p = slot_of(pm, pid);
	uint64_t a = ret ? addr - 1 : addr, now = strpool__now_ns();
	const struct psym *best = NULL;
	size_t lo = 0, hi;

	if (!p->checked_ns || now - p->checked_ns > 10000000ull) {
		p->checked_ns = now;
		load(pm, p);
	}
	if (!p->have || !p->path)
		return -ENOENT;
	/* the first line starting after a */
	for (hi = p->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->syms[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < MAX_BACK && lo > k; k++) {
		const struct psym *s = &p->syms[lo - 1 - k];

		if (a - s->start < s->end - s->start && (!best || s->line > best->line))
			best = s;
	}
	if (!best)
		return -ENOENT;
	hit->name = best->name;
	hit->offset = addr - best->start;
	hit->path = p->path;
	hit->start = best->start;
	hit->end = best->end;
	return 0;
}

void perfmaps__forget(struct perfmaps *pm, uint32_t pid)
{
	for (size_t i = 0; i < 16; i++) {
		struct pproc *p = &pm->procs[((pid * 2654435761u) % PERFMAP_MAX_PROCS + i) %
					     PERFMAP_MAX_PROCS];

		if (p->used && p->pid == pid) {
			pproc_clear(p);
			return;
		}
	}
}

uint64_t perfmaps__skipped(const struct perfmaps *pm)
{
	return pm->skipped;
}
