/* SPDX-License-Identifier: MIT */
/* Import tapes into a SQLite database (the engine of `bpftape import`). */
#ifndef BPFTAPE_QIMPORT_H
#define BPFTAPE_QIMPORT_H

#include "qsql.h"

struct qimport_stats {
	uint64_t events;     /* rows of `events` */
	uint64_t type_rows;  /* rows of the per-type tables */
	uint64_t other_rows; /* processes, losses, meta, types */
	size_t tables;
	/* types without events that got no table (a schema of more than
	 * QSET_TYPE_TABLES_MAX types) */
	size_t types_without_table;
	/* the indexes were created before the load (qimport_opts) */
	bool early_indexes;
};

/* @phase: "events", then "indexes" (where @done counts indexes built). */
typedef void (*qimport_progress_fn)(void *ctx, const char *phase, uint64_t done, uint64_t total);

struct qimport_opts {
	size_t sz;		      /* sizeof(struct qimport_opts) */
	qimport_progress_fn progress; /* every 65536 events; may be NULL */
	void *ctx;
	/* from this many events on, indexes are created before the load
	 * rather than after it (0: the measured default) */
	uint64_t early_index_events;
	/* columns of "events:rows" to index besides ts, comma-separated
	 * ("pid,tid"); NULL: ts only */
	const char *indexes;
};

/*
 * The verbs' side (query/query.c): print on stderr, as `bpftape VERB`, each
 * block of @set's tapes that was skipped as damaged (qset__skip_damage()),
 * then a closing line if any.  Returns how many.
 */
size_t query__report_damage(const char *verb, struct qset *set);

/*
 * Create the tables of `bpftape query` over @set as real tables in the main
 * schema of @db (which should be empty), fill them in one transaction and
 * index them.  @opts may be NULL.  0 or -errno; @err receives what failed.
 * On failure the transaction is rolled back.
 */
int qimport__run(sqlite3 *db, struct qset *set, const struct qimport_opts *opts,
		 struct qimport_stats *st, char *err, size_t errlen);

/* Settings for a database being written from scratch by one writer that
 * renames it into place when done: no journal, no fsync, a large cache.
 * Call on a new, empty database before qimport__run(). */
void qimport__tune(sqlite3 *db);

#endif
