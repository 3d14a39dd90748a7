/* SPDX-License-Identifier: MIT */
/*
 * The engine of `bpftape symbolize`: a copy of a tape in which the binary
 * blocks of binaries that were stripped when recorded get the symbols of
 * their debug files, found afterwards by build-id in debug directories
 * (DIR/.build-id/xx/rest.debug) or through debuginfod.  cmd_symbolize() is
 * symbolize__parse(), symbolize__run() and symbolize__report(); a test
 * fills struct symbolize_opts itself, or gives symbolize__copy() a reader
 * and a writer of its own (in memory).
 *
 * It lives beside the recorder because it reads ELF files with the
 * recorder's elfsym (libelf); libtape only copies the blocks.
 */
#ifndef BPFTAPE_SYMBOLIZE_H
#define BPFTAPE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tape_reader;
struct tape_writer;

enum symbolize_debuginfod {
	SYMBOLIZE_DEBUGINFOD_AUTO = 0, /* when DEBUGINFOD_URLS is set and not empty */
	SYMBOLIZE_DEBUGINFOD_OFF,
	SYMBOLIZE_DEBUGINFOD_ON, /* required: an error if it cannot be used */
};

struct symbolize_opts {
	const char *input;
	const char *output; /* the new tape ("-": standard output); the input with in_place */
	bool in_place;
	const char **debug_dirs; /* in order; none: /usr/lib/debug */
	size_t ndebug_dirs;
	enum symbolize_debuginfod debuginfod;
	const char *urls; /* --debuginfod=URLS: DEBUGINFOD_URLS for this run */
	bool help;
};

/* A binary that did not gain names, and why. */
struct symbolize_miss {
	char *build_id; /* hex; "" without one */
	char *path;	/* on the recorded machine */
	char *why;	/* NULL: no debug file found anywhere; else what was wrong with one */
};

struct symbolize_result {
	size_t binaries;    /* binary blocks in the tape */
	size_t had_symbols; /* already from .symtab or a debug file: left alone */
	size_t named;	    /* gained the symbols of a debug file */
	size_t from_debuginfod;
	uint64_t symbols; /* symbols the named blocks carry now */
	struct symbolize_miss *miss;
	size_t nmiss;
	bool debuginfod; /* debuginfod was asked */
	bool written;	 /* the output was written (in place: replaced) */
	bool usage;
	char err[1024];
};

/* The command line into @o: 0, or the exit status after the message. */
int symbolize__parse(int argc, char **argv, struct symbolize_opts *o);
void symbolize_opts__free(struct symbolize_opts *o);

/*
 * Copy @r into @w with richer binary blocks (the writer is not finished).
 * 0 or -errno with res->err.  Fills @res; free it with
 * symbolize_result__free().
 */
int symbolize__copy(const struct symbolize_opts *o, struct tape_reader *r, struct tape_writer *w,
		    struct symbolize_result *res);

/* Open o->input, write o->output (or replace the input in place) through
 * tape_out: nothing under the final name unless complete.  0 or -errno. */
int symbolize__run(const struct symbolize_opts *o, struct symbolize_result *res);
void symbolize_result__free(struct symbolize_result *res);

/* The verb's lines on stderr; returns the exit status. */
int symbolize__report(const struct symbolize_opts *o, const struct symbolize_result *res, int rc);

#endif
