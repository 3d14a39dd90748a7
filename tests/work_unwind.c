// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_stacks_unwind.c: a call chain of its own, built
 * with frame pointers, whose innermost function opens a file through
 * libc's open(), the wrapper: Debian's libc has no frame pointers and its
 * open() keeps the path in %rbp, so a frame-pointer walk from the syscall
 * loses every caller, and only unwinding the wrapper by its CFI finds
 * them.  `work_unwind N PATH [LINGER [syscall]]` opens PATH N times from
 * unw_level4(), called through unw_level1() .. unw_level3(), then stays
 * LINGER seconds (default 1), so that its mappings can be read while it
 * lives.  With "syscall", the open goes through libc's syscall() instead,
 * which leaves %rbp alone: a frame-pointer walk from there loses only
 * unw_level4, and the rest of its chain is sound.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;
static int via_syscall;

NOINLINE void unw_level4(const char *path)
{
	int fd = via_syscall ? (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY)
			     : open(path, O_RDONLY);

	if (fd >= 0)
		close(fd);
	sink++; /* not a tail call: the frame stays */
}

NOINLINE void unw_level3(const char *path)
{
	unw_level4(path);
	sink++;
}

NOINLINE void unw_level2(const char *path)
{
	unw_level3(path);
	sink++;
}

NOINLINE void unw_level1(const char *path)
{
	unw_level2(path);
	sink++;
}

int main(int argc, char **argv)
{
	long n;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: work_unwind N PATH [LINGER [syscall]]\n");
		return 2;
	}
	via_syscall = argc == 5 && !strcmp(argv[4], "syscall");
	n = atol(argv[1]);
	for (long i = 0; i < n; i++)
		unw_level1(argv[2]);
	sleep(argc >= 4 ? atoi(argv[3]) : 1);
	return 0;
}
