// SPDX-License-Identifier: MIT
/*
 * Output files: the one way bpftape writes a file (tapes, exports,
 * databases).
 *
 * The bytes go into a file that no name points at yet, in the directory of
 * the target, and the target's name is moved onto it only on commit: a
 * program killed half-way leaves the old file (or nothing), never half of a
 * new one, and a reader of the old file keeps reading it.  The file is an
 * unnamed O_TMPFILE where the file system has them; elsewhere (or for a
 * program that opens files by name, SQLite) a name made of random bytes,
 * created with O_EXCL, which never follows a link, and removed again unless
 * committed.  No name is predictable, and no existing path is opened for
 * writing, truncated or followed, so a link planted where the output goes
 * (a sticky /tmp) cannot send a root-owned write into another owner's file:
 * the link itself is replaced.  Only devices, FIFOs and sockets (/dev/null,
 * a named pipe) that belong to us or to root are written where they are,
 * and through a link only when it belongs to us or to root too;
 * /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are the
 * descriptors we hold, whatever they are.
 *
 * Every output holds an exclusive flock(2) while it is open, and commit
 * refuses to replace a file that another output still holds: a second
 * recorder on the same -o fails instead of unlinking the first one's tape
 * from under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpftape/tape.h>
#include "tape_int.h"

struct tape_out {
	int fd;
	unsigned flags;
	char *path; /* the target */
	char *tmp;  /* the random name the bytes have until commit, or NULL */
	bool in_place;
	bool committed;
};

/* The pid holding a flock on (@dev, @ino), from /proc/locks; 0 if unknown. */
static int holder_pid(dev_t dev, ino_t ino)
{
	char line[256], kind[16];
	unsigned maj, min;
	unsigned long long i;
	int pid, found = 0;
	FILE *f = fopen("/proc/locks", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" */
		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", kind, &pid, &maj, &min, &i) ==
			    5 &&
		    !strcmp(kind, "FLOCK") && maj == major(dev) && min == minor(dev) &&
		    i == (unsigned long long)ino)
			found = pid;
	}
	fclose(f);
	return found;
}

/*
 * Whether another output holds the regular file at @path.  0 with *@old
 * an fd holding its lock (or -1 where there is no such file, or it cannot be
 * opened to tell), -EBUSY with a message naming the holder.  The lock is
 * kept until the caller has replaced the file, and the file is checked to be
 * still the one at @path once locked, so two outputs replacing it at once
 * cannot both pass.
 */
static int lock_old(const char *path, int *old, char *err, size_t errlen)
{
	struct stat a, b;

	*old = -1;
	for (int tries = 0; tries < 100; tries++) {
		int fd, held;

		if (lstat(path, &a) || !S_ISREG(a.st_mode))
			return 0;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return 0; /* not ours to read: nor was it ours to hold */
		held = flock(fd, LOCK_EX | LOCK_NB) ? errno : 0;
		if (held && held != EWOULDBLOCK) {
			close(fd); /* a file system without locks: nothing to tell */
			return 0;
		}
		if (held) {
			int pid = holder_pid(a.st_dev, a.st_ino);

			close(fd);
			if (pid > 0)
				tape__errfmt(err, errlen,
					     "%s is being written by process %d; not replaced",
					     path, pid);
			else
				tape__errfmt(err, errlen,
					     "%s is being written by another process; not replaced",
					     path);
			return -EBUSY;
		}
		if (!fstat(fd, &b) && !lstat(path, &a) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*old = fd;
			return 0;
		}
		close(fd); /* replaced meanwhile: look again */
	}
	return 0;
}

