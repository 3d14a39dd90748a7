/* SPDX-License-Identifier: MIT */
/* Growing arrays: shared by the format library and the tools built on it. */
#ifndef BPFTAPE_GROW_H
#define BPFTAPE_GROW_H

#include <stddef.h>

/* Make room in the array *@arr (of *@cap elements of @size bytes) for
 * element @n, doubling from @first.  0 or -ENOMEM (the array is unchanged). */
int tape__array_grow_slow(void *arr, size_t *cap, size_t n, size_t size, size_t first);

static inline int array_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	return n < *cap ? 0 : tape__array_grow_slow(arr, cap, n, size, first);
}

#endif
