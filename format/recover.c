// SPDX-License-Identifier: MIT
/* Recovery: copy every intact block of a damaged tape into a finalized one. */
#include <stdlib.h>

#include "tape_int.h"

int tape__writer_put_raw(struct tape_writer *w, unsigned type, const uint8_t *body, size_t len,
			 size_t summary_len);

/* Events of the chunk at @off: chunks are in file order, so a binary
 * search (a search per chunk of the list was quadratic in chunks). */
static uint64_t chunk_count_at(const struct tape_reader *r, uint64_t off)
{
	size_t lo = 0, hi = r->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->chunks[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nchunks && r->chunks[lo].off == off ? r->chunks[lo].s.count : 0;
}

/* A byte range of the input accounted for: a block copied, or the input's
 * own index or trailer (replaced by the new tape's, not lost). */
struct span {
	uint64_t off, len;
	bool index;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Of the bytes [@a, @b) no good block covers, how many from @a on are the
 * remains of the input's index and trailer (a footer torn by a kill, a bad
 * trailer CRC): those are rebuilt, not lost.  @after_index says an index
 * block ends at @a.  The rest of the gap is lost data.
 */
static uint64_t old_footer_bytes(struct tape_reader *r, uint64_t a, uint64_t b, bool after_index)
{
	uint64_t at = a;

	while (at + 6 <= b) {
		uint8_t h[BLOCK_HDR_LEN];
		size_t got = b - at < sizeof(h) ? (size_t)(b - at) : sizeof(h);
		uint64_t len;
		uint16_t type;

		if (r->in.read_at(r->in.ctx, h, got, at) || get_le32(h) != BLOCK_MAGIC)
			break;
		type = get_le16(h + 4);
		if (type != BLOCK_INDEX && type != BLOCK_TRAILER)
			break;
		if (got == sizeof(h))
			len = BLOCK_HDR_LEN + (uint64_t)get_le32(h + 12);
		else if (b == r->size)
			len = b - at; /* a header torn by the end of the file */
		else
			break;
		if (type == BLOCK_TRAILER && len != TRAILER_BLOCK_LEN)
			break;
		at += len < b - at ? len : b - at;
		after_index = type == BLOCK_INDEX;
	}
	/* a trailer torn before its type was written */
	if (at < b && after_index && b == r->size && b - at < TRAILER_BLOCK_LEN)
		at = b;
	return at - a;
}

int tape_recover(const char *in_path, const char *out_path, struct tape_recover_stats *st,
		 char *err, size_t errlen)
{
	struct tape_recover_stats s = {0};
	struct tape_reader *r = NULL;
	struct tape_writer *w = NULL;
	struct buf body = {0};
	struct span *spans = NULL;
	size_t nspans = 0;
	uint64_t pos = FILE_HDR_LEN, lost = 0;
	bool after_index = false;
	char msg[256];
	int ret = 0;

	if (err && errlen)
		*err = 0;
	if (!in_path || !out_path)
		return -EINVAL;
	r = tape_reader__open(in_path, msg, sizeof(msg));
	if (!r) {
		ret = -errno;
		tape__errfmt(err, errlen, "%s: %s", in_path, msg);
		goto out;
	}
	{
		/* the tape being recovered is never replaced by its copy */
		struct tape_out_opts oo = {.sz = sizeof(oo),
					   .flags = TAPE_OUT_BINARY,
					   .inputs = &in_path,
					   .ninputs = 1};
		struct tape_out *o = tape_out__open(out_path, &oo, msg, sizeof(msg));

		w = o ? tape_writer__open_out(o, NULL) : NULL;
		if (!w) {
			ret = -errno;
			if (o || !msg[0])
				tape__errfmt(err, errlen, "%s: %s", out_path, strerror(errno));
			else
				tape__errfmt(err, errlen, "%s", msg);
			goto out;
		}
	}
	spans = calloc(r->nblocks ? r->nblocks : 1, sizeof(*spans));
	if (!spans) {
		ret = -ENOMEM;
		goto out;
	}
	s.blocks_bad = r->nproblems;
	if (r->nproblems)
		tape__errfmt(err, errlen, "%s", r->problems[0]);
	for (size_t i = 0; i < r->nblocks; i++) {
		struct rblock b;

		if (r->blocks[i].type == BLOCK_INDEX || r->blocks[i].type == BLOCK_TRAILER) {
			spans[nspans++] = (struct span){r->blocks[i].off, r->blocks[i].len,
							r->blocks[i].type == BLOCK_INDEX};
			continue;
		}
		ret = tape__reader_read_block(r, r->blocks[i].off, &body, &b, msg, sizeof(msg));
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			if (err && errlen && !*err)
				tape__errfmt(err, errlen, "%s", msg);
			s.blocks_bad++;
			continue;
		}
		ret = tape__writer_put_raw(w, b.type, body.data, body.len,
					   b.type == BLOCK_CHUNK ? r->blocks[i].summary_len : 0);
		if (ret) {
			tape__errfmt(err, errlen, "%s: %s", out_path, tape_writer__errmsg(w));
			goto out;
		}
		if (b.type == BLOCK_CHUNK)
			s.events_kept += chunk_count_at(r, b.off);
		spans[nspans++] = (struct span){b.off, b.len, false};
		s.blocks_kept++;
	}
	ret = tape_writer__finish(w);
	if (ret) {
		tape__errfmt(err, errlen, "%s: %s", out_path, tape_writer__errmsg(w));
		goto out;
	}
	/* what no block accounts for is lost, except the remains of the
	 * input's own index and trailer (which the reader does not count as
	 * damage) */
	qsort(spans, nspans, sizeof(*spans), span_cmp);
	for (size_t i = 0; i <= nspans; i++) {
		uint64_t end = i < nspans ? spans[i].off : r->size;

		if (end > pos) {
			uint64_t footer = old_footer_bytes(r, pos, end, after_index);

			lost += end - pos - footer;
		}
		if (i < nspans) {
			if (spans[i].off + spans[i].len > pos)
				pos = spans[i].off + spans[i].len;
			after_index = spans[i].index;
		}
	}
	s.bytes_lost = lost;
out:
	if (st)
		*st = s;
	free(spans);
	tape__buf_free(&body);
	tape_writer__free(w);
	tape_reader__free(r);
	return ret;
}
