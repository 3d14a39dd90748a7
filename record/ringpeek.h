/* SPDX-License-Identifier: MIT */
/*
 * A read-only look at a BPF ring buffer's next record, without taking it
 * (libbpf 1.1 has no such call): the recorder reads the other CPUs'
 * rings up to a point in time, and a record past that point must stay
 * where it is, for its turn.  The ring's pages are mapped read-only a
 * second time; libbpf's ring_buffer keeps consuming them.
 */
#ifndef BPFTAPE_RECORD_RINGPEEK_H
#define BPFTAPE_RECORD_RINGPEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_peek {
	const uint64_t *cons; /* the consumer page */
	const uint8_t *prod;  /* the producer page, then the data twice */
	size_t size;	      /* the data area, a power of two */
	size_t page;
};

/* Map ring buffer @fd for peeking.  0 or -errno. */
int ring_peek__open(struct ring_peek *p, int fd);
void ring_peek__close(struct ring_peek *p);

/*
 * The timestamp (struct rec_hdr's ts) of the next record the ring's
 * consumer will be given: true and *@ts, or false when there is none yet
 * (empty, or the next one is still being written).  A record too short
 * for a header gives 0.
 */
bool ring_peek__next_ts(const struct ring_peek *p, uint64_t *ts);

#endif /* BPFTAPE_RECORD_RINGPEEK_H */
