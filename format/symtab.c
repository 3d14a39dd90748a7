// SPDX-License-Identifier: MIT
/*
 * Compact symbol tables and binary blocks (format/symtab.h).
 *
 * A binary's function symbols are sorted by address, so starts are coded
 * as the gap after the previous symbol's end (mostly 0..15 bytes of
 * padding: one byte), sizes as varints, and names as an index into a table
 * of distinct names sorted and front-coded (shared prefix with the
 * previous name + the rest): libc's names share long prefixes (pthread_,
 * __libc_, _IO_) that the table stores once.
 */
#include <stdio.h>
#include <stdlib.h>

#include "private/symtab.h"
#include "tape_int.h"

struct symtab {
	size_t n;
	uint64_t *start;
	uint64_t *size;
	uint32_t *name; /* index into names */
	size_t nnames;
	char **names; /* point into blob */
	char *blob;
};

static size_t underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* perf's choose_best_symbol(): whether @a names an address better than @b. */
static bool better(const struct symtab_sym *a, const struct symtab_sym *b)
{
	size_t la, lb;

	if (!!a->size != !!b->size)
		return a->size;
	if ((a->bind == SYMTAB_WEAK) != (b->bind == SYMTAB_WEAK))
		return b->bind == SYMTAB_WEAK;
	if ((a->bind == SYMTAB_GLOBAL) != (b->bind == SYMTAB_GLOBAL))
		return a->bind == SYMTAB_GLOBAL;
	if (underscores(a->name) != underscores(b->name))
		return underscores(a->name) < underscores(b->name);
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la > lb;
	/* a total order, so the table does not depend on the input's order */
	return strcmp(a->name, b->name) < 0;
}

