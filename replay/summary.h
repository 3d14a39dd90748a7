/* SPDX-License-Identifier: MIT */
/*
 * The engine of `bpftape summary`: what a tape (or a selection of it) holds,
 * in the tables strace -c, perf trace -s and sysdig's top* chisels print.
 *
 * Events go in one at a time (summary__add(), in one streaming pass), the
 * report comes out as text or as one JSON object.  Memory is bounded
 * whatever the tape: every table has a cap on its distinct keys
 * (SUMMARY_MAX_*); what a full table cannot take is counted as "other" and
 * the report says how much, and syscall latencies go into log-linear
 * histograms of a fixed size (struct lat_hist).
 *
 * Ownership: a summary borrows the struct tapes it was made for (its
 * readers, hosts and process tables) and must be freed before it.
 */
#ifndef BPFTAPE_SUMMARY_H
#define BPFTAPE_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include <bpftape/tape.h>

/* Distinct keys kept per table; beyond them, rows are summed as "other". */
#define SUMMARY_MAX_PROCS    65536
#define SUMMARY_MAX_SYSCALLS 1024
#define SUMMARY_MAX_FILES    65536
#define SUMMARY_MAX_CONNS    16384
#define SUMMARY_MAX_CPUS     4096

/*
 * A log-linear latency histogram in ns (as HdrHistogram lays it out): exact
 * below 2^(LAT_SUB_BITS+1) ns, then LAT_SUB buckets per power of two, so a
 * bucket spans less than 1/64 of its values (1.6%).  Values from
 * 2^LAT_MAX_EXP ns (about 4.9 hours) on share the last bucket.  20 KB.
 */
#define LAT_SUB_BITS 6
#define LAT_SUB	     (1u << LAT_SUB_BITS)
#define LAT_MAX_EXP  44
#define LAT_NBUCKETS ((LAT_MAX_EXP - LAT_SUB_BITS + 1) * LAT_SUB)

struct lat_hist {
	uint64_t n, max;
	uint64_t b[LAT_NBUCKETS];
};

void lat_hist__add(struct lat_hist *h, uint64_t ns);
/* Add every value of @src to @dst. */
void lat_hist__merge(struct lat_hist *dst, const struct lat_hist *src);
/*
 * The @permille-th percentile by nearest rank (the smallest recorded value
 * v with at least ceil(n * permille / 1000) values <= v), as the highest
 * value of its bucket, never above the exact maximum: at most 1/64 above the
 * true value, and exact below 128 ns and for the maximum.  0 when empty.
 */
uint64_t lat_hist__percentile(const struct lat_hist *h, unsigned permille);

struct tapes;

struct summary_opts {
	size_t sz;  /* sizeof(struct summary_opts) */
	size_t top; /* rows per table (0: every row) */
	/* the events of the tapes' indexes are the selection (no predicate):
	 * totals and counts per type come from the index */
	bool whole;
	/* or the selection is every event of these types (--type alone):
	 * their counts come from the index too */
	const char *const *types;
	size_t ntypes;
};

struct summary;

/* A summary of events of @t (borrowed): its readers; its hosts, process
 * tables and merge when set (tapes__setup() sets them).  NULL + errno
 * (ENOMEM). */
struct summary *summary__new(const struct tapes *t, const struct summary_opts *o);
void summary__free(struct summary *s);

/* Count one selected event (a loss record too).  Call tapes__apply() on it
 * first, so its process is known.  0 or -ENOMEM. */
int summary__add(struct summary *s, const struct tape_event *ev);

/*
 * After the pass over a selection: the parents and command lines of the
 * processes whose fork or exec the selection left out (--pid of a child,
 * --tid of a thread), from the tapes' fork and exec events up to the end of
 * the selection (the index skips chunks without them).  Nothing to do for
 * whole tapes.  0 or -errno.
 */
int summary__lineage(struct summary *s);

/* A chunk could not be read: the counts come from the events read, not from
 * the index. */
void summary__bad_chunk(struct summary *s);

/* The report, as text for a terminal or as one JSON object and a newline.
 * Every string from a tape goes through format's escaper (out__*_str). */
void summary__text(struct summary *s, struct out *o);
void summary__json(struct summary *s, struct out *o);

#endif
