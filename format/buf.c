// SPDX-License-Identifier: MIT
/* Growable buffers, varints, bounded decoding and error formatting. */
#include <stdio.h>
#include <stdlib.h>

#include "tape_int.h"

int tape__buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra;
	uint8_t *p;
	size_t cap;

	if (need < b->len)
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int tape__array_grow_slow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	void **a = arr, *p;
	size_t c = *cap ? *cap : first;

	if (n < *cap)
		return 0;
	while (c <= n)
		c *= 2;
	if (c > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*a, c * size);
	if (!p)
		return -ENOMEM;
	*a = p;
	*cap = c;
	return 0;
}

void tape__buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int tape__buf_put(struct buf *b, const void *p, size_t len)
{
	int err = tape__buf_reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

int tape__buf_put_varint(struct buf *b, uint64_t v)
{
	int err = tape__buf_reserve(b, 10);

	if (err)
		return err;
	buf_put_varint_fast(b, v);
	return 0;
}

int tape__buf_put_bytes(struct buf *b, const void *p, size_t len)
{
	int err = tape__buf_put_varint(b, len);

	return err ? err : tape__buf_put(b, p, len);
}

int tape__buf_put_str(struct buf *b, const char *s)
{
	return tape__buf_put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

const uint8_t *tape__rd_bytes(struct rd *r, size_t *len)
{
	uint64_t n = rd_varint(r);
	const uint8_t *p = r->p;

	if (r->bad || n > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		*len = 0;
		return NULL;
	}
	r->p += n;
	*len = n;
	return p;
}

char *tape__rd_strdup(struct rd *r)
{
	size_t len;
	const uint8_t *p = tape__rd_bytes(r, &len);
	char *s;

	if (!p)
		return NULL;
	s = malloc(len + 1);
	if (!s) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = 0;
	return s;
}

void tape__rd_skip(struct rd *r, size_t n)
{
	if (n > (size_t)(r->end - r->p)) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

void tape__errfmt(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!dst || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}
