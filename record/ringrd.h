/* SPDX-License-Identifier: MIT */
/*
 * The reader of one BPF ring buffer, as perf reads its own buffers: up to
 * the producer position it saw when it started, and the consumer position
 * stored once per visit rather than after every record, so that a storm's
 * producer does not miss on that line for every record the reader takes
 * (docs/RECORDING.md, "Where the time goes").
 */
#ifndef BPFTAPE_RECORD_RINGRD_H
#define BPFTAPE_RECORD_RINGRD_H

#include <stddef.h>

struct ringrd;

/* Called for each record; a negative return stops the visit and is returned. */
typedef int (*ringrd_fn)(void *ctx, void *data, size_t size);

/*
 * Map the ring of map @fd, whose producer wakes the reader when the data
 * waiting crosses @wakeup bytes from below; NULL and errno on failure.
 */
struct ringrd *ringrd__new(int fd, size_t wakeup, ringrd_fn fn, void *ctx);
/*
 * Hand at most @max records to the callback (those committed when the
 * visit started; 0: no limit).  Returns the count, or the callback's
 * negative return; *@more is set when records were left for the next
 * visit, or @wakeup bytes or more arrived meanwhile: the producer will not
 * wake the reader for those, only for a crossing from below.
 */
int ringrd__consume(struct ringrd *rd, unsigned max, int *more);
/*
 * The record the next visit starts with, without taking it: its data and
 * *@size, or NULL when there is none yet (empty, or still being written).
 * The recorder reads the other CPUs' rings up to a point in time, and a
 * record past that point stays for its turn.
 */
const void *ringrd__peek(const struct ringrd *rd, size_t *size);
void ringrd__free(struct ringrd *rd);

#endif /* BPFTAPE_RECORD_RINGRD_H */
