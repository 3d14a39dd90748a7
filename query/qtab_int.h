/* SPDX-License-Identifier: MIT */
/* Private to query/qset.c, qtab.c and qscan.c. */
#ifndef BPFTAPE_QTAB_INT_H
#define BPFTAPE_QTAB_INT_H

#include <pthread.h>

#include "qtab.h"

struct qtape {
	char *path;
	const char *host; /* owned by the reader */
	int64_t rt_off;	  /* wall-clock ns = ts + rt_off */
	bool has_rt;
	struct tape_proctab *procs;
	bool procs_ready;
	uint8_t *chunk_ck; /* per chunk: 0 unchecked, 1 good, 2 damaged */
};

struct qset {
	int refs;
	size_t n;
	struct qtape *tapes;
	struct tape_reader **readers;
	struct tape_cursor_stats stats;
	/* comm strings seen, kept for the set's life so that SQLite may point
	 * at them instead of copying one per row */
	char **comms;
	size_t ncomms, comm_slots;
	/* damage skipped so far ("PATH: what"), each block once; import
	 * scans in two threads */
	bool skip_damage;
	char **damage;
	size_t ndamage;
	pthread_mutex_t damage_mu;
};

/* The interned copy of @comm (@len bytes), or NULL if the table is full. */
const char *qset__intern_comm(struct qset *s, const char *comm, size_t len);

/* Import feeds the process tables during its one pass over the events;
 * apply takes any event and keeps the ones the table is built from
 * (fork, exec, exit).  0 or -ENOMEM. */
int qset__proctab_begin(struct qset *s);
int qset__proctab_apply(struct qset *s, const struct tape_event *ev);
void qset__proctab_end(struct qset *s);

#endif
