/* SPDX-License-Identifier: MIT */
/* Opening the FILE... arguments of the offline verbs. */
#ifndef BPFTAPE_TAPES_H
#define BPFTAPE_TAPES_H

#include <stddef.h>

#include "tape.h"

/*
 * Open @n tapes.  On success *@out holds @n readers (free with
 * tapes__close()).  -errno on failure with @err naming the file and reason.
 */
int tapes__open(char *const *paths, size_t n, struct tape_reader ***out, char *err, size_t errlen);
void tapes__close(struct tape_reader **readers, size_t n);

struct proctab;
struct predicate;

/*
 * Bring @pt (seeded from the snapshots) to the state at the start of @pred's
 * time range by applying the fork/exec/exit events before it.  The index
 * skips chunks without such events.  Nothing to do without --since.
 * 0 or -errno.
 */
int tapes__proc_prefix(struct tape_reader *const *readers, size_t n, const struct predicate *pred,
		       struct proctab *pt);

#endif