static int cmp_start(const void *pa, const void *pb)
{
	const struct symtab_sym *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static int cmp_name(const void *pa, const void *pb)
{
	const struct symtab_sym *const *a = pa, *const *b = pb;

	return strcmp((*a)->name, (*b)->name);
}

int tape__symtab_encode(struct buf *out, struct symtab_sym *syms, size_t n)
{
	const struct symtab_sym **byname = NULL;
	uint32_t *idx = NULL;
	size_t m = 0, nnames = 0;
	const char *prev = "";
	uint64_t prev_end = 0;
	int err = -ENOMEM;

	if (n > SYMTAB_MAX_SYMS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!syms[i].name || strlen(syms[i].name) > SYMTAB_MAX_NAME)
			return -EINVAL;
	if (n)
		qsort(syms, n, sizeof(*syms), cmp_start);
	/* one symbol per address: the best sorts first */
	for (size_t i = 0; i < n; i++)
		if (!m || syms[i].start != syms[m - 1].start)
			syms[m++] = syms[i];
	byname = malloc((m ? m : 1) * sizeof(*byname));
	idx = malloc((m ? m : 1) * sizeof(*idx));
	if (!byname || !idx)
		goto out;
	for (size_t i = 0; i < m; i++)
		byname[i] = &syms[i];
	if (m)
		qsort(byname, m, sizeof(*byname), cmp_name);
	for (size_t i = 0; i < m; i++) {
		if (i && !strcmp(byname[i]->name, byname[i - 1]->name)) {
			idx[byname[i] - syms] = nnames - 1;
			continue;
		}
		idx[byname[i] - syms] = nnames++;
	}
	if ((err = tape__buf_put_varint(out, nnames)))
		goto out;
	for (size_t i = 0; i < m; i++) {
		const char *s = byname[i]->name;
		size_t shared = 0;

		if (i && !strcmp(s, prev))
			continue;
		while (s[shared] && s[shared] == prev[shared])
			shared++;
		if ((err = tape__buf_put_varint(out, shared)) ||
		    (err = tape__buf_put_str(out, s + shared)))
			goto out;
		prev = s;
	}
	if ((err = tape__buf_put_varint(out, m)))
		goto out;
	for (size_t i = 0; i < m; i++) {
		if ((err = tape__buf_put_varint(out,
						zigzag((int64_t)(syms[i].start - prev_end)))) ||
		    (err = tape__buf_put_varint(out, syms[i].size)) ||
		    (err = tape__buf_put_varint(out, idx[i])))
			goto out;
		prev_end = syms[i].start + syms[i].size;
	}
	err = 0;
out:
	free(byname);
	free(idx);
	return err;
}

void tape__symtab_free(struct symtab *t)
{
	if (!t)
		return;
	free(t->start);
	free(t->size);
	free(t->name);
	free(t->names);
	free(t->blob);
	free(t);
}

/* Decoded names may not grow past this many times their encoded bytes:
 * front coding of real names gains 2-3x, a hostile table far more. */
#define NAME_EXPANSION 16

struct symtab *tape__symtab_decode(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct rd r = {p, p + len, false, NULL};
	struct symtab *t = calloc(1, sizeof(*t));
	/* the names grow as decoded (offsets first: the blob moves), bounded
	 * by NAME_EXPANSION times the input */
	size_t blob_max = NAME_EXPANSION * len + 1, blob_cap = 0, blob_len = 0, prev_len = 0;
	size_t *noff = NULL, prev_off = 0;
	uint64_t prev_end = 0;

	if (!t)
		goto nomem;
	t->nnames = rd_varint(&r);
	/* every name takes at least 2 bytes, every symbol 3 */
	if (r.bad || t->nnames > len / 2) {
		tape__errfmt(err, errlen, "symbol table: bad name count");
		goto bad;
	}
	if (blob_max / NAME_EXPANSION != len)
		goto nomem;
	noff = malloc((t->nnames ? t->nnames : 1) * sizeof(*noff));
	t->names = malloc((t->nnames ? t->nnames : 1) * sizeof(*t->names));
	if (!noff || !t->names)
		goto nomem;
	for (size_t i = 0; i < t->nnames; i++) {
		uint64_t shared = rd_varint(&r);
		size_t slen, need;
		const uint8_t *s = tape__rd_bytes(&r, &slen);
		char *name;

		if (r.bad) {
			tape__errfmt(err, errlen, "symbol table: name %zu: %s", i,
				     r.why ? r.why : "runs past the end");
			goto bad;
		}
		if (shared > prev_len) {
			tape__errfmt(err, errlen,
				     "symbol table: name %zu shares %llu bytes with a name of %zu",
				     i, (unsigned long long)shared, prev_len);
			goto bad;
		}
		if (!(shared + slen) || shared + slen > SYMTAB_MAX_NAME || memchr(s, 0, slen)) {
			tape__errfmt(err, errlen, "symbol table: name %zu is %s", i,
				     !(shared + slen)		       ? "empty"
				     : shared + slen > SYMTAB_MAX_NAME ? "too long"
								       : "not a name (NUL)");
			goto bad;
		}
		need = shared + slen + 1;
		if (blob_max - blob_len < need) {
			tape__errfmt(err, errlen, "symbol table: names expand past %dx their bytes",
				     NAME_EXPANSION);
			goto bad;
		}
		if (blob_cap - blob_len < need) {
			size_t cap = blob_cap ? blob_cap : (len < 4096 ? 4096 : len);
			char *nb;

			while (cap - blob_len < need)
				cap *= 2;
			cap = cap < blob_max ? cap : blob_max;
			if (!(nb = realloc(t->blob, cap)))
				goto nomem;
			t->blob = nb;
			blob_cap = cap;
		}
		name = t->blob + blob_len;
		/* the previous name lies before the new one: no overlap */
		memcpy(name, t->blob ? t->blob + prev_off : "", shared);
		memcpy(name + shared, s, slen);
		name[shared + slen] = 0;
		if (i && strcmp(name, t->blob + prev_off) <= 0) {
			tape__errfmt(err, errlen, "symbol table: name %zu is out of order", i);
			goto bad;
		}
		noff[i] = prev_off = blob_len;
		prev_len = shared + slen;
		blob_len += need;
	}
	for (size_t i = 0; i < t->nnames; i++)
		t->names[i] = t->blob + noff[i];
	free(noff);
	noff = NULL;
	t->n = rd_varint(&r);
	if (r.bad || t->n > (size_t)(r.end - r.p) / 3 || t->n > SYMTAB_MAX_SYMS) {
		tape__errfmt(err, errlen, "symbol table: bad symbol count");
		goto bad;
	}
	t->start = malloc((t->n ? t->n : 1) * sizeof(*t->start));
	t->size = malloc((t->n ? t->n : 1) * sizeof(*t->size));
	t->name = malloc((t->n ? t->n : 1) * sizeof(*t->name));
	if (!t->start || !t->size || !t->name)
		goto nomem;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t start = prev_end + (uint64_t)unzigzag(rd_varint(&r));
		uint64_t size = rd_varint(&r);
		uint64_t name = rd_varint(&r);

		if (r.bad) {
			tape__errfmt(err, errlen, "symbol table: symbol %zu: %s", i,
				     r.why ? r.why : "runs past the end");
			goto bad;
		}
		if (name >= t->nnames) {
			tape__errfmt(err, errlen,
				     "symbol table: symbol %zu names %llu of %zu names", i,
				     (unsigned long long)name, t->nnames);
			goto bad;
		}
		if (i && start <= t->start[i - 1]) {
			tape__errfmt(err, errlen,
				     "symbol table: symbol %zu is out of address order", i);
			goto bad;
		}
		if (start + size < start) {
			tape__errfmt(err, errlen, "symbol table: symbol %zu wraps past 2^64", i);
			goto bad;
		}
		t->start[i] = start;
		t->size[i] = size;
		t->name[i] = name;
		prev_end = start + size;
	}
	if (r.p != r.end) {
		tape__errfmt(err, errlen, "symbol table: %zu bytes after the last symbol",
			     (size_t)(r.end - r.p));
		goto bad;
	}
	return t;
nomem:
	tape__errfmt(err, errlen, "symbol table: out of memory");
	free(noff);
	tape__symtab_free(t);
	errno = ENOMEM;
	return NULL;
bad:
	free(noff);
	tape__symtab_free(t);
	errno = EBADMSG;
	return NULL;
}

