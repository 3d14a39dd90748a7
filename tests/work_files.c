// SPDX-License-Identifier: MIT
/*
 * Workload for test_record: file syscalls with known outcomes.  Usage:
 * work_files DIR [LOOPS].  Prints one line per call it made, the ground
 * truth the test compares the tape with:
 *   open SYSCALL DFD PATH FLAGS MODE RET
 *   close FD RET / unlink PATH RET / rename OLD NEW RET
 * RET is the syscall's return value or -errno.  With LOOPS > 0 it then
 * opens and closes DIR/loop LOOPS times without printing (volume for
 * rotation and size tests); with PAUSE_US too (work_files DIR LOOPS
 * PAUSE_US) it sleeps that long after every 100 of them, a steady stream
 * at a rate a woken reader keeps up with.
 *
 * work_files DIR names: the other calls that create or remove a name, each
 * as the raw syscall (libc may pick another one), printed as
 *   creat PATH MODE RET / rmdir PATH RET
 *   mkdir DFD PATH MODE RET / mknod DFD PATH MODE DEV RET
 *   link OLDDFD OLD NEWDFD NEW FLAGS RET / symlink TARGET NEWDFD LINKPATH RET
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

static int ret_of(long r)
{
	return r < 0 ? -errno : (int)r;
}

static int do_open(const char *path, int flags, int mode)
{
	int r = ret_of(open(path, flags, mode));

	/* glibc's open() is the openat syscall with AT_FDCWD */
	printf("open openat -100 %s %d %d %d\n", path, flags, mode, r);
	return r;
}

static void do_close(int fd)
{
	printf("close %d %d\n", fd, ret_of(close(fd)));
}

static int names(const char *dir)
{
	char p[4096], q[4096];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	if (dfd < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/c.txt", dir);
	printf("creat %s %d %d\n", p, 0604, ret_of(syscall(SYS_creat, p, 0604)));
	snprintf(q, sizeof(q), "%s/missing/c.txt", dir);
	printf("creat %s %d %d\n", q, 0604, ret_of(syscall(SYS_creat, q, 0604))); /* ENOENT */
	snprintf(p, sizeof(p), "%s/d1", dir);
	printf("mkdir -100 %s %d %d\n", p, 0750, ret_of(syscall(SYS_mkdir, p, 0750)));
	printf("mkdir -100 %s %d %d\n", p, 0750, ret_of(syscall(SYS_mkdir, p, 0750))); /* EEXIST */
	printf("mkdir %d d2 %d %d\n", dfd, 0700, ret_of(syscall(SYS_mkdirat, dfd, "d2", 0700)));
	snprintf(p, sizeof(p), "%s/fifo", dir);
	printf("mknod -100 %s %d %d %d\n", p, S_IFIFO | 0600, 0,
	       ret_of(syscall(SYS_mknod, p, S_IFIFO | 0600, 0)));
	printf("mknod %d fifo2 %d %d %d\n", dfd, S_IFIFO | 0640, 0,
	       ret_of(syscall(SYS_mknodat, dfd, "fifo2", S_IFIFO | 0640, 0)));
	snprintf(p, sizeof(p), "%s/c.txt", dir);
	snprintf(q, sizeof(q), "%s/hard", dir);
	printf("link -100 %s -100 %s 0 %d\n", p, q, ret_of(syscall(SYS_link, p, q)));
	printf("link %d c.txt %d hard2 %d %d\n", dfd, dfd, 0x400,
	       ret_of(syscall(SYS_linkat, dfd, "c.txt", dfd, "hard2", 0x400)));
	snprintf(q, sizeof(q), "%s/soft", dir);
	printf("symlink c.txt -100 %s %d\n", q, ret_of(syscall(SYS_symlink, "c.txt", q)));
	printf("symlink ../elsewhere %d soft2 %d\n", dfd,
	       ret_of(syscall(SYS_symlinkat, "../elsewhere", dfd, "soft2")));
	snprintf(p, sizeof(p), "%s/d1", dir);
	printf("rmdir %s %d\n", p, ret_of(syscall(SYS_rmdir, p)));
	printf("rmdir %s %d\n", p, ret_of(syscall(SYS_rmdir, p))); /* ENOENT */
	close(dfd);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	char a[4096], b[4096], dirpath[4096];
	long loops = argc > 2 ? atol(argv[2]) : 0;
	long pause_us = argc > 3 ? atol(argv[3]) : 0;
	int fd, dfd;

	if (argc < 2) {
		fprintf(stderr, "usage: work_files DIR [LOOPS]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "names"))
		return names(argv[1]);
	snprintf(a, sizeof(a), "%s/a.txt", argv[1]);
	snprintf(b, sizeof(b), "%s/b.txt", argv[1]);
	snprintf(dirpath, sizeof(dirpath), "%s", argv[1]);

	fd = do_open(a, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd >= 0)
		do_close(fd);
	snprintf(b, sizeof(b), "%s/missing/none.txt", argv[1]);
	do_open(b, O_RDONLY, 0);       /* ENOENT */
	do_open(dirpath, O_WRONLY, 0); /* EISDIR */
	fd = do_open(a, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0)
		do_close(fd);
	do_close(999); /* EBADF */

	/* openat relative to a directory fd, and openat2 */
	dfd = do_open(dirpath, O_RDONLY | O_DIRECTORY, 0);
	fd = ret_of(openat(dfd, "a.txt", O_RDWR | O_APPEND));
	printf("open openat %d a.txt %d %d %d\n", dfd, O_RDWR | O_APPEND, 0, fd);
	if (fd >= 0)
		do_close(fd);
	{
		struct open_how how = {.flags = O_RDONLY | O_NOFOLLOW, .mode = 0};

		fd = ret_of(syscall(SYS_openat2, dfd, "a.txt", &how, sizeof(how)));
		printf("open openat2 %d a.txt %d %d %d\n", dfd, O_RDONLY | O_NOFOLLOW, 0, fd);
		if (fd >= 0)
			do_close(fd);
	}
	if (dfd >= 0)
		do_close(dfd);

	snprintf(b, sizeof(b), "%s/b.txt", argv[1]);
	printf("rename %s %s %d\n", a, b, ret_of(rename(a, b)));
	printf("unlink %s %d\n", b, ret_of(unlink(b)));
	printf("unlink %s %d\n", b, ret_of(unlink(b))); /* ENOENT */
	fflush(stdout);

	snprintf(a, sizeof(a), "%s/loop", argv[1]);
	if (loops > 0) {
		fd = open(a, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0)
			close(fd);
	}
	for (long i = 0; i < loops; i++) {
		fd = open(a, O_RDONLY);
		if (fd >= 0)
			close(fd);
		if (pause_us > 0 && i % 100 == 99)
			usleep(pause_us);
	}
	return 0;
}
