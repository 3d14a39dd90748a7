/* SPDX-License-Identifier: MIT */
/*
 * The engine of `bpftape record`: one recording session from a struct
 * record_opts (options.h), then its figures.  cmd_record() is
 * record_opts__parse(), record__run() and record__report().
 *
 * record__run() needs root (or CAP_BPF and CAP_PERFMON) and BPF.  A setup
 * that fails comes back as a message in the result, printed by
 * record__report(); what happens while recording (a CMD that cannot start,
 * a write error, -v details and libbpf's log) is said on stderr as it
 * happens, as a recorder must.  It installs handlers for SIGINT, SIGTERM
 * and SIGCHLD: one recording at a time per process.
 */
#ifndef BPFTAPE_RECORD_H
#define BPFTAPE_RECORD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "maps.h"
#include "options.h"

struct record_result {
	char err[PATH_MAX + 1024]; /* why the recording could not start ("" if it ran) */
	bool ran;		   /* it ran: the figures below are set */
	uint64_t events;	   /* events in the tape(s) */
	uint64_t drops;		   /* events the kernel dropped */
	uint64_t bytes;		   /* bytes written */
	uint64_t unwritten;	   /* events read but not written after a write error */
	uint64_t bad_records;	   /* malformed ring records skipped */
	unsigned tapes;		   /* files written (rotation: the first and the rotated) */
	double seconds;		   /* how long it recorded */
	double cpu_seconds;	   /* the recorder's user+sys CPU time */
	double cpu_recording;	   /* of it, after every probe was attached (the events') */
	uint64_t ring_records, ring_bytes;
	int write_err;			/* first fatal write error (-errno), 0 if none */
	char write_msg[PATH_MAX + 512]; /* its message */
	bool limit_hit;			/* --max-size reached */
	bool child_done;		/* CMD was waited for... */
	int child_status;		/* ...and this is its wait status */
	bool has_stacks;		/* -g: stacks were recorded */
	uint64_t stacks_distinct, stacks_lost;
	uint64_t stacks_caught_up;	      /* resolved again after reading other rings */
	uint64_t stacks_unwound, stacks_gaps; /* --stack-copy: unwound, and with a gap */
	/* came as the hash of one their CPU sent before, of which unknown,
	 * and hashes sent for two different stacks */
	uint64_t stacks_referred, stacks_unknown, stacks_collisions;
	bool has_maps; /* mappings were tracked (user stacks) */
	struct maps_stats maps;
};

/*
 * Record as @o says until a signal, a limit, or the end of CMD or -p's
 * processes.  Returns the exit status: 0; 1 (the recording failed, or a
 * write error stopped it); 2 (the options cannot run: a cgroup, container,
 * user or output directory that is not there); 127 (CMD cannot run).
 * res->err says why it did not run.
 */
int record__run(const struct record_opts *o, struct record_result *res);

/*
 * The recording's closing lines on stderr: the setup error, or the write
 * error, limit and skipped records, then the one summary line ("N events,
 * N drops, N written, N s, output FILE"), -v's CPU and ring figures, and
 * how CMD ended.  Returns the exit status for @status from record__run().
 */
int record__report(const struct record_opts *o, const struct record_result *res, int status);

#endif
