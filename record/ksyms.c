// SPDX-License-Identifier: MIT
/* Kernel symbols (ksyms.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

struct ksym {
	uint64_t addr;
	const char *name;   /* into the name arena */
	const char *module; /* into the name arena, NULL: the kernel image */
};

struct kmod {
	const char *name;
	uint64_t start, end;
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char **arena; /* blocks of names */
	size_t narena;
	char *blk;
	size_t blk_left;
	uint64_t text_start, text_end; /* _stext, _etext */
	struct kmod *mods;
	size_t nmods;
};

#define ARENA_BLOCK (1u << 20)

static const char *keep(struct ksyms *ks, const char *s, size_t len)
{
	char *p;

	if (len + 1 > ks->blk_left) {
		size_t sz = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		char **a = realloc(ks->arena, (ks->narena + 1) * sizeof(*a));

		if (!a)
			return NULL;
		ks->arena = a;
		ks->blk = malloc(sz);
		if (!ks->blk)
			return NULL;
		ks->arena[ks->narena++] = ks->blk;
		ks->blk_left = sz;
	}
	p = ks->blk;
	memcpy(p, s, len);
	p[len] = 0;
	ks->blk += len + 1;
	ks->blk_left -= len + 1;
	return p;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The module name of a kallsyms line's tail "\t[name]", or NULL. */
static const char *module_of(struct ksyms *ks, const char *tail, const char **last)
{
	const char *b = strchr(tail, '['), *e;

	if (!b || !(e = strchr(b, ']')))
		return NULL;
	b++;
	/* consecutive symbols of one module share the copy */
	if (*last && strlen(*last) == (size_t)(e - b) && !strncmp(*last, b, e - b))
		return *last;
	*last = keep(ks, b, e - b);
	return *last;
}

static int load_modules(struct ksyms *ks, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return 0; /* a kernel without modules */
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long long size, base;
		struct kmod *m;

		/* name size refcount deps state address */
		if (sscanf(line, "%127s %llu %*s %*s %*s %llx", name, &size, &base) != 3 || !base)
			continue;
		m = realloc(ks->mods, (ks->nmods + 1) * sizeof(*m));
		if (!m) {
			fclose(f);
			return -ENOMEM;
		}
		ks->mods = m;
		m[ks->nmods].name = keep(ks, name, strlen(name));
		if (!m[ks->nmods].name) {
			fclose(f);
			return -ENOMEM;
		}
		m[ks->nmods].start = base;
		m[ks->nmods].end = base + size;
		ks->nmods++;
	}
	fclose(f);
	return 0;
}

struct ksyms *ksyms__load(const char *kallsyms, const char *modules)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	const char *last_mod = NULL;
	char *line = NULL;
	size_t linecap = 0;
	bool nonzero = false;
	FILE *f = NULL;
	int err = -ENOMEM;

	if (!ks)
		return NULL;
	f = fopen(kallsyms ? kallsyms : "/proc/kallsyms", "re");
	if (!f) {
		err = -errno;
		goto fail;
	}
	while (getline(&line, &linecap, f) > 0) {
		unsigned long long addr;
		char type, *name, *end;
		int pos = 0;

		if (sscanf(line, "%llx %c %n", &addr, &type, &pos) != 2 || !pos)
			continue;
		name = line + pos;
		end = name + strcspn(name, " \t\n");
		if (end == name)
			continue;
		if (addr)
			nonzero = true;
		if (!strncmp(name, "_stext", end - name) && end - name == 6)
			ks->text_start = addr;
		if (!strncmp(name, "_etext", end - name) && end - name == 6)
			ks->text_end = addr;
		/* functions only: text symbols (t, T) and weak ones (w, W) */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? 2 * ks->cap : 65536;
			struct ksym *s = realloc(ks->syms, cap * sizeof(*s));

			if (!s)
				goto fail;
			ks->syms = s;
			ks->cap = cap;
		}
		ks->syms[ks->n].addr = addr;
		ks->syms[ks->n].name = keep(ks, name, end - name);
		ks->syms[ks->n].module =
			*end && *end != '\n' ? module_of(ks, end, &last_mod) : NULL;
		if (!ks->syms[ks->n].name)
			goto fail;
		ks->n++;
	}
	fclose(f);
	f = NULL;
	if (!nonzero) {
		err = -ENODATA;
		goto fail;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), sym_cmp);
	err = load_modules(ks, modules ? modules : "/proc/modules");
	if (err)
		goto fail;
	free(line);
	return ks;
fail:
	if (f)
		fclose(f);
	free(line);
	ksyms__free(ks);
	errno = -err;
	return NULL;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->narena; i++)
		free(ks->arena[i]);
	free(ks->arena);
	free(ks->syms);
	free(ks->mods);
	free(ks);
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->n : 0;
}

static const struct kmod *mod_of(const struct ksyms *ks, uint64_t addr)
{
	for (size_t i = 0; i < ks->nmods; i++)
		if (addr >= ks->mods[i].start && addr < ks->mods[i].end)
			return &ks->mods[i];
	return NULL;
}

int ksyms__resolve(const struct ksyms *ks, uint64_t addr, struct ksym_hit *hit)
{
	size_t lo = 0, hi = ks ? ks->n : 0;
	const struct ksym *s, *next;
	const struct kmod *m;
	bool in_text;

	/* the last symbol at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	s = &ks->syms[lo - 1];
	next = lo < ks->n ? &ks->syms[lo] : NULL;
	in_text = ks->text_end > ks->text_start && addr >= ks->text_start && addr < ks->text_end;
	if (in_text) {
		/* the kernel image: its symbols tile its text */
		if (s->module)
			return -ENOENT;
	} else if ((m = mod_of(ks, addr))) {
		if (!s->module || strcmp(s->module, m->name) || s->addr < m->start)
			return -ENOENT;
	} else {
		/* a module without /proc/modules, or a BPF program: between a
		 * symbol of it and the next symbol of the same one */
		if (!s->module || !next || !next->module || strcmp(next->module, s->module))
			return -ENOENT;
	}
	hit->name = s->name;
	hit->module = s->module;
	hit->offset = addr - s->addr;
	return 0;
}
