/* SPDX-License-Identifier: MIT */
/*
 * Where a user address lies: (binary path, file offset), from the
 * process's executable file mappings.  This is the seam where the
 * mapping tracker (record/maps.c: snapshots kept current by exec, mmap,
 * munmap and exit events) plugs in: until then each process's
 * /proc/PID/maps is read when its first stack is seen, again when an
 * address misses (a library loaded since), and forgotten at exec.  A
 * process that exited before its first stack was resolved has no maps
 * left: its frames say unknown, never a guess.  The consumer thread owns it.
 */
#ifndef BPFTAPE_RECORD_STACKRES_H
#define BPFTAPE_RECORD_STACKRES_H

#include <stdint.h>

struct stackres;

struct stackres_hit {
	const char *path;	    /* valid while the resolver lives */
	uint64_t offset;	    /* file offset of the address */
	uint64_t start, end, pgoff; /* the mapping (pgoff: its file offset) */
};

/* @proc: the procfs root (NULL: "/proc"), for tests.  NULL + errno. */
struct stackres *stackres__new(const char *proc);
void stackres__free(struct stackres *sr);

/* 0, or -ENOENT if @addr lies in no file mapping of @pid, -ESRCH if @pid
 * has none to read (it is gone, or a zombie). */
int stackres__resolve(struct stackres *sr, uint32_t pid, uint64_t addr, struct stackres_hit *hit);

/* @pid's mappings are no longer valid (it exec'd). */
void stackres__forget(struct stackres *sr, uint32_t pid);

#endif /* BPFTAPE_RECORD_STACKRES_H */
