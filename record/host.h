/* SPDX-License-Identifier: MIT */
/*
 * What the recorder writes at the head of every tape besides the schema:
 * host metadata (docs/EVENTS.md, "Metadata") and the process snapshot.
 */
#ifndef BPFTAPE_RECORD_HOST_H
#define BPFTAPE_RECORD_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

#define RECORD_META_MAX 32

/* Key/value pairs, owned (strdup'd). */
struct record_meta {
	size_t n;
	char *key[RECORD_META_MAX];
	char *value[RECORD_META_MAX];
};

/* Add one pair (printf-style value).  0, -ENOSPC, -ENOMEM. */
int record_meta__add(struct record_meta *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Collect host metadata: host.name, host.kernel, host.machine, host.ncpus,
 * clock.boottime_to_realtime_ns, recorder.version, recorder.cmdline
 * (@argc/@argv, NUL-free, space-joined), record.start_ts and
 * record.start_time.  0 or -errno.
 */
int record_meta__collect(struct record_meta *m, int argc, char **argv);

/* Write every pair into @w.  0 or -errno from the writer. */
int record_meta__write(const struct record_meta *m, struct tape_writer *w);

void record_meta__free(struct record_meta *m);

/* CLOCK_BOOTTIME now, in ns (the clock of every event). */
uint64_t host__boottime_ns(void);

/* CLOCK_REALTIME minus CLOCK_BOOTTIME, in ns, from the tightest of a few
 * back-to-back readings. */
int64_t host__boottime_to_realtime_ns(void);

/* A process table read from /proc.  Owns every string the procs point to. */
struct proc_snapshot {
	size_t n;
	struct tape_proc *procs;
	char **strings; /* allocations to free */
	size_t nstrings;
};

/*
 * Read every process in /proc into @snap (zeroed by the caller or freed
 * before).  Processes that vanish while reading are skipped.  0 or -errno.
 */
int proc_snapshot__read(struct proc_snapshot *snap);

/* True if @pid is @root or a descendant of @root in @snap. */
bool proc_snapshot__descends(const struct proc_snapshot *snap, uint32_t pid, uint32_t root);

/* The process @pid in @snap, or NULL. */
const struct tape_proc *proc_snapshot__find(const struct proc_snapshot *snap, uint32_t pid);

void proc_snapshot__free(struct proc_snapshot *snap);

/* The cgroup v2 id (the inode number of its directory) of @path, a
 * directory of the cgroup2 file system or a path inside its mount.  0 or
 * -errno; -EXDEV for a directory outside the cgroup2 file system. */
int host__cgroup_id(const char *path, uint64_t *id);

#endif /* BPFTAPE_RECORD_HOST_H */
