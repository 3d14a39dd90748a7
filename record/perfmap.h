/* SPDX-License-Identifier: MIT */
/*
 * JIT'd code, named by the perf convention: a process that generates code
 * writes /tmp/perf-PID.map, one line per function, "START SIZE NAME"
 * (START and SIZE in hex, 0x optional, NAME the rest of the line, lines in
 * any order).  A user frame that lies in no file mapping is looked up
 * there, while recording: the file and the process may both be gone by the
 * time the tape is read (perf reads it when reporting).
 *
 * Each process's file is read at its first lookup and again when it has
 * changed (size, inode or mtime; checked at most every 10 ms per process),
 * as JITs append.  A later line wins over an earlier one for the same
 * address (code freed and reused).  The file is read only if it is a
 * regular file (not followed through a symlink) owned by root, by us or by
 * the process's owner: /tmp is anyone's.  Memory is bounded: at most
 * PERFMAP_MAX_BYTES read per file, PERFMAP_MAX_SYMS lines kept per file,
 * PERFMAP_MAX_PROCS processes (the least recently read goes), and
 * PERFMAP_MAX_NAMES bytes of names in all (names are interned and live as
 * long as the object, for the stack table's sake).  The consumer thread
 * owns it.
 */
#ifndef BPFTAPE_RECORD_PERFMAP_H
#define BPFTAPE_RECORD_PERFMAP_H

#include <stdbool.h>
#include <stdint.h>

#define PERFMAP_MAX_BYTES (64u << 20)
#define PERFMAP_MAX_SYMS  (1u << 20)
#define PERFMAP_MAX_PROCS 256
#define PERFMAP_MAX_NAMES (64u << 20)
#define PERFMAP_MAX_NAME  1024 /* a longer name: the line is skipped */

struct perfmaps;

struct perfmap_hit {
	const char *name;    /* the function's name, interned */
	uint64_t offset;     /* into it */
	const char *path;    /* "/tmp/perf-PID.map", interned */
	uint64_t start, end; /* the function */
};

/* @dir: where the files are (NULL: "/tmp"; tests give another).  NULL +
 * errno. */
struct perfmaps *perfmaps__new(const char *dir);
void perfmaps__free(struct perfmaps *pm);

/*
 * Name @addr of @pid from its perf map.  @ret: @addr is a return address,
 * so the call before it is what is looked up (@hit->offset still counts
 * from @addr).  0, or -ENOENT (no file, or no line covers it).
 */
int perfmaps__resolve(struct perfmaps *pm, uint32_t pid, uint64_t addr, bool ret,
		      struct perfmap_hit *hit);

/* @pid exec'd or is gone: its file is read again at the next lookup. */
void perfmaps__forget(struct perfmaps *pm, uint32_t pid);

/* Lines skipped (malformed, over a limit) since the start. */
uint64_t perfmaps__skipped(const struct perfmaps *pm);

#endif /* BPFTAPE_RECORD_PERFMAP_H */
