/* SPDX-License-Identifier: MIT */
/*
 * What the recorder's per-process caches of names (perfmap.c, stackres.c)
 * share: a pool of interned strings, whose pointers the stack table
 * compares and keeps for as long as the pool lives, and the clock their
 * re-reads are spaced by.  A pool is owned by one thread.
 */
#ifndef BPFTAPE_RECORD_STRPOOL_H
#define BPFTAPE_RECORD_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "private/names.h"

/* Zeroed: an empty pool without a bound. */
struct strpool {
	struct names ids; /* string -> index in strs + 1 */
	char **strs;	  /* owned */
	size_t n, cap;
	size_t bytes;	  /* of the strings, NULs included */
	size_t max_bytes; /* 0: no bound */
};

/* The pool's copy of @s, made at its first call: one pointer per string.
 * NULL when out of memory or when the copy would take the pool past
 * max_bytes. */
const char *strpool__intern(struct strpool *sp, const char *s);

/* Frees every string; the pool is empty (and keeps its bound). */
void strpool__free(struct strpool *sp);

/* CLOCK_MONOTONIC in ns: when a cache last read its file. */
uint64_t strpool__now_ns(void);

#endif /* BPFTAPE_RECORD_STRPOOL_H */
