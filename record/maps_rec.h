/* SPDX-License-Identifier: MIT */
/*
 * The recorder's side of the mappings (record/maps.c): load bpf/maps.bpf.c,
 * feed its records and the process lifecycle into the maps, and write the
 * changes into the tape's mapping block.  Only when stacks are recorded.
 *
 * Ownership: a maps_rec owns its skeleton and its struct maps; the writer
 * given to maps_rec__start() stays the caller's.
 */
#ifndef BPFTAPE_RECORD_MAPS_REC_H
#define BPFTAPE_RECORD_MAPS_REC_H

#include <stddef.h>
#include <stdint.h>

#include "maps.h"
#include "session.h"

struct maps_rec;

/* Open, load and attach the mapping probes sharing @s's maps; @sys_exit:
 * with their own program at syscall exit (false: another follows the
 * mappings syscalls, families__mmap_exits()).  NULL + errno with @err set. */
struct maps_rec *maps_rec__attach(struct record_session *s, bool sys_exit, char *err,
				  size_t errlen);

/* The mappings it keeps, for resolving user stacks. */
struct maps *maps_rec__maps(struct maps_rec *mr);

/*
 * A new tape starts on @w: read /proc/PID/maps of each of @pids (the
 * processes the tape follows), then write every mapping known, stamped
 * @ts, and every later change into @w.  0 or -errno (the writer's).
 */
int maps_rec__start(struct maps_rec *mr, struct tape_writer *w, const uint32_t *pids, size_t n,
		    uint64_t ts);

/*
 * Take one ring record: REC_MMAP and REC_MUNMAP change the maps and are
 * consumed (1); REC_FORK and REC_EXIT change them too but are events of
 * the tape as well (0), as is everything else.  -errno if writing the
 * mapping block failed, -EBADMSG for a short record.
 */
int maps_rec__handle(struct maps_rec *mr, const void *data, size_t size);

/* Stop the probes (the drain at the end has an end); the maps stay. */
void maps_rec__detach(struct maps_rec *mr);

/* Detach and free.  Accepts NULL. */
void maps_rec__free(struct maps_rec *mr);

#endif /* BPFTAPE_RECORD_MAPS_REC_H */
