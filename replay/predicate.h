/* SPDX-License-Identifier: MIT */
/*
 * PREDICATES, the event selection options shared by replay, filter and export:
 *
 *   --since T --until T   T in seconds from the start of the tapes (10, 1.5s,
 *                         250ms, 2m, 1h) or a wall-clock time
 *                         (2026-11-21T21:30:00[.frac][Z], 21:30:00 on the
 *                         tape's first day, @EPOCH[.frac]); local time
 *                         unless Z; needs the tape's
 *                         clock.boottime_to_realtime_ns metadata
 *   --pid P[,P]  --tid T[,T]  --comm C (glob)  --type T[,T] ("lost": losses)
 *   --container ID|NAME  --pod UID   the process's container (process table)
 *   -f EXPR               see expr.h
 *
 * Options are collected into struct pred_opts by pred_opts__parse(); a
 * predicate is then built against the tapes: it gives the cursor a
 * tape_select, so the index skips chunks, and checks each event exactly.
 * Loss records are kept when they overlap the time range (and --type, if
 * given, names "lost"); -f, --pid, --tid and --comm do not apply to them.
 */
#ifndef BPFTAPE_PREDICATE_H
#define BPFTAPE_PREDICATE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

enum {
	PRED_OPT_SINCE = 0x1000,
	PRED_OPT_UNTIL,
	PRED_OPT_PID,
	PRED_OPT_TID,
	PRED_OPT_COMM,
	PRED_OPT_TYPE,
	PRED_OPT_CONTAINER,
	PRED_OPT_POD,
};

/* Entries for a getopt_long table; "f:" goes into the short options. */
#define PRED_LONG_OPTIONS                                                                          \
	{"since", required_argument, NULL, PRED_OPT_SINCE},                                        \
		{"until", required_argument, NULL, PRED_OPT_UNTIL},                                \
		{"pid", required_argument, NULL, PRED_OPT_PID},                                    \
		{"tid", required_argument, NULL, PRED_OPT_TID},                                    \
		{"comm", required_argument, NULL, PRED_OPT_COMM},                                  \
		{"type", required_argument, NULL, PRED_OPT_TYPE},                                  \
		{"container", required_argument, NULL, PRED_OPT_CONTAINER},                        \
		{"pod", required_argument, NULL, PRED_OPT_POD},                                    \
	{                                                                                          \
		"filter", required_argument, NULL, 'f'                                             \
	}

#define PRED_HELP                                                                                  \
	"Selection (PREDICATES):\n"                                                                \
	"  --since T, --until T  from/to T: seconds from the tape's start (10, 1.5s,\n"            \
	"                        250ms, 2m) or wall clock (2026-11-21T21:30:00[Z],\n"              \
	"                        21:30:00, @EPOCH); --until is inclusive\n"                        \
	"  --pid P[,P]           only these processes (tgid)\n"                                    \
	"  --tid T[,T]           only these threads\n"                                             \
	"  --comm C              only tasks whose comm matches C (glob)\n"                         \
	"  --type T[,T]          only these event types ('lost' for loss records)\n"               \
	"  --container ID|NAME   only processes in this container (name, id, id prefix)\n"         \
	"  --pod UID             only processes of this Kubernetes pod (uid or prefix)\n"          \
	"  -f, --filter EXPR     only events where EXPR holds, e.g.\n"                             \
	"                        'type == \"open\" && path =~ \"/etc/*\" && ret < 0'\n"            \
	"                        (&& || ! == != < <= > >= =~ !~ &, symbolic names:\n"              \
	"                        ret == ENOENT, flags & O_CREAT, signal == SIGKILL;\n"             \
	"                        the process's container, container_name, runtime, pod)\n"

struct pred_opts {
	const char *since, *until;
	uint32_t *pids;
	size_t npids;
	uint32_t *tids;
	size_t ntids;
	const char *comm;
	const char *container, *pod;
	char **types;
	size_t ntypes;
	const char *expr;
	/* keep losses that overlap the time range whatever --type says (filter:
	 * a cut tape must not hide that events were dropped) */
	bool all_losses;
};

/*
 * Take option @opt (from getopt_long) with argument @arg.  Returns 1 if it
 * was a predicate option, 0 if not, -EINVAL (with @err) for a bad value,
 * -ENOMEM.
 */
int pred_opts__parse(struct pred_opts *o, int opt, const char *arg, char *err, size_t errlen);
/*
 * The verbs' option loop: getopt_long() over @argv, the predicate options
 * taken into @o on the way.  Returns the next option that is not a
 * predicate's, -1 at the end, or PRED_GETOPT_FAIL once it has said why on
 * stderr as `bpftape VERB: ...` with *@ret the exit status (2 for a bad
 * value, 1 out of memory).
 */
#define PRED_GETOPT_FAIL (-2)
int pred_opts__getopt(struct pred_opts *o, int argc, char **argv, const char *shortopts,
		      const struct option *longopts, const char *verb, int *ret);
/* Free what pred_opts__parse() allocated (not @o itself). */
void pred_opts__free(struct pred_opts *o);
/* True if no option was given. */
bool pred_opts__empty(const struct pred_opts *o);

struct predicate;

/*
 * Build a predicate for a cursor over @readers (ev->source indexes them).
 * NULL + errno on failure, @err says what ("--since: tape x has no clock
 * metadata", "-f: column 3: ...", "--type: no type 'opne' in the tapes").
 */
struct predicate *predicate__new(const struct pred_opts *o, struct tape_reader *const *readers,
				 size_t n, char *err, size_t errlen);
void predicate__free(struct predicate *p);

/* The selection to hand to tape_cursor__new(); valid while @p lives. */
const struct tape_select *predicate__select(const struct predicate *p);

/* The same, plus the fork/exec/exit events a process table needs, when the
 * selection names types; events it adds still fail predicate__match(). */
const struct tape_select *predicate__select_lifecycle(const struct predicate *p);

struct tape_proctab;

/*
 * The process tables --container, --pod and the expression's container
 * fields read: @pt[ev->source] (not owned), kept current by the caller
 * (tape_proctab__apply() before predicate__match()).  Without them an event is
 * in no container.
 */
void predicate__set_procs(struct predicate *p, struct tape_proctab *const *pt, size_t n);

/* Does @ev (from a cursor over the predicate's readers) match? */
bool predicate__match(struct predicate *p, const struct tape_event *ev);

/* The time bounds for source @src in its own ts (0 = none). */
void predicate__range(const struct predicate *p, unsigned src, uint64_t *since, uint64_t *until);

/* The boot-time to wall-clock offset of a tape, from its metadata.
 * 0 or -ENOENT if the tape lacks it. */
int pred_clock_offset(const struct tape_reader *r, int64_t *off);

#endif
