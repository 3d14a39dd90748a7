/* SPDX-License-Identifier: MIT */
/*
 * The engine of `bpftape export`: the selected events of one or more tapes
 * as Perfetto protobuf, Chrome trace-event JSON, CSV or folded stacks.  cmd_export() is
 * export__parse(), export__run() and export__report(); a program (or a
 * test) fills struct export_opts itself and calls export__run() without a
 * command line.
 *
 * export__run() prints nothing (but the export) and never exits: damaged
 * blocks it skips go to the caller's callback, and an error comes back as
 * -errno with a message in the result.
 */
#ifndef BPFTAPE_EXPORT_H
#define BPFTAPE_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "predicate.h"
#include "stackfold.h"
#include "tapes.h"

enum export_format {
	EXPORT_NONE = 0,
	EXPORT_PERFETTO,
	EXPORT_CHROME,
	EXPORT_CSV,
	EXPORT_FOLDED,
};

struct export_opts {
	struct pred_opts pred; /* the selection; owned (export_opts__free()) */
	enum export_format format;
	enum folded_weight weight; /* EXPORT_FOLDED: what a line counts */
	/* the file written (complete, or not at all; "-" is standard output), or
	 * NULL for @out_fd (not owned; export__parse() sets standard output) */
	const char *output;
	int out_fd;
	char *const *inputs; /* the tapes read ("-": standard input) */
	size_t ninputs;
	bool help;		 /* --help was given: nothing else was parsed */
	tapes_damage_fn *damage; /* each damaged block skipped (may be NULL) */
	void *ctx;
};

struct export_result {
	uint64_t events;     /* events (and loss records) exported */
	uint64_t bad_chunks; /* damaged blocks skipped */
	bool closed;	     /* the reader of the output went away (EPIPE): not an error */
	bool usage;	     /* the error is in the selection, not in the tapes */
	char err[1024];	     /* what went wrong, when export__run() fails */
};

/*
 * The command line into @o (zeroed first): 0, or the exit status of a
 * command line that cannot run, its message printed.  --help sets o->help
 * and prints nothing.  Free @o with export_opts__free() either way.
 */
int export__parse(int argc, char **argv, struct export_opts *o);
void export_opts__free(struct export_opts *o);

/*
 * Write the export.  0, or -errno with res->err saying what and where.
 * Writing to a pipe whose reader went away ends the export early with 0
 * and res->closed (SIGPIPE is the caller's to ignore).
 */
int export__run(const struct export_opts *o, struct export_result *res);

/* The verb's closing lines on stderr for what export__run() returned as
 * @rc.  Returns the exit status. */
int export__report(const struct export_opts *o, const struct export_result *res, int rc);

#endif
