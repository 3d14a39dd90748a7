/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the symbol and unwinding tests: where a run-time address of
 * this process lies, as the recorder sees it (binary path, file offset from
 * /proc/self/maps, load bias from the dynamic linker).
 */
#ifndef BPFTAPE_SYMTEST_H
#define BPFTAPE_SYMTEST_H

#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The mapping holding @addr, as /proc/PID/maps gives it: its start, file
 * offset (pgoff, bytes) and file in @path.  0, or -1 if unmapped. */
static inline int symtest_mapping(uintptr_t addr, uint64_t *start, uint64_t *pgoff, char *path,
				  size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		char perms[8], file[PATH_MAX] = "";

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &lo, &hi, perms, &off,
			   file) < 4)
			continue;
		if (addr < lo || addr >= hi)
			continue;
		*start = lo;
		*pgoff = off;
		snprintf(path, len, "%s", file);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* The file offset of @addr in the file mapped there (addr - start +
 * pgoff), as the recorder computes it; @path gets the file. */
static inline int symtest_file_offset(uintptr_t addr, uint64_t *off, char *path, size_t len)
{
	uint64_t start, pgoff;

	if (symtest_mapping(addr, &start, &pgoff, path, len))
		return -1;
	*off = addr - start + pgoff;
	return 0;
}

struct symtest_obj {
	uintptr_t addr;
	uint64_t bias;
	char path[PATH_MAX];
	int found;
};

static inline int symtest_phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct symtest_obj *o = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || o->addr < lo || o->addr >= lo + ph->p_memsz)
			continue;
		o->bias = info->dlpi_addr;
		snprintf(o->path, sizeof(o->path), "%s",
			 *info->dlpi_name ? info->dlpi_name : "/proc/self/exe");
		o->found = 1;
		return 1;
	}
	return 0;
}

/* The loaded object holding @addr: its file and load bias (run-time
 * address - the binary's vaddr).  0, or -1 if none. */
static inline int symtest_object(uintptr_t addr, struct symtest_obj *o)
{
	memset(o, 0, sizeof(*o));
	o->addr = addr;
	dl_iterate_phdr(symtest_phdr_cb, o);
	return o->found ? 0 : -1;
}

#endif /* BPFTAPE_SYMTEST_H */
