// SPDX-License-Identifier: MIT
/* A copy of a tape whose binary blocks a caller may replace (symtab.h). */
#include <stdlib.h>

#include "private/symtab.h"
#include "tape_int.h"

int tape__writer_put_raw(struct tape_writer *w, unsigned type, const uint8_t *body, size_t len,
			 size_t summary_len);

int tape__binary_rewrite(struct tape_reader *r, struct tape_writer *w, tape__binary_rewrite_fn *fn,
			 void *ctx, char *err, size_t errlen)
{
	struct buf body = {0}, repl = {0};
	char msg[256];
	int ret = 0;

	if (err && errlen)
		*err = 0;
	if (!r || !w || !fn)
		return -EINVAL;
	/* a copy that silently drops what could not be read is recover's
	 * job, and says so; this one keeps everything or nothing */
	if (r->nproblems) {
		tape__errfmt(err, errlen, "damaged (%s); run 'bpftape recover' on it first",
			     r->problems[0]);
		return -EBADMSG;
	}
	for (size_t i = 0; i < r->nblocks; i++) {
		const struct rblock *rb = &r->blocks[i];
		struct rblock b;

		/* the writer makes its own index and trailer */
		if (rb->type == BLOCK_INDEX || rb->type == BLOCK_TRAILER)
			continue;
		ret = tape__reader_read_block(r, rb->off, &body, &b, msg, sizeof(msg));
		if (ret) {
			/* chunks are checked only now */
			tape__errfmt(err, errlen, "%s%s", msg,
				     ret == -EBADMSG || ret == -ENODATA
					     ? "; run 'bpftape recover' on it first"
					     : "");
			goto out;
		}
		repl.len = 0;
		if (b.type == BLOCK_BINARY) {
			struct binary *bin =
				tape__binary_parse(body.data, body.len, msg, sizeof(msg));

			if (!bin) {
				ret = errno == ENOMEM ? -ENOMEM : -EBADMSG;
				tape__errfmt(err, errlen, "block %u (binary) at offset %llu: %s",
					     b.seq, (unsigned long long)b.off, msg);
				goto out;
			}
			ret = fn(ctx, bin, &repl);
			tape__binary_free(bin);
			if (ret) {
				tape__errfmt(err, errlen, "block %u (binary) at offset %llu: %s",
					     b.seq, (unsigned long long)b.off, strerror(-ret));
				goto out;
			}
		}
		if (repl.len)
			ret = tape__writer_put_raw(w, BLOCK_BINARY, repl.data, repl.len, 0);
		else
			ret = tape__writer_put_raw(w, b.type, body.data, body.len,
						   b.type == BLOCK_CHUNK ? rb->summary_len : 0);
		if (ret) {
			tape__errfmt(err, errlen, "%s", tape_writer__errmsg(w));
			goto out;
		}
	}
out:
	tape__buf_free(&body);
	tape__buf_free(&repl);
	return ret;
}
