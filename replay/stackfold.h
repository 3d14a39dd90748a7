/* SPDX-License-Identifier: MIT */
/*
 * Recorded stacks for the exporters: the folded-stack lines of
 * flamegraph.pl, speedscope and inferno (`export --format folded`), and the
 * stackFrames tree of Chrome's trace-event JSON.  Both name a frame the
 * same way (stackfold__frame_name()), and both hold what they need per
 * distinct stack, never per event: the memory follows the tape's stacks
 * and threads, not its length.
 */
#ifndef BPFTAPE_STACKFOLD_H
#define BPFTAPE_STACKFOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include <bpftape/tape.h>

/*
 * The name of frame @f, as stackcollapse-perf.pl names it: the symbol
 * (without its offset: a flame graph merges a function's frames); an
 * unnamed frame "[BASENAME]" of its binary, or "[unknown]"; with
 * @kernel_suffix, kernel frames end in "_[k]".  Written into @buf (NUL
 * terminated, cut to @cap); returns the full length.
 */
size_t stackfold__frame_name(const struct tape_frame *f, bool kernel_suffix, char *buf, size_t cap);

/* What a folded line counts. */
enum folded_weight {
	FOLDED_AUTO = 0, /* latency when every event has one, else count */
	FOLDED_COUNT,	 /* events */
	FOLDED_LATENCY,	 /* ns of latency; events without one are left out */
};

struct folded;

/* An aggregator over the events of @readers (borrowed).  NULL + errno. */
struct folded *folded__new(struct tape_reader *const *readers, size_t n, enum folded_weight w);
/* Count one selected event (losses are not counted).  1 if counted, 0 if
 * not, -ENOMEM. */
int folded__event(struct folded *fo, const struct tape_event *ev);
/* The lines, sorted, one per distinct folded stack.  0 or -ENOMEM. */
int folded__write(struct folded *fo, struct out *o);
void folded__free(struct folded *fo);

struct sframes;

/* Chrome's stackFrames dictionary over @readers (borrowed).  NULL + errno. */
struct sframes *sframes__new(struct tape_reader *const *readers, size_t n);
/* The id of the innermost frame of @ev's stack (its "sf"), 0 for an event
 * without one; -ENOMEM. */
int64_t sframes__leaf(struct sframes *t, const struct tape_event *ev);
/* ,"stackFrames":{"ID":{"name":..,"category":..,"parent":"ID"},...}
 * (nothing when no event had a stack). */
void sframes__write(const struct sframes *t, struct out *o);
void sframes__free(struct sframes *t);

#endif
