/* SPDX-License-Identifier: MIT */
/*
 * What the command lines of the offline verbs share: one way to say that a
 * command line is wrong (what is wrong, and where the help is), and a
 * progress line that shows on a terminal only, and the parsers of their
 * numbers.  Only the verbs (main()'s side) use this; it prints to stderr.
 */
#ifndef BPFTAPE_CLI_H
#define BPFTAPE_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Print a message to stderr like fprintf(): every message of a verb goes
 * through here (or cli__usage(), cli__report_damage(), the progress line),
 * because its paths, names, metadata and library texts came from a tape or
 * a command line.  Their control bytes, invalid UTF-8 and backslashes are
 * written as format's TAPE_ESC_TEXT writes them (quotes stay as they are),
 * so no byte can drive the terminal; a newline that ends the text is kept.
 */
void cli__eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same to @f: a verb's report on stdout that holds such strings. */
void cli__fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/*
 * The damage callback of an engine (tapes_damage_fn): prints
 * "bpftape VERB: PATH: what and where (skipped)" with @verb a struct
 * cli_damage, after ending its progress line if it has one.
 */
struct cli_progress;
struct cli_damage {
	const char *verb;
	struct cli_progress *prog; /* may be NULL */
};
void cli__damage(void *damage, const char *path, const char *what);
/* The same for a note on a tape: "bpftape VERB: PATH: what". */
void cli__note(void *damage, const char *path, const char *what);

/* Print the closing line of a verb that skipped @n damaged blocks. */
void cli__partial(const char *verb, unsigned long long n);

/*
 * The exit status of a verb whose engine returned @rc: its error @err on
 * stderr (a usage error, status 2, when @usage; else status 1); 0 when the
 * reader of the output went away (@closed); CLI_EXIT_PARTIAL after the
 * closing line when @bad_chunks damaged blocks were skipped; else 0.
 */
int cli__outcome(const char *verb, int rc, bool usage, const char *err, bool closed,
		 unsigned long long bad_chunks);

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

/*
 * The FILE... of a reading verb: "-" is standard input (tape_reader__open()
 * copies a pipe into an unlinked temporary file), given once at most, and
 * not at all where the verb cannot read a tape there (@stdin_use says
 * why and what to do instead, NULL if it can).  0, or CLI_EXIT_USAGE after the
 * message.
 */
int cli__check_inputs(const char *verb, char *const *paths, size_t n, const char *stdin_use);

/* What the --help of each reading verb says of "-". */
#define CLI_STDIN_HELP                                                                             \
	"A FILE of - is standard input: a pipe is first copied to its end into an\n"               \
	"unlinked file in $TMPDIR (a tape is read through its index, at the end),\n"               \
	"so the verb starts once the writer has finished.\n"

/*
 * The one parser of each kind of number on a command line, for every verb
 * (record's options included), so that a value is accepted or refused the
 * same way everywhere.  Each takes the whole string: no blanks, no sign but
 * where stated, nothing after the number and its unit.  They print
 * nothing; each returns 0, -EINVAL for text that is not such a value (nan,
 * inf and negative numbers among them), or -ERANGE for one too large.
 */

/* The largest duration: 2^63 ns, some 292 years, so that every verb can add
 * it to a time stamp or hold it signed. */
#define CLI_DURATION_MAX INT64_MAX

/*
 * A duration into @ns: a decimal number, optional '+' first, with an
 * optional unit ns, us, ms, s (the default), m or min, h: "10", "1.5s",
 * "250ms", "5m".  Zero is a duration; the caller refuses it where it must.
 */
int cli__parse_duration(const char *s, uint64_t *ns);

/* A size in bytes into @bytes: a decimal number with an optional K, M or G
 * (powers of 1024; "i", "B" or "iB" may follow): "4096", "64K", "1.5M",
 * "2GiB".  At most UINT64_MAX. */
int cli__parse_size(const char *s, uint64_t *bytes);

/* A whole decimal number from 0 to @max into @v ("42"; not "+42", "0x2a",
 * "4.0").  -ERANGE above @max. */
int cli__parse_uint(const char *s, uint64_t max, uint64_t *v);

/* A finite number greater than zero into @v, in the digits of a duration
 * without a unit: "10", "0.5", ".25", "1e3" ("1": as it was, "10": ten
 * times as fast).  -EINVAL for zero, -ERANGE for one too large for a
 * double. */
int cli__parse_positive_real(const char *s, double *v);

#endif
