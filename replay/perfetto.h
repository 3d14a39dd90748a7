/* SPDX-License-Identifier: MIT */
/*
 * Perfetto's native trace format (protobuf, docs/perfetto/bpftape_trace.proto)
 * for `bpftape export --format perfetto`, streamed: each event is written
 * as it comes, and what is held (interned strings, the tracks of threads
 * seen, one pending slice end per thread, a bundle of scheduler switches
 * per CPU) is bounded by the tape's threads and CPUs, not by its events.
 */
#ifndef BPFTAPE_PERFETTO_H
#define BPFTAPE_PERFETTO_H

#include <stdint.h>

#include "output.h"
#include <bpftape/tape.h>

struct tapes;
struct perfetto;

/*
 * A writer of the events of @t to @o (both borrowed, and @rd, which places
 * the tapes on one timeline).  @host_ids: what a host adds to its pids and
 * tids (0 with one host; export's Chrome scheme otherwise).  NULL + errno.
 */
struct perfetto *perfetto__new(struct out *o, const struct tapes *t, const struct render *rd,
			       uint64_t host_ids);
/* Write one selected event (or loss) of host @host.  0 or -ENOMEM. */
int perfetto__event(struct perfetto *p, const struct tape_event *ev, unsigned host);
/* Write what is pending (slice ends, switches).  0 or -ENOMEM. */
int perfetto__finish(struct perfetto *p);
/* Events written and bytes output so far (figures for the bench). */
void perfetto__stats(const struct perfetto *p, uint64_t *events, uint64_t *bytes);
void perfetto__free(struct perfetto *p);

#endif
