// SPDX-License-Identifier: MIT
/* One tape or a ring of rotated tapes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sink.h"

struct sink {
	struct sink_opts opts;
	char *path;
	struct tape_writer *w;
	uint64_t done_bytes;  /* of finished tapes */
	uint64_t done_events; /* of finished tapes */
	unsigned tapes;
	char errmsg[3 * PATH_MAX];
};

void sink__ring_path(const char *path, unsigned i, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (!i)
		snprintf(buf, len, "%s", path);
	else if (n > 5 && !strcmp(path + n - 5, ".tape"))
		snprintf(buf, len, "%.*s.%u.tape", (int)(n - 5), path, i);
	else
		snprintf(buf, len, "%s.%u", path, i);
}

static void close_tape(struct sink *s)
{
	tape_writer__free(s->w);
	s->w = NULL;
}

static int start_tape(struct sink *s)
{
	struct tape_writer_opts wo = {.sz = sizeof(wo),
				      .chunk_bytes = s->opts.chunk_bytes,
				      .max_delay_ns = s->opts.max_delay_ns,
				      .flags = TAPE_WRITER_LIVE};
	struct tape_out_opts oo = {.sz = sizeof(oo), .flags = TAPE_OUT_BINARY};
	struct tape_out *out;
	char why[PATH_MAX + 128];
	int err;

	/* live: the tape has its name (once it holds the header) while it
	 * grows, so that a killed recorder leaves what it wrote */
	out = tape_out__open(s->path, &oo, why, sizeof(why));
	s->w = out ? tape_writer__open_out(out, &wo) : NULL;
	if (!s->w) {
		err = -errno;
		if (!out && why[0])
			snprintf(s->errmsg, sizeof(s->errmsg), "%s", why);
		else
			snprintf(s->errmsg, sizeof(s->errmsg), "creating %s: %s", s->path,
				 err == -EBUSY ? "another process is writing it" : strerror(-err));
		if (err == -ENOENT || err == -EACCES || err == -EROFS || err == -ENOTDIR)
			snprintf(s->errmsg + strlen(s->errmsg),
				 sizeof(s->errmsg) - strlen(s->errmsg),
				 "; give -o a path in an existing, writable directory");
		return err;
	}
	s->tapes++;
	err = s->opts.start(s->opts.ctx, s->w);
	if (err) {
		snprintf(s->errmsg, sizeof(s->errmsg), "writing the head of %s: %s%s%s", s->path,
			 strerror(-err), *tape_writer__errmsg(s->w) ? ": " : "",
			 tape_writer__errmsg(s->w));
		return err;
	}
	return 0;
}

struct sink *sink__open(const struct sink_opts *opts, char *err, size_t errlen)
{
	struct sink *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return NULL;
	s->opts = *opts;
	if (!s->opts.keep)
		s->opts.keep = 1;
	s->path = strdup(opts->path);
	if (!s->path) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	ret = start_tape(s);
	if (ret) {
		snprintf(err, errlen, "%s", s->errmsg);
		sink__free(s);
		errno = -ret;
		return NULL;
	}
	return s;
}

struct tape_writer *sink__writer(struct sink *s)
{
	return s->w;
}

int sink__finish(struct sink *s)
{
	int err;

	if (!s->w)
		return 0;
	err = tape_writer__finish(s->w);
	if (err)
		snprintf(s->errmsg, sizeof(s->errmsg), "finishing %s: %s%s%s", s->path,
			 strerror(-err), *tape_writer__errmsg(s->w) ? ": " : "",
			 tape_writer__errmsg(s->w));
	return err;
}

int sink__maybe_rotate(struct sink *s)
{
	char from[PATH_MAX], to[PATH_MAX];
	int err;

	if (!s->opts.rotate_bytes || tape_writer__bytes(s->w) < s->opts.rotate_bytes)
		return 0;
	err = sink__finish(s);
	if (err)
		return err;
	s->done_bytes += tape_writer__bytes(s->w);
	s->done_events += tape_writer__events_written(s->w);
	close_tape(s);

	/* shift the ring: drop the oldest, then out.i -> out.i+1, out -> out.1 */
	sink__ring_path(s->path, s->opts.keep - 1, to, sizeof(to));
	unlink(to);
	for (unsigned i = s->opts.keep - 1; i > 0; i--) {
		sink__ring_path(s->path, i - 1, from, sizeof(from));
		sink__ring_path(s->path, i, to, sizeof(to));
		if (rename(from, to) && errno != ENOENT) {
			err = -errno;
			snprintf(s->errmsg, sizeof(s->errmsg), "rotating %s to %s: %s", from, to,
				 strerror(errno));
			return err;
		}
	}
	err = start_tape(s);
	return err ? err : 1;
}

uint64_t sink__bytes(const struct sink *s)
{
	return s->done_bytes + (s->w ? tape_writer__bytes(s->w) : 0);
}

uint64_t sink__events(const struct sink *s)
{
	return s->done_events + (s->w ? tape_writer__events_written(s->w) : 0);
}

uint64_t sink__events_pending(const struct sink *s)
{
	return s->w ? tape_writer__events(s->w) - tape_writer__events_written(s->w) : 0;
}

unsigned sink__tapes(const struct sink *s)
{
	return s->tapes;
}

const char *sink__errmsg(const struct sink *s)
{
	return s->errmsg;
}

void sink__free(struct sink *s)
{
	if (!s)
		return;
	close_tape(s);
	free(s->path);
	free(s);
}
