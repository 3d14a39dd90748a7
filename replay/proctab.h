/* SPDX-License-Identifier: MIT */
/*
 * The process table: who each pid is at a point of a tape.
 *
 * Seeded from the tape's process snapshots and kept current by the
 * fork/exec/exit events of docs/EVENTS.md, so a reader can name a process
 * (comm, exe, parent) even when a filter dropped the events that introduced
 * it.  Used by replay/ and query/.
 *
 * Ownership: the table owns every string in every proc_state.  A pointer
 * returned by proctab__get()/proctab__at() stays valid until the next
 * proctab__load_snapshot()/proctab__apply() or proctab__free() on the table.
 */
#ifndef BPFTAPE_PROCTAB_H
#define BPFTAPE_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tape.h"

struct proc_state {
	uint32_t pid, ppid, uid;
	char comm[16];
	char *exe;  /* NULL if unknown */
	char *argv; /* NUL-separated, @argv_len bytes; NULL if unknown */
	uint32_t argv_len;
	char *cgroup; /* NULL if unknown */
	/* the container (docs/FORMAT.md): NULL if unknown, "" outside one */
	char *container, *container_name, *runtime, *pod;
	uint64_t start_ts, exit_ts; /* CLOCK_BOOTTIME ns, 0 if unknown */
	int32_t exit_code, exit_signal;
	bool exited;
};

struct proctab;

/* An empty table.  NULL + errno (ENOMEM). */
struct proctab *proctab__new(void);
void proctab__free(struct proctab *t);

/* Add (or replace, by pid) every process of @r's snapshot blocks, in file
 * order.  0 or -ENOMEM. */
int proctab__load_snapshot(struct proctab *t, const struct tape_reader *r);

/*
 * Update the table with one event, recognized by its type name (ev->tp):
 * fork adds the child (inheriting the parent's exe, argv, uid, cgroup and
 * container), a successful exec sets exe, argv and comm (and the cgroup and
 * container where the exec records them), exit marks the process exited.
 * Any other event names a pid the table does not know yet (comm only).
 * Events without ev->tp are only used for the latter.  0 or -ENOMEM.
 */
int proctab__apply(struct proctab *t, const struct tape_event *ev);

/* The process with @pid, or NULL. */
const struct proc_state *proctab__get(const struct proctab *t, uint32_t pid);

/* Number of processes, and the @i-th (in insertion order; NULL if out of range). */
size_t proctab__count(const struct proctab *t);
const struct proc_state *proctab__at(const struct proctab *t, size_t i);

#endif
