/* SPDX-License-Identifier: MIT */
/*
 * The engine of `bpftape replay`: the selected events of one or more tapes
 * in timestamp order, as text lines or NDJSON, at their recorded pace or
 * following a tape still being recorded.  cmd_replay() is replay__parse(),
 * replay__run() and replay__report(); a program (or a test) fills struct
 * replay_opts itself and calls replay__run() without a command line.
 *
 * replay__run() prints nothing but the events and never exits: damaged
 * blocks it skips and notes on the tapes go to the caller's callbacks, and
 * an error comes back as -errno with a message in the result.
 */
#ifndef BPFTAPE_REPLAY_H
#define BPFTAPE_REPLAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "predicate.h"
#include "tapes.h"

struct replay_opts {
	struct pred_opts pred; /* the selection; owned (replay_opts__free()) */
	bool json;	       /* NDJSON, else text lines */
	enum time_mode time;
	bool pace;	     /* re-emit events at their recorded pace... */
	double speed;	     /* ...this many times faster (> 0) */
	bool follow;	     /* read on while the recorder writes the tapes */
	char *const *inputs; /* the tapes read ("-": standard input) */
	size_t ninputs;
	int out_fd; /* where the events go (not owned; replay__parse(): stdout) */
	bool help;  /* --help was given: nothing else was parsed */
	/* each damaged block skipped, and a note on a tape read by scanning
	 * ("no valid index ..."); either may be NULL */
	tapes_damage_fn *damage, *note;
	void *ctx;
	/* set (by a signal handler) to end the replay early; may be NULL */
	volatile sig_atomic_t *stop;
};

struct replay_result {
	uint64_t events;     /* events (and loss records) written */
	uint64_t bad_chunks; /* damaged blocks skipped */
	bool closed;	     /* the reader of the output went away (EPIPE): not an error */
	bool usage;	     /* the error is in the selection, not in the tapes */
	char err[1024];	     /* what went wrong, when replay__run() fails */
};

/*
 * The command line into @o (zeroed first): 0, or the exit status of a
 * command line that cannot run, its message printed.  --help sets o->help
 * and prints nothing.  Free @o with replay_opts__free() either way.
 */
int replay__parse(int argc, char **argv, struct replay_opts *o);
void replay_opts__free(struct replay_opts *o);

/*
 * Write the events to o->out_fd.  0, or -errno with res->err saying what
 * and where.  A reader of the output that went away ends the replay early
 * with 0 and res->closed (SIGPIPE is the caller's to ignore).
 */
int replay__run(const struct replay_opts *o, struct replay_result *res);

/* The verb's closing lines on stderr for what replay__run() returned as
 * @rc.  Returns the exit status. */
int replay__report(const struct replay_opts *o, const struct replay_result *res, int rc);

#endif
