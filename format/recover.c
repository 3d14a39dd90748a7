// SPDX-License-Identifier: MIT
/* Recovery: copy every intact block of a damaged tape into a finalized one. */
#include <stdlib.h>

#include "tape_int.h"

int writer_put_raw(struct tape_writer *w, unsigned type, const uint8_t *body, size_t len,
		   size_t summary_len);

static uint64_t chunk_count_at(const struct tape_reader *r, uint64_t off)
{
	for (size_t i = 0; i < r->nchunks; i++)
		if (r->chunks[i].off == off)
			return r->chunks[i].s.count;
	return 0;
}

int tape_recover(const char *in_path, const char *out_path, struct tape_recover_stats *st,
		 char *err, size_t errlen)
{
	struct tape_recover_stats s = {0};
	struct tape_reader *r = NULL;
	struct tape_writer *w = NULL;
	struct buf body = {0};
	uint64_t kept_bytes = FILE_HDR_LEN;
	char msg[256];
	int ret = 0;

	if (err && errlen)
		*err = 0;
	if (!in_path || !out_path)
		return -EINVAL;
	r = tape_reader__open(in_path, msg, sizeof(msg));
	if (!r) {
		ret = -errno;
		errfmt(err, errlen, "%s: %s", in_path, msg);
		goto out;
	}
	w = tape_writer__open(out_path, NULL);
	if (!w) {
		ret = -errno;
		errfmt(err, errlen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	s.blocks_bad = r->nproblems;
	if (r->nproblems)
		errfmt(err, errlen, "%s", r->problems[0]);
	for (size_t i = 0; i < r->nblocks; i++) {
		struct rblock b;

		if (r->blocks[i].type == BLOCK_INDEX || r->blocks[i].type == BLOCK_TRAILER) {
			kept_bytes += r->blocks[i].len; /* replaced, not lost */
			continue;
		}
		ret = reader_read_block(r, r->blocks[i].off, &body, &b, msg, sizeof(msg));
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			if (err && errlen && !*err)
				errfmt(err, errlen, "%s", msg);
			s.blocks_bad++;
			continue;
		}
		ret = writer_put_raw(w, b.type, body.data, body.len,
				     b.type == BLOCK_CHUNK ? r->blocks[i].summary_len : 0);
		if (ret) {
			errfmt(err, errlen, "%s: %s", out_path, tape_writer__errmsg(w));
			goto out;
		}
		if (b.type == BLOCK_CHUNK)
			s.events_kept += chunk_count_at(r, b.off);
		kept_bytes += b.len;
		s.blocks_kept++;
	}
	ret = tape_writer__finish(w);
	if (ret) {
		errfmt(err, errlen, "%s: %s", out_path, tape_writer__errmsg(w));
		goto out;
	}
	s.bytes_lost = r->size > kept_bytes ? r->size - kept_bytes : 0;
out:
	if (st)
		*st = s;
	buf_free(&body);
	tape_writer__free(w);
	tape_reader__free(r);
	return ret;
}
