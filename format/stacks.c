// SPDX-License-Identifier: MIT
/*
 * Stack blocks (type 8, docs/FORMAT.md): parsing into the reader's stack
 * table, and tape_reader__stack().  Strings (symbols, modules, binary
 * paths) are interned once per reader: a kernel symbol appears in many
 * stacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private/symtab.h"
#include "tape_int.h"

/* A stack has at most TAPE_MAX_FRAMES frames; a binary id or stack id
 * beyond 2^32 is damage. */

static int bin_cmp(const void *a, const void *b)
{
	const struct rbinary *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int stk_cmp(const void *a, const void *b)
{
	const struct rstack *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The interned copy of the @len bytes at @p, NUL-terminated; NULL on ENOMEM. */
static const char *intern(struct tape_stacks *st, const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);
	uint32_t id;

	if (!s)
		return NULL;
	memcpy(s, p, len);
	s[len] = 0;
	id = tape__names_find(&st->strnames, s);
	if (id) {
		free(s);
		return st->strs[id - 1];
	}
	if (array_grow(&st->strs, &st->capstrs, st->nstrs, sizeof(*st->strs), 64) ||
	    tape__names_add(&st->strnames, s, st->nstrs + 1)) {
		free(s);
		return NULL;
	}
	st->strs[st->nstrs++] = s;
	return s;
}

static const char *rd_intern(struct tape_stacks *st, struct rd *d, int *err)
{
	size_t len;
	const uint8_t *p = tape__rd_bytes(d, &len);
	const char *s;

	if (!p)
		return NULL;
	s = intern(st, p, len);
	if (!s)
		*err = -ENOMEM;
	return s;
}

static const char *binary_path(struct tape_stacks *st, uint64_t id)
{
	struct rbinary key = {.id = id}, *b;

	if (!st->nbins)
		return NULL;
	if (!st->bins_sorted) {
		qsort(st->bins, st->nbins, sizeof(*st->bins), bin_cmp);
		st->bins_sorted = true;
	}
	b = bsearch(&key, st->bins, st->nbins, sizeof(*st->bins), bin_cmp);
	return b ? b->path : NULL;
}

static int parse_frame(struct tape_stacks *st, struct rd *d, struct tape_frame *f)
{
	uint8_t flags = rd_u8(d);
	int err = 0;

	memset(f, 0, sizeof(*f));
	if (d->bad || (flags & ~(STACK_F_KERNEL | STACK_F_GAP | STACK_F_NAMED)))
		return -EBADMSG;
	f->kernel = !!(flags & STACK_F_KERNEL);
	f->gap = !!(flags & STACK_F_GAP);
	if (f->kernel) {
		f->symbol = rd_intern(st, d, &err);
		f->offset = rd_varint(d);
		f->binary = rd_intern(st, d, &err);
		if (err || d->bad)
			return err ?: -EBADMSG;
		if (!*f->symbol) {
			f->symbol = NULL;
			f->offset = 0;
		}
		if (!*f->binary)
			f->binary = NULL;
		return 0;
	}
	uint64_t bin = rd_varint(d);

	f->address = rd_varint(d);
	if (flags & STACK_F_NAMED) {
		f->symbol = rd_intern(st, d, &err);
		f->offset = rd_varint(d);
	}
	if (err || d->bad)
		return err ?: -EBADMSG;
	if (bin > UINT32_MAX)
		return -EBADMSG;
	/* a binary the stack blocks do not name is named by the mapping
	 * blocks (tape_reader__stack() looks it up): NULL until then */
	f->binary_id = bin;
	if (bin)
		f->binary = binary_path(st, bin);
	return 0;
}

int tape__stacks_parse(struct tape_stacks *st, struct rd *d)
{
	uint64_t nbins = rd_varint(d), nstacks;
	int err;

	if (d->bad || nbins > (uint64_t)(d->end - d->p))
		return -EBADMSG;
	for (uint64_t i = 0; i < nbins; i++) {
		uint64_t id = rd_varint(d);
		const char *path;

		err = 0;
		path = rd_intern(st, d, &err);
		if (err)
			return err;
		if (d->bad || !id || id > UINT32_MAX)
			return -EBADMSG;
		if (binary_path(st, id)) {
			d->why = "a binary id is defined twice";
			return -EBADMSG;
		}
		if (array_grow(&st->bins, &st->capbins, st->nbins, sizeof(*st->bins), 16))
			return -ENOMEM;
		st->bins[st->nbins++] = (struct rbinary){id, path};
		st->bins_sorted = false;
	}
	nstacks = rd_varint(d);
	if (d->bad || nstacks > (uint64_t)(d->end - d->p))
		return -EBADMSG;
	for (uint64_t i = 0; i < nstacks; i++) {
		struct rd s = rd_sub(d);
		uint64_t id = rd_varint(&s), n = rd_varint(&s);
		struct tape_frame *frames;

		if (s.bad || !id || id > UINT32_MAX || n > TAPE_MAX_FRAMES ||
		    n > (uint64_t)(s.end - s.p))
			return -EBADMSG;
		if (tape__stacks_find(st, id)) {
			d->why = "a stack id is defined twice";
			return -EBADMSG;
		}
		frames = calloc(n ? n : 1, sizeof(*frames));
		if (!frames)
			return -ENOMEM;
		for (uint64_t k = 0; k < n; k++) {
			err = parse_frame(st, &s, &frames[k]);
			if (err) {
				if (s.why)
					d->why = s.why;
				free(frames);
				return err;
			}
		}
		if (array_grow(&st->stacks, &st->capstacks, st->nstacks, sizeof(*st->stacks), 64)) {
			free(frames);
			return -ENOMEM;
		}
		st->stacks[st->nstacks++] = (struct rstack){id, frames, n, false};
		st->stacks_sorted = false;
	}
	return 0;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct binary *x = *(struct binary *const *)a, *y = *(struct binary *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The slot of binary @id's block, or NULL. */
static struct binary **symbols_slot(struct tape_stacks *st, uint64_t id)
{
	struct binary key = {.id = id}, *kp = &key;

	if (!st->nsyms)
		return NULL;
	if (!st->syms_sorted) {
		qsort(st->syms, st->nsyms, sizeof(*st->syms), sym_cmp);
		st->syms_sorted = true;
	}
	return bsearch(&kp, st->syms, st->nsyms, sizeof(*st->syms), sym_cmp);
}

static struct binary *symbols_of(struct tape_stacks *st, uint64_t id)
{
	struct binary **b = symbols_slot(st, id);

	return b ? *b : NULL;
}

int tape__stacks_parse_binary(struct tape_stacks *st, struct rd *d)
{
	struct binary *b =
		tape__binary_parse(d->p, (size_t)(d->end - d->p), st->why, sizeof(st->why));
	struct binary **prev;

	if (!b) {
		d->why = st->why;
		return errno == ENOMEM ? -ENOMEM : -EBADMSG;
	}
	d->p = d->end;
	if (!b->id || b->id > UINT32_MAX) {
		tape__binary_free(b);
		return 0;
	}
	prev = symbols_slot(st, b->id);
	if (prev) {
		/* the last block of an id names its frames: a tool that adds
		 * symbols later (symbolize) may append a richer block rather
		 * than rewrite the first.  Same id, so the order holds. */
		if (array_grow(&st->replaced, &st->capreplaced, st->nreplaced,
			       sizeof(*st->replaced), 4)) {
			tape__binary_free(b);
			return -ENOMEM;
		}
		st->replaced[st->nreplaced++] = *prev;
		*prev = b;
		return 0;
	}
	if (array_grow(&st->syms, &st->capsyms, st->nsyms, sizeof(*st->syms), 16)) {
		tape__binary_free(b);
		return -ENOMEM;
	}
	st->syms[st->nsyms++] = b;
	st->syms_sorted = false;
	return 0;
}

const struct binary *tape__reader_binary(struct tape_reader *r, uint32_t id)
{
	return r ? symbols_of(&r->stacks, id) : NULL;
}

/* Name user frame @f from its binary's block: the innermost user frame is
 * where the code was; the others are return addresses, whose call is the
 * byte before (a call that ends a function is not named after the next). */
static void name_frame(struct tape_stacks *st, struct tape_frame *f, bool innermost)
{
	const struct binary *b = symbols_of(st, f->binary_id);
	const char *name;
	uint64_t off;

	if (!b)
		return;
	if (!f->binary)
		f->binary = b->path;
	if (b->build_id_len)
		f->build_id_hex = b->build_id_hex;
	if (f->symbol || (!innermost && !f->address))
		return;
	if (tape__binary_lookup(b, innermost ? f->address : f->address - 1, &name, &off))
		return;
	f->symbol = name;
	f->offset = innermost ? off : off + 1;
}

struct rstack *tape__stacks_find(struct tape_stacks *st, uint64_t id)
{
	struct rstack key = {.id = id};

	if (!st->nstacks)
		return NULL;
	if (!st->stacks_sorted) {
		qsort(st->stacks, st->nstacks, sizeof(*st->stacks), stk_cmp);
		st->stacks_sorted = true;
	}
	return bsearch(&key, st->stacks, st->nstacks, sizeof(*st->stacks), stk_cmp);
}

void tape__stacks_free(struct tape_stacks *st)
{
	for (size_t i = 0; i < st->nstacks; i++)
		free(st->stacks[i].frames);
	free(st->stacks);
	free(st->bins);
	for (size_t i = 0; i < st->nstrs; i++)
		free(st->strs[i]);
	free(st->strs);
	tape__names_free(&st->strnames);
	for (size_t i = 0; i < st->nsyms; i++)
		tape__binary_free(st->syms[i]);
	free(st->syms);
	for (size_t i = 0; i < st->nreplaced; i++)
		tape__binary_free(st->replaced[i]);
	free(st->replaced);
	memset(st, 0, sizeof(*st));
}

int tape_reader__stack(struct tape_reader *r, uint64_t stack_id, const struct tape_frame **frames,
		       size_t *n)
{
	struct rstack *s;

	if (!r || !frames || !n)
		return -EINVAL;
	s = stack_id ? tape__stacks_find(&r->stacks, stack_id) : NULL;
	if (!s)
		return -ENOENT;
	if (!s->named) {
		/* blocks come in any order (a rotation, a filter): names are
		 * looked up once every block of the tape is known */
		bool innermost = true;

		for (uint32_t i = 0; i < s->n; i++) {
			struct tape_frame *f = &s->frames[i];
			bool first = innermost;

			if (f->kernel)
				continue;
			innermost = false;
			if (!f->binary_id)
				continue;
			if (!f->binary) {
				const struct tape_binary *b =
					tape_reader__binary_by_id(r, f->binary_id);

				f->binary = b ? b->path : NULL;
			}
			name_frame(&r->stacks, f, first);
		}
		s->named = true;
	}
	*frames = s->frames;
	*n = s->n;
	return 0;
}

size_t tape_reader__stack_count(const struct tape_reader *r)
{
	return r ? r->stacks.nstacks : 0;
}

uint32_t tape_reader__stack_id_at(struct tape_reader *r, size_t i)
{
	if (!r || i >= r->stacks.nstacks)
		return 0;
	/* sorted by id, as lookups want them anyway */
	tape__stacks_find(&r->stacks, r->stacks.stacks[0].id);
	return (uint32_t)r->stacks.stacks[i].id;
}
