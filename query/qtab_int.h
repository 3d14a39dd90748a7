/* SPDX-License-Identifier: MIT */
/* Private to query/qset.c, qtab.c and qscan.c. */
#ifndef BPFTAPE_QTAB_INT_H
#define BPFTAPE_QTAB_INT_H

#include "qtab.h"

struct qtape {
	char *path;
	const char *host; /* owned by the reader */
	int64_t rt_off;	  /* wall-clock ns = ts + rt_off */
	bool has_rt;
	struct proctab *procs;
	bool procs_ready;
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
};

/* The interned copy of @comm (@len bytes), or NULL if the table is full. */
const char *qset__intern_comm(struct qset *s, const char *comm, size_t len);

/* Import feeds the process tables during its one pass over the events. */
int qset__proctab_begin(struct qset *s);
int qset__proctab_apply(struct qset *s, const struct tape_event *ev);
void qset__proctab_end(struct qset *s);
/* Whether @ev is one of the events the process table is built from. */
bool qset__is_lifecycle(const struct tape_event *ev);

#endif
