/* SPDX-License-Identifier: MIT */
/*
 * Where recorded events go: one tape, or a ring of tapes under --rotate
 * (`out.tape` is the newest, then `out.1.tape` ... `out.N-1.tape`).  Every
 * tape the sink starts gets the full head (metadata, schema, process
 * snapshot) from the caller's start() callback, so each one reads alone.
 */
#ifndef BPFTAPE_RECORD_SINK_H
#define BPFTAPE_RECORD_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

struct sink_opts {
	const char *path;
	uint64_t rotate_bytes; /* 0: no rotation */
	unsigned keep;	       /* tapes kept under rotation (>= 1) */
	size_t chunk_bytes;    /* writer chunk size (0: the library's default) */
	uint64_t max_delay_ns; /* the longest an event waits in memory (0: no bound) */
	/* write the head of a fresh tape (meta, types, snapshot); 0 or -errno */
	int (*start)(void *ctx, struct tape_writer *w);
	void *ctx;
};

struct sink;

/* Create the first tape.  NULL + errno; @err says what failed. */
struct sink *sink__open(const struct sink_opts *opts, char *err, size_t errlen);

/* The writer of the current tape (changes on rotation). */
struct tape_writer *sink__writer(struct sink *s);

/*
 * Rotate if the current tape reached the rotation size: finish it, shift
 * the ring, start a new one.  1 if it rotated, 0 if not, -errno (with
 * sink__errmsg()) on failure.
 */
int sink__maybe_rotate(struct sink *s);

/* Bytes written to every tape of this sink so far (current one included). */
uint64_t sink__bytes(const struct sink *s);
/* Events written to every tape so far: those in the tapes' chunks. */
uint64_t sink__events(const struct sink *s);
/* Events handed to the current tape but not written to it (still in memory,
 * or in a chunk whose write failed). */
uint64_t sink__events_pending(const struct sink *s);
/* Tapes started so far (1 without rotation). */
unsigned sink__tapes(const struct sink *s);

/* Finish the current tape (index and trailer).  0 or -errno. */
int sink__finish(struct sink *s);

/* Why the last call failed, naming the file. */
const char *sink__errmsg(const struct sink *s);

/* Free; an unfinished tape is left for readers to recover.  Accepts NULL. */
void sink__free(struct sink *s);

/* Path of ring member @i (0: @path itself) into @buf. */
void sink__ring_path(const char *path, unsigned i, char *buf, size_t len);

#endif /* BPFTAPE_RECORD_SINK_H */
