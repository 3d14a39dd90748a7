/* SPDX-License-Identifier: MIT */
/*
 * What the command lines of the offline verbs share: one way to say that a
 * command line is wrong (what is wrong, and where the help is), and a
 * progress line that shows on a terminal only.  Only the verbs (main()'s
 * side) use this; it prints to stderr.
 */
#ifndef BPFTAPE_CLI_H
#define BPFTAPE_CLI_H

#include <getopt.h>
#include <stdbool.h>

/* Exit status of a command line that cannot run as written. */
#define CLI_EXIT_USAGE 2
/* Exit status of a verb that read a damaged tape: what is intact was
 * read and written, and each block it had to skip is named on stderr. */
#define CLI_EXIT_PARTIAL 3

struct tape_reader;

/*
 * Print the damage @r found while opening (or refreshing) the tape at
 * @path, from its @from-th problem on, one line for each skipped block:
 * "bpftape VERB: PATH: what and where (skipped)".  Returns how many.
 */
size_t cli__report_damage(const char *verb, const char *path, const struct tape_reader *r,
			  size_t from);

/* Print the closing line of a verb that skipped @n damaged blocks. */
void cli__partial(const char *verb, unsigned long long n);

/*
 * Ready getopt_long() for a new verb: restart its scan and keep its own
 * messages quiet (the verb prints them through cli__bad_option()).  Give
 * getopt_long() short options that start with ':' so that a missing value
 * comes back as ':' rather than '?'.
 */
void cli__getopt_init(void);

/*
 * Print "bpftape VERB: <what>; see 'bpftape VERB --help'" on stderr.
 * Returns CLI_EXIT_USAGE, the status the verb exits with.
 */
int cli__usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The same for what getopt_long() returned as @c ('?' or ':') over @argv
 * with @longopts: an unknown, ambiguous or misspelled option, a missing
 * value, a value given to an option that takes none.  Returns
 * CLI_EXIT_USAGE.
 */
int cli__bad_option(const char *verb, int c, char *const *argv, const struct option *longopts);

/*
 * A progress line, rewritten in place with '\r' while a long operation
 * runs.  It shows only when stderr is a terminal and the verb is not quiet,
 * so logs and pipes get the final summary alone.
 */
struct cli_progress {
	const char *verb;
	bool on;    /* stderr is a terminal and not --quiet */
	bool shown; /* a line is on the screen, not yet ended */
};

void cli_progress__init(struct cli_progress *p, const char *verb, bool quiet);
/* Rewrite the line as "bpftape VERB: <fmt>" (no newline). */
void cli_progress__show(struct cli_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* End a line that is shown (newline), so that what follows starts on its
 * own line; the next show starts a new one.  Call it before printing an
 * error in the middle of the work, and at the end. */
void cli_progress__end(struct cli_progress *p);

#endif
