/* SPDX-License-Identifier: MIT */
/*
 * The options of `bpftape record`, and their parser.  cmd_record() is
 * record_opts__parse(), record__run() and record__report(); the parser
 * needs neither root nor BPF, prints nothing and never exits, so that a
 * program (or a test) can build the options from a command line, or fill
 * the struct itself, and hand it to record__run().
 *
 * Ownership: the strings are argv's (not copied); record_opts__free() frees
 * what the parser allocated.
 */
#ifndef BPFTAPE_RECORD_OPTIONS_H
#define BPFTAPE_RECORD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builtin.h"

#define RECORD_DEFAULT_EVENTS "proc,file,net"
/* an event reaches the file at most this long after it happened */
#define RECORD_DEFAULT_FLUSH_NS 1000000000ull

struct record_opts {
	const char *output;
	uint32_t want[FAMILY_MAX];
	const char **specs; /* generic probe specs (contain ':') */
	size_t nspecs;
	bool events_given;
	long pid; /* -1: none */
	const char *comm;
	const char *cgroup;
	const char *container; /* --container ID|NAME */
	long uid;	       /* -1: none */
	uint64_t duration_ns;  /* 0: none */
	uint64_t flush_ns;     /* the longest an event waits in memory */
	uint64_t max_size;
	uint64_t rotate_size;
	unsigned keep;
	uint64_t buffer;
	uint64_t wakeup; /* bytes; 0: derived from buffer */
	int verbose;
	char **cmd;			     /* after "--" */
	const char *user;		     /* --user, as given */
	const char *buffer_arg, *wakeup_arg; /* as given, for messages */
	bool stacks;			     /* -g */
	const char *stack_types;	     /* --stacks LIST (implies -g), NULL: every type */
	unsigned stack_depth;		     /* --stack-depth */
	unsigned stack_copy;		     /* --stack-copy */
	bool help;			     /* --help: nothing else was parsed */
	/* the command line the tape's metadata records (recorder.cmdline):
	 * "bpftape record ..." as typed */
	int cmdline_argc;
	char **cmdline_argv;
};

/*
 * Fill @o (zeroed first, then the defaults) from the arguments of the verb
 * (@argv[0] is "record").  0, with o->help set for --help; -EINVAL with
 * @err saying what is wrong and what to give instead; -ENOMEM.  Free @o
 * with record_opts__free() either way.
 */
int record_opts__parse(struct record_opts *o, int argc, char **argv, char *err, size_t errlen);
void record_opts__free(struct record_opts *o);

/* A user or group id: 0 .. 2^32-2 ((uid_t)-1 means "unchanged"). */
#define RECORD_ID_MAX 0xfffffffeu
/* A user or group id in decimal into @out (--uid, --user): 0, -EINVAL for
 * text that is none (a name, perhaps), -ERANGE above RECORD_ID_MAX. */
int record_opts__parse_id(const char *s, uint64_t *out);

/*
 * Each CPU's ring when --buffer is not given: 16 MiB in all, shared out
 * among @ncpus online (the largest power of two within 16 MiB / @ncpus), and at
 * least 1 MiB, so that a CPU's ring stays small enough to stay in its
 * caches on a large machine and large enough for a burst on a small one.
 */
uint32_t record_opts__default_ring(int ncpus);

#endif