size_t tape__symtab_count(const struct symtab *t)
{
	return t ? t->n : 0;
}

void tape__symtab_get(const struct symtab *t, size_t i, uint64_t *start, uint64_t *size,
		      const char **name)
{
	*start = t->start[i];
	*size = t->size[i];
	*name = t->names[t->name[i]];
}

/* Nested symbols are rare among functions; an enclosing one is looked for
 * this many symbols back, no further, to keep a lookup O(log n). */
#define MAX_NESTED 16

static bool covers(const struct symtab *t, size_t i, uint64_t vaddr, uint64_t limit)
{
	uint64_t end;

	if (t->size[i])
		return vaddr - t->start[i] < t->size[i];
	end = i + 1 < t->n ? t->start[i + 1] : limit;
	return vaddr < end;
}

const char *tape__symtab_lookup(const struct symtab *t, uint64_t vaddr, uint64_t limit,
				uint64_t *off)
{
	size_t lo = 0, hi = t ? t->n : 0;

	/* the first symbol starting after vaddr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->start[mid] <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < MAX_NESTED && lo > k; k++) {
		size_t i = lo - 1 - k;

		if (covers(t, i, vaddr, limit)) {
			*off = vaddr - t->start[i];
			return t->names[t->name[i]];
		}
		if (!t->size[i])
			break; /* a size-0 symbol ends where the next begins */
	}
	return NULL;
}

/* ---- binary blocks ---- */

int tape__binary_encode(struct buf *out, const struct binary_desc *d, struct symtab_sym *syms,
			size_t nsyms)
{
	struct buf tab = {0};
	int err;

	if (d->build_id_len > BINARY_MAX_BUILD_ID || d->nsegs > BINARY_MAX_SEGS)
		return -EINVAL;
	if ((err = tape__buf_put_varint(out, d->id)) || (err = tape__buf_put_str(out, d->path)) ||
	    (err = tape__buf_put_bytes(out, d->build_id, d->build_id_len)) ||
	    (err = tape__buf_put_varint(out, d->sources)) ||
	    (err = tape__buf_put_varint(out, d->nsegs)))
		return err;
	for (size_t i = 0; i < d->nsegs; i++)
		if ((err = tape__buf_put_varint(out, d->segs[i].vaddr)) ||
		    (err = tape__buf_put_varint(out, d->segs[i].offset)) ||
		    (err = tape__buf_put_varint(out, d->segs[i].filesz)) ||
		    (err = tape__buf_put_varint(out, d->segs[i].flags)))
			return err;
	err = tape__symtab_encode(&tab, syms, nsyms);
	if (!err)
		err = tape__buf_put_bytes(out, tab.data, tab.len);
	tape__buf_free(&tab);
	return err;
}

