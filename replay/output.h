/* SPDX-License-Identifier: MIT */
/*
 * Output for the offline verbs: a buffered writer on a file descriptor and
 * the text (perf script / sysdig style), NDJSON and CSV renderings of events.
 *
 * The writer does not print errors: a failed write sets out->err (-errno,
 * -EPIPE for a closed pipe) and later writes are dropped, so a verb checks
 * out->err once per event and stops.
 */
#ifndef BPFTAPE_OUTPUT_H
#define BPFTAPE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape_proctab.h>
#include <bpftape/tape.h>

#define OUT_BUF (256 * 1024)

struct out {
	int fd;
	int err;
	size_t len;
	char *buf; /* OUT_BUF bytes */
};

/* 0 or -ENOMEM.  The writer does not own @fd. */
int out__init(struct out *o, int fd);
/* Flush and free the buffer (not the fd).  Returns out->err. */
int out__close(struct out *o);
int out__flush(struct out *o);
void out__write(struct out *o, const void *p, size_t n);
void out__puts(struct out *o, const char *s);
void out__putc(struct out *o, char c);
void out__u64(struct out *o, uint64_t v);
void out__s64(struct out *o, int64_t v);
/* printf into the buffer */
void out__printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Bytes from a tape, escaped by format's one renderer (tape_escape()):
 * out__json_str() as a JSON string literal, quotes included;
 * out__json_text() the same without the quotes, for a string of several
 * parts; out__text_str() for a terminal, unquoted; out__csv_str() as a CSV
 * cell.
 */
void out__json_str(struct out *o, const char *s, size_t len);
void out__json_text(struct out *o, const char *s, size_t len);
void out__text_str(struct out *o, const char *s, size_t len);
void out__csv_str(struct out *o, const char *s, size_t len);
/* Text escaped already (TAPE_ESC_PLAIN) as a CSV cell: quoted when it holds a
 * comma, quote, CR or LF. */
void out__csv_cell(struct out *o, const char *s, size_t len);

enum time_mode {
	TIME_REL = 0, /* seconds since the start of the tapes */
	TIME_WALL,    /* local wall-clock time of day */
	TIME_RAW,     /* the recorded CLOCK_BOOTTIME, seconds */
};

/* How to show times and processes of events from a cursor over @n tapes. */
struct render {
	enum time_mode time;
	size_t nsrcs;
	int64_t *off;		    /* per source: boot-time to wall-clock ns (0 if unknown) */
	int64_t base_wall;	    /* start of the tapes in wall ns (or boot ns without clocks) */
	bool have_base;		    /* false until a tape had an event (--follow of a new tape) */
	bool have_clock;	    /* every tape has the clock offset */
	struct tape_proctab *pt;    /* may be NULL */
	struct render_names *names; /* per-type caches of the text renderer */
	/* per source: its host's process table, used instead of @pt when set
	 * (borrowed: struct tapes' src_pt) */
	struct tape_proctab *const *src_pt;
	/* the tapes (borrowed), for the stacks of events */
	struct tape_reader *const *readers;
};

/* 0, -ENOMEM.  @pt is borrowed. */
int render__init(struct render *r, struct tape_reader *const *readers, size_t n,
		 enum time_mode mode, struct tape_proctab *pt);
void render__fini(struct render *r);

/* Seconds-since-start ns for @ts of source @src (may be negative). */
int64_t render__rel_ns(const struct render *r, unsigned src, uint64_t ts);

/* Write the time of @ts of @src as the mode says. */
void render__time(struct out *o, const struct render *r, unsigned src, uint64_t ts);

/* One event (or loss) as a text line. */
void render__text(struct out *o, struct render *r, const struct tape_event *ev);
/* One event (or loss) as a JSON object line. */
void render__json(struct out *o, struct render *r, const struct tape_event *ev);

/* The display text of field @i of @ev, as tape_format_value() writes it. */
void render__value(struct out *o, const struct tape_event *ev, unsigned i, enum tape_esc esc);
/* The same as a CSV cell (TAPE_ESC_PLAIN, quoted as CSV needs). */
void render__csv(struct out *o, const struct tape_event *ev, unsigned i);

#endif
