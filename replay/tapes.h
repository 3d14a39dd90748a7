/* SPDX-License-Identifier: MIT */
/* Opening the FILE... arguments of the offline verbs. */
#ifndef BPFTAPE_TAPES_H
#define BPFTAPE_TAPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

/*
 * Open @n tapes.  On success *@out holds @n readers (free with
 * tapes__close()).  -errno on failure with @err naming the file and reason.
 */
int tapes__open(char *const *paths, size_t n, struct tape_reader ***out, char *err, size_t errlen);
void tapes__close(struct tape_reader **readers, size_t n);

/*
 * Events of several tapes in time order.  Tapes of one recording (rotated
 * files) share a clock and go through one library cursor, merged by their
 * timestamps.  Tapes whose boot-time clocks differ (several hosts, several
 * boots) are merged by wall-clock time (each tape's
 * clock.boottime_to_realtime_ns), one cursor per tape.  ev->source is the
 * index of the tape; ev->ts stays in that tape's own clock.
 */
struct tapes_merge;

/*
 * @sel selects for every tape; @since/@until (may be NULL; 0 = no bound)
 * override its time bounds per tape, in the tape's own clock.  NULL + errno.
 */
struct tapes_merge *tapes_merge__new(struct tape_reader *const *readers, size_t n,
				     const struct tape_select *sel, const uint64_t *since,
				     const uint64_t *until);
/* As tape_cursor__next(): 1 and *@ev, 0 at the end, -errno for a bad chunk
 * (the next call goes on after it). */
int tapes_merge__next(struct tapes_merge *m, const struct tape_event **ev);
const char *tapes_merge__errmsg(const struct tapes_merge *m);
/* The tape (index in @readers) the last error came from. */
unsigned tapes_merge__errsrc(const struct tapes_merge *m);
void tapes_merge__stats(const struct tapes_merge *m, struct tape_cursor_stats *st);
/* True when the tapes are merged by wall-clock time. */
bool tapes_merge__by_wall(const struct tapes_merge *m);
/* Boot-time to wall-clock offset of tape @src (0 when merging by ts). */
int64_t tapes_merge__offset(const struct tapes_merge *m, unsigned src);
void tapes_merge__free(struct tapes_merge *m);

struct tape_proctab;
struct predicate;

/* A merge over what @pred selects (with the fork/exec/exit events a process
 * table needs if @lifecycle), each tape within its own time bounds. */
struct tapes_merge *tapes_merge__new_pred(struct tape_reader *const *readers, size_t n,
					  const struct predicate *pred, bool lifecycle);

/* Load the process snapshots of @n tapes into @pt, oldest tape first (by its
 * first event in wall-clock time), so the newest state wins whatever the
 * order of the FILE arguments (rotated files).  0 or -ENOMEM. */
int tapes__load_snapshots(struct tape_reader *const *readers, size_t n, struct tape_proctab *pt);

/*
 * How an engine (filter__run(), replay__run(), export__run()) tells its
 * caller of a damaged block it skipped, at open or in the middle of the
 * pass: @path is the tape's name as given, @what says where and what.  The
 * engine prints nothing itself; the verb's callback (cli__damage()) does.
 */
typedef void tapes_damage_fn(void *ctx, const char *path, const char *what);

/* Hand each problem @r (the tape at @path) found, from its @from-th on,
 * to @fn (may be NULL).  Returns how many. */
size_t tapes__damage(const struct tape_reader *r, const char *path, size_t from,
		     tapes_damage_fn *fn, void *ctx);

struct tapes;

/*
 * Bring the process tables of @t (seeded from the snapshots) to the state
 * at the start of its predicate's time range by applying the fork/exec/exit
 * events before it, each to its own host's table.  The index skips chunks
 * without such events.  Nothing to do without --since.  0 or -errno.
 */
int tapes__proc_prefix(struct tapes *t);

struct pred_opts;

/*
 * What replay, filter and export read: the tapes, the selection over them,
 * their process state and the events in order.  The struct owns them all.
 *
 * Process state is kept per host: pids of different hosts are different
 * processes.  A tape's host is its host.name (or hostname) metadata; tapes
 * of one host (rotated files, successive recordings) share one table, as do
 * tapes that name no host.
 */
struct tapes {
	struct tape_reader **readers;
	size_t n;
	struct predicate *pred;
	struct tapes_merge *cur; /* the selection, with lifecycle events */
	bool bad_selection;	 /* setup failed on a value of the selection */
	size_t nhosts;
	struct tape_proctab **hosts;  /* per host: its tapes' snapshots */
	const char **host_name;	      /* per host: its name ("" if none), owned by a reader */
	unsigned *host_of;	      /* per tape: its host */
	struct tape_proctab **src_pt; /* per tape: its host's table (ev->source indexes it) */
	/* every tape's snapshots in one table, pids of several hosts mixed
	 * (filter writes one tape: one pid space); hosts[0] with one host */
	struct tape_proctab *pt;
};

/* Apply @ev to the table of its tape's host (tape_proctab__apply()). */
int tapes__apply(struct tapes *t, const struct tape_event *ev);

/*
 * Open the @n tapes at @paths, build @po's predicate over them, seed the
 * process tables with their snapshots and make a merge over what the
 * predicate selects (with the fork/exec/exit events the process table
 * needs).  0, or -errno with @err naming the file or the option; then
 * t->bad_selection tells a selection the tapes cannot answer ("--type: no
 * type 'x'", a --since that is no time: a usage error) from a tape that
 * cannot be read.  Free with tapes__teardown(), on failure too.
 */
int tapes__setup(struct tapes *t, char *const *paths, size_t n, const struct pred_opts *po,
		 char *err, size_t errlen);
void tapes__teardown(struct tapes *t);

#endif
