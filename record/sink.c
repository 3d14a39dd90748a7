// SPDX-License-Identifier: MIT
/* One tape or a ring of rotated tapes. */
#include <errno.h>
#include <fcntl.h>
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
	int fd;		      /* of @w when the sink made it, else -1 */
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

static int sink_write(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int sink_truncate(void *ctx, uint64_t off)
{
	int fd = *(int *)ctx;

	if (ftruncate(fd, off) || lseek(fd, off, SEEK_SET) < 0)
		return -errno;
	return 0;
}

static void close_tape(struct sink *s)
{
	tape_writer__free(s->w);
	s->w = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/*
 * The writer allocates for milliseconds between creating its file and
 * writing the header; a recorder killed then would leave an empty file that
 * neither a reader nor `recover` accepts.  So the header goes into an
 * unnamed O_TMPFILE (mode 0600) that is linked in as @s->path only then:
 * the path never names a file without a header.  Where O_TMPFILE is not
 * supported, the plain way.
 */
static struct tape_writer *open_tape(struct sink *s, const struct tape_writer_opts *wo)
{
	const char *slash = strrchr(s->path, '/');
	struct tape_io io = {sink_write, sink_truncate, &s->fd};
	struct tape_writer *w = NULL;
	char dir[PATH_MAX], proc[64];
	int saved;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == s->path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - s->path), s->path);
	s->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			return tape_writer__open(s->path, wo);
		return NULL;
	}
	w = tape_writer__new(&io, wo);
	if (!w)
		goto fail;
	/* replaced, never truncated in place: the old file may be someone's link */
	if (unlink(s->path) && errno != ENOENT)
		goto fail;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, s->path, AT_SYMLINK_FOLLOW) &&
	    linkat(s->fd, "", AT_FDCWD, s->path, AT_EMPTY_PATH))
		goto fail;
	return w;
fail:
	saved = errno;
	tape_writer__free(w);
	close(s->fd);
	s->fd = -1;
	errno = saved;
	return NULL;
}

static int start_tape(struct sink *s)
{
	struct tape_writer_opts wo = {.sz = sizeof(wo), .chunk_bytes = s->opts.chunk_bytes};
	int err;

	s->w = open_tape(s, &wo);
	if (!s->w) {
		err = -errno;
		snprintf(s->errmsg, sizeof(s->errmsg), "creating %s: %s%s", s->path, strerror(-err),
			 err == -ENOENT || err == -EACCES || err == -EROFS || err == -ENOTDIR
				 ? "; give -o a path in an existing, writable directory"
				 : "");
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
	s->fd = -1;
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
	s->done_events += tape_writer__events(s->w);
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
	return s->done_events + (s->w ? tape_writer__events(s->w) : 0);
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