/* A random name in @dir for @base; NULL + errno. */
static char *random_name(const char *dir, const char *base)
{
	unsigned char r[8];
	char *s;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return NULL;
	if (asprintf(&s, "%s/.%s.%02x%02x%02x%02x%02x%02x%02x%02x.tmp", dir, base, r[0], r[1], r[2],
		     r[3], r[4], r[5], r[6], r[7]) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

/* Split @path into its directory and last component (both malloc'd). */
static int split(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	*base = strdup(slash ? slash + 1 : path);
	if (!*dir || !*base)
		return -ENOMEM;
	return **base ? 0 : -EISDIR;
}

enum { REPLACED, OURS, SPECIAL, SPECIAL_LINK };

/*
 * How @path is written: REPLACED (by rename), OURS (a descriptor this
 * process already has: written into, whatever it is, a shell's > file,
 * never the name replaced, /dev is shared; these names cannot be planted),
 * or SPECIAL / SPECIAL_LINK (a device, FIFO or socket, or a link to one,
 * that it and the link belong to us or to root: where it is).
 */
static int out_kind(const char *path)
{
	struct stat l, s;
	char *end;

	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/stderr"))
		return OURS;
	if (!strncmp(path, "/dev/fd/", 8) || !strncmp(path, "/proc/self/fd/", 14)) {
		const char *num = path + (path[1] == 'd' ? 8 : 14);
		long v = strtol(num, &end, 10);

		if (end != num && !*end && v >= 0 && v <= 65535)
			return OURS;
	}
	if (lstat(path, &l))
		return REPLACED;
	/* another user's FIFO or socket (planted in /tmp) would hand them
	 * what we write: replaced like a file */
	if (l.st_uid != geteuid() && l.st_uid != 0)
		return REPLACED;
	if (S_ISLNK(l.st_mode)) {
		if (stat(path, &s) || S_ISREG(s.st_mode) || S_ISDIR(s.st_mode))
			return REPLACED;
		if (s.st_uid != geteuid() && s.st_uid != 0)
			return REPLACED;
		return SPECIAL_LINK;
	}
	return S_ISREG(l.st_mode) || S_ISDIR(l.st_mode) ? REPLACED : SPECIAL;
}

/*
 * Open a device, FIFO or socket where it is, never creating or truncating.
 * 1 if @path is written where it is (then *@fd or -errno), 0 if it is to be
 * replaced.
 */
static int open_special(const char *path, int *fd)
{
	struct stat s;
	int kind = out_kind(path);

	if (kind == REPLACED)
		return 0;
	if (kind == OURS && !strcmp(path, "-")) {
		/* the descriptor itself, written from where it stands, as tar
		 * -f - does: a pipe cannot be opened again, a shell's >> must not
		 * be emptied */
		*fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (*fd < 0)
			*fd = -errno;
		return 1;
	}
	if (kind == OURS) {
		/* opened again, as cp or tee would: from the start, emptied */
		*fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
		if (*fd < 0)
			*fd = -errno;
		return 1;
	}
	/* O_NONBLOCK: a FIFO nobody reads fails with ENXIO instead of hanging
	 * the verb until someone does; writes block again once it is open */
	*fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK |
				 (kind == SPECIAL_LINK ? 0 : O_NOFOLLOW));
	if (*fd < 0) {
		*fd = -errno;
		return 1;
	}
	if (fstat(*fd, &s) || S_ISREG(s.st_mode)) {
		/* a regular file got there in between: never written in place */
		close(*fd);
		*fd = -EAGAIN;
		return 1;
	}
	if (fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK)) {
		close(*fd);
		*fd = -errno;
	}
	return 1;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* -EINVAL with a message if @path (or what it links to) is one of @inputs. */
static int check_inputs(const char *path, const struct tape_out_opts *o, char *err, size_t errlen)
{
	bool out_std = !strcmp(path, "-");
	struct stat l, s, in;
	bool hl = out_std ? !fstat(STDOUT_FILENO, &l) : !lstat(path, &l);
	bool hs = out_std ? false : !stat(path, &s);

	for (size_t i = 0; o && i < o->ninputs; i++) {
		bool in_std = o->inputs[i] && !strcmp(o->inputs[i], "-");

		if (!o->inputs[i] || (in_std ? fstat(STDIN_FILENO, &in) : stat(o->inputs[i], &in)))
			continue;
		/* a pipe between two verbs is one file too, and no input */
		if (!S_ISREG(in.st_mode))
			continue;
		if ((hl && same_file(&l, &in)) || (hs && same_file(&s, &in))) {
			tape__errfmt(err, errlen, "%s is the input %s; write the output elsewhere",
				     out_std ? "standard output" : path,
				     in_std ? "(standard input)" : o->inputs[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* -ENOTTY with a message if a binary output would go to a terminal (@fd,
 * or standard output for "-" when @fd < 0). */
static int check_tty(const char *path, int fd, unsigned flags, char *err, size_t errlen)
{
	if (!(flags & TAPE_OUT_BINARY))
		return 0;
	if (fd < 0 && strcmp(path, "-"))
		return 0;
	if (!isatty(fd < 0 ? STDOUT_FILENO : fd))
		return 0;
	tape__errfmt(err, errlen, "%s is a terminal: a tape is binary; redirect it or name a file",
		     strcmp(path, "-") ? path : "standard output");
	return -ENOTTY;
}

/* What refuses to replace @path: a directory, an existing file under
 * TAPE_OUT_NOREPLACE, a file another output holds.  0 or -errno. */
static int check_replace(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct stat st;
	int ret, old;

	if (!lstat(path, &st) && S_ISDIR(st.st_mode)) {
		tape__errfmt(err, errlen, "%s is a directory", path);
		return -EISDIR;
	}
	if ((flags & TAPE_OUT_NOREPLACE) && !lstat(path, &st)) {
		tape__errfmt(err, errlen, "%s exists", path);
		return -EEXIST;
	}
	ret = lock_old(path, &old, err, errlen);
	if (old >= 0)
		close(old);
	return ret;
}

int tape_out__check(const char *path, const struct tape_out_opts *opts, char *err, size_t errlen)
{
	int ret;

	tape__errfmt(err, errlen, "%s", "");
	if (!path || !*path || (opts && opts->sz < sizeof(size_t))) {
		tape__errfmt(err, errlen, "no output file given");
		return -EINVAL;
	}
	if ((ret = check_inputs(path, opts, err, errlen)))
		return ret;
	if ((ret = check_tty(path, -1, opts ? opts->flags : 0, err, errlen)))
		return ret;
	return out_kind(path) == REPLACED ? check_replace(path, opts ? opts->flags : 0, err, errlen)
					  : 0;
}

struct tape_out *tape_out__open(const char *path, const struct tape_out_opts *opts, char *err,
				size_t errlen)
{
	unsigned mode = opts && opts->mode ? opts->mode : 0600;
	struct tape_out *o = NULL;
	char *dir = NULL, *base = NULL;
	int ret;

	tape__errfmt(err, errlen, "%s", "");
	if (!path || !*path || (opts && opts->sz < sizeof(size_t))) {
		tape__errfmt(err, errlen, "no output file given");
		ret = -EINVAL;
		goto fail;
	}
	o = calloc(1, sizeof(*o));
	if (!o || !(o->path = strdup(path))) {
		ret = -ENOMEM;
		goto fail;
	}
	o->fd = -1;
	o->flags = opts ? opts->flags : 0;
	if ((ret = check_inputs(path, opts, err, errlen)))
		goto fail;
	if (open_special(path, &o->fd)) {
		if (o->fd < 0) {
			ret = o->fd;
			if (ret == -ENXIO)
				tape__errfmt(
					err, errlen,
					"%s: no process reads this FIFO; start its reader first",
					path);
			else
				tape__errfmt(err, errlen, "%s: %s",
					     !strcmp(path, "-") ? "standard output" : path,
					     strerror(-ret));
			goto fail;
		}
		o->in_place = true;
		if ((ret = check_tty(path, o->fd, o->flags, err, errlen)))
			goto fail;
		free(dir);
		free(base);
		return o;
	}
	/* refuse early what commit would refuse: nothing is written in vain */
	if ((ret = check_replace(path, o->flags, err, errlen)))
		goto fail;
	if ((ret = split(path, &dir, &base))) {
		tape__errfmt(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	/* an unnamed file is linked in through /proc/self/fd, or with
	 * AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH */
	if (!(o->flags & TAPE_OUT_NAMED) && (!access("/proc/self/fd", X_OK) || !geteuid())) {
		o->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		if (o->fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
			ret = -errno;
			tape__errfmt(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	}
	for (int tries = 0; o->fd < 0 && tries < 100; tries++) {
		if (!(o->tmp = random_name(dir, base))) {
			ret = -errno;
			goto fail;
		}
		o->fd = open(o->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (o->fd >= 0)
			break;
		ret = -errno;
		free(o->tmp);
		o->tmp = NULL;
		if (ret != -EEXIST) {
			tape__errfmt(err, errlen, "%s: %s", path, strerror(-ret));
			goto fail;
		}
	}
	if (o->fd < 0) {
		tape__errfmt(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	/* nobody else can see the file yet: this cannot fail for contention */
	flock(o->fd, LOCK_EX | LOCK_NB);
	free(dir);
	free(base);
	return o;
fail:
	free(dir);
	free(base);
	tape_out__free(o);
	errno = -ret;
	return NULL;
}

int tape_out__fd(const struct tape_out *o)
{
	return o ? o->fd : -1;
}

const char *tape_out__tmpname(const struct tape_out *o)
{
	return o && !o->committed ? o->tmp : NULL;
}

/* Give the unnamed file a random name beside its target. */
static int link_tmpfile(struct tape_out *o)
{
	char proc[64], *dir = NULL, *base = NULL;
	int ret = split(o->path, &dir, &base);

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
	for (int tries = 0; !ret && tries < 100; tries++) {
		if (!(o->tmp = random_name(dir, base))) {
			ret = -errno;
			break;
		}
		/* linkat() never replaces or follows its new path */
		if (!linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW) ||
		    !linkat(o->fd, "", AT_FDCWD, o->tmp, AT_EMPTY_PATH))
			break;
		ret = errno == EEXIST ? 0 : -errno;
		free(o->tmp);
		o->tmp = NULL;
	}
	if (!ret && !o->tmp)
		ret = -EEXIST;
	free(dir);
	free(base);
	return ret;
}

int tape_out__commit(struct tape_out *o, char *err, size_t errlen)
{
	int ret, old = -1;

	tape__errfmt(err, errlen, "%s", "");
	if (!o || o->committed)
		return -EINVAL;
	if (o->in_place) {
		o->committed = true;
		return 0;
	}
	/* the data reaches the disk before the name does: a crash after the
	 * rename must not leave an empty file under the name */
	if (fdatasync(o->fd) && errno != EINVAL && errno != EROFS) {
		ret = -errno;
		tape__errfmt(err, errlen, "writing %s: %s", o->path, strerror(-ret));
		return ret;
	}
	if (!o->tmp && (ret = link_tmpfile(o))) {
		tape__errfmt(err, errlen, "naming %s: %s", o->path, strerror(-ret));
		return ret;
	}
	if ((ret = lock_old(o->path, &old, err, errlen)))
		goto drop;
	ret = 0;
	if (!(o->flags & TAPE_OUT_NOREPLACE)) {
		if (rename(o->tmp, o->path))
			ret = -errno;
	} else if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE)) {
		ret = -errno;
		/* a file system without RENAME_NOREPLACE: link() does not
		 * replace either */
		if (ret == -EINVAL)
			ret = link(o->tmp, o->path) ? -errno : 0;
		if (!ret)
			unlink(o->tmp);
	}
	if (ret) {
		tape__errfmt(err, errlen, "%s: %s", o->path,
			     ret == -EEXIST ? "exists (created meanwhile)" : strerror(-ret));
		goto drop;
	}
	if (old >= 0)
		close(old);
	free(o->tmp);
	o->tmp = NULL;
	o->committed = true;
	return 0;
drop:
	if (old >= 0)
		close(old);
	return ret; /* the temporary name goes with tape_out__free() */
}

void tape_out__free(struct tape_out *o)
{
	if (!o)
		return;
	if (!o->committed && o->tmp)
		unlink(o->tmp);
	if (o->fd >= 0)
		close(o->fd);
	free(o->tmp);
	free(o->path);
	free(o);
}
