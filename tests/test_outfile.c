// SPDX-License-Identifier: MIT
/*
 * The output file rule (format/outfile.c): a path names the old file or the
 * complete new one, never a part; an output is never its own input; no
 * planted link or squatted name sends the bytes into another file; a file
 * another output is writing is not replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpftape/tape.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-out-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *in_dir(const char *name)
{
	static char p[4][256];
	static unsigned i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_holds(const char *path, const char *text)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
}

static size_t entries(void)
{
	char cmd[128];
	FILE *f;
	size_t n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	pclose(f);
	return n;
}

static void write_all(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Until commit the path names the old file; after it the new one;
 * uncommitted, nothing of the new one stays behind. */
static void test_commit(void **state)
{
	const char *out = in_dir("out");
	char err[256];
	struct tape_out *o;

	(void)state;
	put(out, "old");
	o = tape_out__open(out, NULL, err, sizeof(err));
	assert_non_null(o);
	write_all(tape_out__fd(o), "new");
	assert_holds(out, "old");
	tape_out__free(o);
	assert_holds(out, "old");
	assert_int_equal(entries(), 1);

	o = tape_out__open(out, NULL, err, sizeof(err));
	assert_non_null(o);
	write_all(tape_out__fd(o), "new");
	assert_int_equal(tape_out__commit(o, err, sizeof(err)), 0);
	tape_out__free(o);
	assert_holds(out, "new");
	assert_int_equal(entries(), 1);

	/* a named temporary (for SQLite) is as invisible and as removed */
	struct tape_out_opts named = {.sz = sizeof(named), .flags = TAPE_OUT_NAMED};

	o = tape_out__open(out, &named, err, sizeof(err));
	assert_non_null(o);
	assert_non_null(tape_out__tmpname(o));
	assert_holds(tape_out__tmpname(o), "");
	tape_out__free(o);
	assert_int_equal(entries(), 1);
	assert_holds(out, "new");

	/* NOREPLACE keeps what is there */
	struct tape_out_opts keep = {.sz = sizeof(keep), .flags = TAPE_OUT_NOREPLACE};

	assert_null(tape_out__open(out, &keep, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	unlink(out);
}

/* An output that is one of the inputs, however spelled or linked, is
 * refused before anything is written. */
static void test_input(void **state)
{
	const char *in = in_dir("in.tape");
	char other[300], err[256];
	const char *inputs[1];
	struct tape_out_opts o = {.sz = sizeof(o), .inputs = inputs, .ninputs = 1};

	(void)state;
	put(in, "input");
	inputs[0] = in;
	/* the same file by another spelling */
	snprintf(other, sizeof(other), "%s/./in.tape", dir);
	assert_null(tape_out__open(other, &o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "is the input"));
	/* by a hard link */
	snprintf(other, sizeof(other), "%s/hard", dir);
	assert_int_equal(link(in, other), 0);
	assert_null(tape_out__open(other, &o, err, sizeof(err)));
	/* by a symbolic link */
	snprintf(other, sizeof(other), "%s/soft", dir);
	assert_int_equal(symlink(in, other), 0);
	assert_null(tape_out__open(other, &o, err, sizeof(err)));
	assert_holds(in, "input");
	unlink(in_dir("hard"));
	unlink(in_dir("soft"));
	unlink(in);
}

/*
 * A link planted at the output, and every name the writer could pick for
 * its temporary file squatted by links to the victim: the victim stays as
 * it was, the link is replaced by the new file.
 */
static void test_planted_links(void **state)
{
	const char *victim = in_dir("victim");
	const char *out = in_dir("out.tape");
	char squat[300];
	struct tape_writer *w;

	(void)state;
	put(victim, "precious");
	assert_int_equal(symlink(victim, out), 0);
	for (unsigned i = 0; i < 8; i++) {
		snprintf(squat, sizeof(squat), "%s.%d-%u.tmp", out, (int)getpid(), i);
		assert_int_equal(symlink(victim, squat), 0);
	}
	w = tape_writer__open(out, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	assert_holds(victim, "precious");
	struct stat st;

	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* the same with a live tape, named at open */
	unlink(out);
	assert_int_equal(symlink(victim, out), 0);
	struct tape_writer_opts live = {.sz = sizeof(live), .flags = TAPE_WRITER_LIVE};

	w = tape_writer__open(out, &live);
	assert_non_null(w);
	tape_writer__free(w);
	assert_holds(victim, "precious");
	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a link to a device that someone else owns is not written through */
	if (geteuid() == 0) {
		unlink(out);
		assert_int_equal(symlink("/dev/null", out), 0);
		assert_int_equal(lchown(out, 65534, 65534), 0);
		w = tape_writer__open(out, NULL);
		assert_non_null(w);
		assert_int_equal(tape_writer__finish(w), 0);
		tape_writer__free(w);
		assert_int_equal(lstat(out, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		/* nor is another user's FIFO, which would hand them the bytes */
		unlink(out);
		assert_int_equal(mkfifo(out, 0666), 0);
		assert_int_equal(chown(out, 65534, 65534), 0);
		w = tape_writer__open(out, NULL);
		assert_non_null(w);
		assert_int_equal(tape_writer__finish(w), 0);
		tape_writer__free(w);
		assert_int_equal(lstat(out, &st), 0);
		assert_true(S_ISREG(st.st_mode));
	}
	/* nothing but the victim, the output and the squatters is left */
	assert_int_equal(entries(), 10);
}

/* A second writer of the same path fails while the first writes, naming
 * it, and the first one's tape stays under the path. */
static void test_two_writers(void **state)
{
	const char *out = in_dir("rec.tape");
	struct tape_writer_opts live = {.sz = sizeof(live), .flags = TAPE_WRITER_LIVE};
	struct tape_writer *a, *b;
	struct stat sa, sb;
	char err[256], pid[32];
	struct tape_out *o;

	(void)state;
	a = tape_writer__open(out, &live);
	assert_non_null(a);
	assert_int_equal(stat(out, &sa), 0);
	b = tape_writer__open(out, &live);
	assert_null(b);
	assert_int_equal(errno, EBUSY);
	o = tape_out__open(out, NULL, err, sizeof(err));
	assert_null(o);
	snprintf(pid, sizeof(pid), "process %d", (int)getpid());
	assert_non_null(strstr(err, pid));
	/* a filter's tape, named at finish, does not replace it either */
	b = tape_writer__open(out, NULL);
	assert_null(b);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sa.st_ino, sb.st_ino);
	assert_int_equal(tape_writer__finish(a), 0);
	tape_writer__free(a);
	/* once the first one is done, its file may be replaced */
	b = tape_writer__open(out, &live);
	assert_non_null(b);
	tape_writer__free(b);
	unlink(out);
}

/*
 * tape_out__check() answers what tape_out__open() would, with its message,
 * and leaves nothing behind: a program asks before work the open would
 * waste (a recorder before loading BPF).
 */
static void test_check(void **state)
{
	const char *out = in_dir("checked.tape"), *in = in_dir("checked-in.tape");
	struct tape_writer_opts live = {.sz = sizeof(live), .flags = TAPE_WRITER_LIVE};
	struct tape_out_opts noreplace = {.sz = sizeof(noreplace), .flags = TAPE_OUT_NOREPLACE};
	const char *inputs[] = {in};
	struct tape_out_opts from = {.sz = sizeof(from), .inputs = inputs, .ninputs = 1};
	char err[256], pid[32];
	struct tape_writer *a;
	size_t before = entries();

	(void)state;
	/* nothing there, or a file nobody holds: it would be written */
	assert_int_equal(tape_out__check(out, NULL, err, sizeof(err)), 0);
	assert_int_equal(entries(), before);
	put(out, "old");
	assert_int_equal(tape_out__check(out, NULL, err, sizeof(err)), 0);
	assert_int_equal(tape_out__check(out, &noreplace, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists"));
	unlink(out);
	/* held by a live writer: refused, naming the holder, as open would */
	a = tape_writer__open(out, &live);
	assert_non_null(a);
	assert_int_equal(tape_out__check(out, NULL, err, sizeof(err)), -EBUSY);
	snprintf(pid, sizeof(pid), "being written by process %d", (int)getpid());
	assert_non_null(strstr(err, pid));
	/* the check took no lock: the writer goes on and finishes */
	assert_int_equal(tape_writer__finish(a), 0);
	tape_writer__free(a);
	assert_int_equal(tape_out__check(out, NULL, err, sizeof(err)), 0);
	unlink(out);
	/* its own input, a directory */
	put(in, "input");
	assert_int_equal(tape_out__check(in, &from, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is the input"));
	unlink(in);
	assert_int_equal(tape_out__check(dir, NULL, err, sizeof(err)), -EISDIR);
	/* a descriptor of ours is written where it is, existing or not */
	assert_int_equal(tape_out__check("/dev/stdout", &noreplace, err, sizeof(err)), 0);
	assert_int_equal(entries(), before);
}

/* /dev/stdout and /proc/self/fd/N are the descriptors this process has,
 * written into (opened again, emptied) even when a shell's > made them a
 * regular file: nothing is created in /dev, no link there replaced. */
static void test_descriptor(void **state)
{
	const char *file = in_dir("redirected");
	char err[256], path[64];
	struct tape_out *o;
	struct stat st;
	int fd, saved;

	(void)state;
	put(file, "");
	fd = open(file, O_WRONLY);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	o = tape_out__open("/dev/stdout", NULL, err, sizeof(err));
	assert_non_null(o);
	write_all(tape_out__fd(o), "via stdout;");
	assert_int_equal(tape_out__commit(o, err, sizeof(err)), 0);
	tape_out__free(o);
	dup2(saved, 1);
	close(saved);
	assert_holds(file, "via stdout;");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o = tape_out__open(path, NULL, err, sizeof(err));
	assert_non_null(o);
	write_all(tape_out__fd(o), "via fd");
	assert_int_equal(tape_out__commit(o, err, sizeof(err)), 0);
	tape_out__free(o);
	close(fd);
	assert_holds(file, "via fd");
	assert_int_equal(lstat("/dev/stdout", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),	      cmocka_unit_test(test_input),
		cmocka_unit_test(test_planted_links), cmocka_unit_test(test_two_writers),
		cmocka_unit_test(test_descriptor),    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
