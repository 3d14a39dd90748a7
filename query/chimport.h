/* SPDX-License-Identifier: MIT */
/*
 * `bpftape import --clickhouse URL`: load tapes into ClickHouse over its
 * HTTP interface (docs/FLEET.md).  The rows are the ones `bpftape query`
 * shows (qtab.h), written as RowBinary; nothing here depends on SQLite.
 */
#ifndef BPFTAPE_CHIMPORT_H
#define BPFTAPE_CHIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chimport_opts {
	const char *url;      /* http[s]://[user[:password]@]host:port */
	const char *cluster;  /* NULL: one server */
	const char *database; /* NULL: "bpftape" */
	bool replace;	      /* load a tape again that is already loaded */
	bool quiet;	      /* no progress line */
	/* flush a table's rows to the server from this many bytes on
	 * (0: the default, 16 MiB) */
	size_t batch_bytes;
};

struct chimport_stats {
	uint64_t events;    /* events loaded */
	uint64_t rows;	    /* rows of every table */
	size_t tapes;	    /* tapes loaded */
	size_t skipped;	    /* tapes already loaded, left alone */
	size_t damaged;	    /* blocks skipped as damaged */
	uint64_t bytes;	    /* RowBinary bytes sent */
	size_t columns_new; /* columns added to existing tables */
};

/*
 * Load the tapes @paths into the server(s) of @o.  Errors and notes go to
 * stderr as `bpftape import: ...`.  0, CLI_EXIT_PARTIAL when a tape had
 * damaged blocks that were skipped, or 1.
 */
int chimport__run(const struct chimport_opts *o, const char *const *paths, size_t n,
		  struct chimport_stats *st);

#endif