void tape__binary_free(struct binary *b)
{
	if (!b)
		return;
	free(b->path);
	free(b->segs);
	tape__symtab_free(b->syms);
	free(b);
}

struct binary *tape__binary_parse(const uint8_t *body, size_t len, char *err, size_t errlen)
{
	struct rd r = {body, body + len, false, NULL};
	struct binary *b = calloc(1, sizeof(*b));
	const uint8_t *p;
	const char *what;
	size_t n;
	char sub[200] = "";

	if (!b)
		goto nomem;
	what = "binary id";
	b->id = rd_varint(&r);
	what = "path";
	b->path = tape__rd_strdup(&r);
	if (r.bad)
		goto bad;
	what = "build-id";
	p = tape__rd_bytes(&r, &n);
	if (r.bad)
		goto bad;
	if (n > BINARY_MAX_BUILD_ID) {
		tape__errfmt(err, errlen, "binary block: build-id of %zu bytes (at most %d)", n,
			     BINARY_MAX_BUILD_ID);
		goto badmsg;
	}
	memcpy(b->build_id, p, n);
	b->build_id_len = n;
	for (size_t i = 0; i < n; i++)
		snprintf(b->build_id_hex + 2 * i, 3, "%02x", p[i]);
	what = "sources";
	b->sources = rd_varint(&r);
	what = "segment count";
	b->nsegs = rd_varint(&r);
	if (r.bad)
		goto bad;
	if (b->nsegs > BINARY_MAX_SEGS) {
		tape__errfmt(err, errlen, "binary block %llu: %zu segments (at most %d)",
			     (unsigned long long)b->id, b->nsegs, BINARY_MAX_SEGS);
		goto badmsg;
	}
	b->segs = calloc(b->nsegs ? b->nsegs : 1, sizeof(*b->segs));
	if (!b->segs)
		goto nomem;
	what = "segment";
	for (size_t i = 0; i < b->nsegs; i++) {
		struct symtab_seg *s = &b->segs[i];

		s->vaddr = rd_varint(&r);
		s->offset = rd_varint(&r);
		s->filesz = rd_varint(&r);
		s->flags = rd_varint(&r);
		if (r.bad)
			goto bad;
		if (s->vaddr + s->filesz < s->vaddr || s->offset + s->filesz < s->offset) {
			tape__errfmt(err, errlen, "binary block %llu: segment %zu wraps past 2^64",
				     (unsigned long long)b->id, i);
			goto badmsg;
		}
	}
	what = "symbol table";
	p = tape__rd_bytes(&r, &n);
	if (r.bad)
		goto bad;
	/* bytes after the table are later additions: ignored */
	b->syms = tape__symtab_decode(p, n, sub, sizeof(sub));
	if (!b->syms) {
		if (errno == ENOMEM)
			goto nomem;
		tape__errfmt(err, errlen, "binary block %llu (%s): %s", (unsigned long long)b->id,
			     b->path, sub);
		goto badmsg;
	}
	return b;
bad:
	tape__errfmt(err, errlen, "binary block: %s: %s", what,
		     r.why ? r.why : "runs past the end of the block");
badmsg:
	tape__binary_free(b);
	errno = EBADMSG;
	return NULL;
nomem:
	tape__errfmt(err, errlen, "binary block: out of memory");
	tape__binary_free(b);
	errno = ENOMEM;
	return NULL;
}

const struct symtab_seg *tape__binary_seg(const struct binary *b, uint64_t off)
{
	for (size_t i = 0; i < b->nsegs; i++)
		if (off - b->segs[i].offset < b->segs[i].filesz)
			return &b->segs[i];
	return NULL;
}

int tape__binary_lookup(const struct binary *b, uint64_t off, const char **name, uint64_t *sym_off)
{
	const struct symtab_seg *s = tape__binary_seg(b, off);

	if (!s)
		return -ENOENT;
	*name = tape__symtab_lookup(b->syms, s->vaddr + (off - s->offset), s->vaddr + s->filesz,
				    sym_off);
	return *name ? 0 : -ENOENT;
}
