/* SPDX-License-Identifier: MIT */
/*
 * The engine of `bpftape filter`: the selected events of one or more tapes
 * into a new tape, optionally redacted.  cmd_filter() is filter__parse(),
 * filter__run() and filter__report(); a program (or a test) fills struct
 * filter_opts itself and calls filter__run() without a command line.
 *
 * filter__run() prints nothing and never exits: damaged blocks it skips go
 * to the caller's callback, progress to another, and an error comes back
 * as -errno with a message in the result.
 */
#ifndef BPFTAPE_FILTER_H
#define BPFTAPE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "predicate.h"
#include <bpftape/tape.h>
#include "tapes.h"

struct filter_opts {
	struct pred_opts pred; /* the selection; owned (filter_opts__free()) */
	const char *output;    /* the new tape; "-" is standard output */
	char *const *inputs;   /* the tapes read ("-": standard input) */
	size_t ninputs;
	unsigned redact;     /* REDACT_* (redact.h); 0: none */
	const char *keyfile; /* the token key's file; NULL: a random key */
	bool quiet;	     /* no progress line (the verb's, not the engine's) */
	bool help;	     /* --help was given: nothing else was parsed */
	/* each damaged block skipped (may be NULL) */
	tapes_damage_fn *damage;
	/* every 2^20 events read (may be NULL) */
	void (*progress)(void *ctx, uint64_t read, uint64_t kept, uint64_t bytes);
	void *ctx; /* for both callbacks */
};

struct filter_result {
	uint64_t read, kept, losses; /* events read and written, loss records written */
	uint64_t bad_chunks;	     /* damaged blocks skipped */
	uint64_t bytes;		     /* the new tape's size */
	struct tape_cursor_stats stats;
	/* the error is in what was asked for (a selection the tapes cannot
	 * answer, -o naming an input), not in the tapes or the system */
	bool usage;
	char err[1024]; /* what went wrong, when filter__run() fails */
};

/*
 * The command line into @o (zeroed first): 0, or the exit status of a
 * command line that cannot run, its message printed (CLI_EXIT_USAGE, 1 out
 * of memory).  --help sets o->help and prints nothing.  Free @o with
 * filter_opts__free() either way.
 */
int filter__parse(int argc, char **argv, struct filter_opts *o);
void filter_opts__free(struct filter_opts *o);

/*
 * Write the new tape.  0 (damaged blocks skipped are in res->bad_chunks), or
 * -errno with res->err saying what and where; no output is left under
 * o->output then.
 */
int filter__run(const struct filter_opts *o, struct filter_result *res);

/*
 * The verb's closing lines on stderr for what filter__run() returned as @rc:
 * the error, or the summary (when @prog, the verb's progress line, shows)
 * and the damage count.  Returns the exit status.
 */
struct cli_progress;
int filter__report(const struct filter_opts *o, const struct filter_result *res, int rc,
		   struct cli_progress *prog);

#endif
