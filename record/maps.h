/* SPDX-License-Identifier: MIT */
/*
 * The executable file mappings of every process the recorder follows, so
 * that a user stack address resolves to (binary, file offset) in the
 * recorder: position-independent, the same for every process and every
 * ASLR layout, and still known after the process exited.
 *
 * Seeded from /proc/PID/maps (every process at the start, one pid on
 * demand), then kept current by the kernel's records (bpf/maps.bpf.c):
 * exec replaces an address space, mmap/munmap change it, fork copies it
 * (threads share their process's), exit marks it dead.  A dead process
 * keeps its mappings until maps__reap() is told that no record still in
 * the ring can name it.
 *
 * Binary ids: one per distinct binary (device + inode, else path), from 1
 * in first-seen order, never reused; a binary keeps its path after it is
 * deleted.  The tape's mapping block (type 9) and binary block (type 10)
 * use these ids.
 *
 * Memory is bounded (struct maps_limits); what does not fit is counted
 * (maps__stats()), never an error for the caller.
 *
 * Addresses and offsets are bytes; @pgoff below is the file offset in
 * bytes of the mapping's start (the kernel's vm_pgoff << PAGE_SHIFT).
 * Ownership: the maps object owns every path it hands out; a maps_hit's
 * path stays valid until maps__free().  Not thread-safe.
 */
#ifndef BPFTAPE_RECORD_MAPS_H
#define BPFTAPE_RECORD_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

struct maps;

struct maps_limits {
	size_t procs;	 /* processes tracked at once, dead ones included */
	size_t mappings; /* executable mappings, all processes together */
	size_t binaries; /* distinct binaries (ids are never freed) */
};

struct maps_stats {
	size_t procs, mappings, binaries;      /* held now */
	uint64_t procs_dropped;		       /* a process not tracked: limit */
	uint64_t mappings_dropped;	       /* a mapping not kept: limit */
	uint64_t binaries_dropped;	       /* a binary without an id: limit */
	uint64_t snapshots, snapshot_failures; /* /proc/PID/maps reads */
};

/* What an address is. */
struct maps_hit {
	uint32_t binary;     /* binary id, >= 1 */
	const char *path;    /* the binary's path as mapped */
	uint64_t offset;     /* file offset: addr - start + pgoff */
	uint64_t start, end; /* the mapping */
	uint64_t dev, ino;   /* 0, 0 when unknown */
};

/*
 * Called for every change, in order, so a caller can log them (the
 * recorder writes them into the tape's mapping block).  @rec is filled as
 * tape_writer__add_mapping() takes it; for TAPE_MAPPING_MAP, @path is the
 * binary's path.
 */
typedef void (*maps_observer_fn)(void *ctx, const struct tape_mapping *rec, const char *path);

/* Default limits: 65536 processes, 1 Mi mappings, 65536 binaries. */
struct maps *maps__new(void);
/* With @lim (a zero field keeps its default).  NULL + errno. */
struct maps *maps__new_limits(const struct maps_limits *lim);
void maps__free(struct maps *m);

void maps__set_observer(struct maps *m, maps_observer_fn fn, void *ctx);

/*
 * Read /proc/PID/maps of every process (maps__snapshot_all) or of one:
 * its executable file mappings replace what @m held for it.  @ts stamps
 * the changes passed to the observer.  The number of processes read, or
 * -errno (-ENOENT: no such process).
 */
int maps__snapshot_all(struct maps *m);
int maps__snapshot(struct maps *m, int pid);
/* Where /proc is (tests give a fake one); default "/proc".  Not copied. */
void maps__set_proc_root(struct maps *m, const char *dir);
/* The timestamp snapshots stamp their records with (default 0). */
void maps__set_snapshot_ts(struct maps *m, uint64_t ts);

/* An executable mapping of @path at [start, end) appeared in @pid. */
void maps__mmap(struct maps *m, int pid, uint64_t start, uint64_t end, uint64_t pgoff,
		const char *path, uint64_t ts);
/* The same with the file's identity (st_dev as makedev() builds it, st_ino). */
void maps__mmap2(struct maps *m, int pid, uint64_t start, uint64_t end, uint64_t pgoff,
		 uint64_t dev, uint64_t ino, const char *path, uint64_t ts);
/* [start, end) of @pid is no longer mapped executable (munmap, mprotect). */
void maps__munmap(struct maps *m, int pid, uint64_t start, uint64_t end, uint64_t ts);
/* @pid forked @child (a new process): it starts with @pid's mappings. */
void maps__fork(struct maps *m, int pid, int child, uint64_t ts);
/* @pid exec'd: its address space is empty until the new image's mmaps. */
void maps__exec(struct maps *m, int pid, uint64_t ts);
/* @pid exited: its mappings stay until maps__reap() passes @ts. */
void maps__exit(struct maps *m, int pid, uint64_t ts);
/* Free processes that exited before @ts.  The number freed. */
size_t maps__reap(struct maps *m, uint64_t ts);

/*
 * The mapping of @pid that holds @addr.  A pid @m has never seen is read
 * from /proc once.  0, or -ENOENT (no such mapping; @out untouched).
 */
int maps__resolve(struct maps *m, int pid, uint64_t addr, struct maps_hit *out);

/*
 * An id of the binaries' space for something named @path that is mapped
 * from no file (a JIT's /tmp/perf-PID.map): the same id for the same path,
 * never one a file mapping gets.  0 at the limit.
 */
uint32_t maps__name_id(struct maps *m, const char *path);

/* The path of binary @id, or NULL. */
const char *maps__binary_path(const struct maps *m, uint32_t id);

/*
 * Pass every mapping of every live process to @fn as a TAPE_MAPPING_MAP
 * record stamped @ts (a fresh tape's starting state).
 */
void maps__for_each(const struct maps *m, uint64_t ts, maps_observer_fn fn, void *ctx);

void maps__stats(const struct maps *m, struct maps_stats *st);

#endif /* BPFTAPE_RECORD_MAPS_H */
