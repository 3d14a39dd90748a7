/* SPDX-License-Identifier: MIT */
/*
 * libtape's process table: who each pid is at a point of a tape.
 *
 * Seeded from the tape's process snapshots and kept current by the
 * fork/exec/exit events of docs/EVENTS.md, so a reader can name the process
 * behind an event (comm, exe, argv, parent) even when a filter dropped the
 * events that introduced it.  Feed it the events of a cursor in order
 * (examples/proc_of_event.c); bpftape's replay, filter, export and query
 * use it so.  The conventions of tape.h hold here too: NULL + errno or a
 * negative errno, nothing printed, free functions accept NULL.
 *
 * Ownership: the table owns every string in every tape_proc_state.  A
 * pointer returned by tape_proctab__get()/tape_proctab__at() stays valid
 * until the next tape_proctab__load_snapshot()/tape_proctab__apply() or
 * tape_proctab__free() on the table.
 */
#ifndef BPFTAPE_TAPE_PROCTAB_H
#define BPFTAPE_TAPE_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tape.h"

/* exported from libtape like tape.h (built with -fvisibility=hidden) */
#pragma GCC visibility push(default)

#ifdef __cplusplus
extern "C" {
#endif

struct tape_proc_state {
	uint32_t pid, ppid, uid;
	char comm[TAPE_COMM_LEN]; /* NUL-terminated */
	char *exe;		  /* NULL if unknown */
	char *argv;		  /* NUL-separated, @argv_len bytes; NULL if unknown */
	uint32_t argv_len;
	char *cgroup; /* NULL if unknown */
	/* the container (docs/FORMAT.md): NULL if unknown, "" outside one */
	char *container, *container_name, *runtime, *pod;
	uint64_t start_ts, exit_ts; /* CLOCK_BOOTTIME ns, 0 if unknown */
	int32_t exit_code, exit_signal;
	bool exited;
};

struct tape_proctab;

/* An empty table.  NULL + errno (ENOMEM). */
struct tape_proctab *tape_proctab__new(void);
void tape_proctab__free(struct tape_proctab *t);

/* Add (or replace, by pid) every process of @r's snapshot blocks, in file
 * order.  0 or -ENOMEM. */
int tape_proctab__load_snapshot(struct tape_proctab *t, const struct tape_reader *r);

/*
 * Update the table with one event, recognized by its type name (ev->tp):
 * fork adds the child (inheriting the parent's exe, argv, uid, cgroup and
 * container), a successful exec sets exe, argv and comm (and the cgroup and
 * container where the exec records them), exit marks the process exited.
 * Any other event names a pid the table does not know yet (comm only).
 * Events without ev->tp are only used for the latter.  0 or -ENOMEM.
 */
int tape_proctab__apply(struct tape_proctab *t, const struct tape_event *ev);

/* The process with @pid, or NULL. */
const struct tape_proc_state *tape_proctab__get(const struct tape_proctab *t, uint32_t pid);

/* Number of processes, and the @i-th (in insertion order; NULL if out of range). */
size_t tape_proctab__count(const struct tape_proctab *t);
const struct tape_proc_state *tape_proctab__at(const struct tape_proctab *t, size_t i);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* BPFTAPE_TAPE_PROCTAB_H */
