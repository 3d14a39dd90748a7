// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_stacks_mig.c: processes that exec on one CPU
 * and make their event on another.  `work_stacks_mig N PATH` forks N
 * children one after the other; each pins itself to CPU 1 and execs this
 * binary again, so the exec and the loader's mmaps happen on CPU 1 (their
 * mapping records go to CPU 1's ring), then pins itself to CPU 0, opens
 * PATH from mig_level2() (called by mig_level1(), frame pointers, the
 * syscall instruction in mig_level2 itself) and exits at once.  The
 * recorder reads CPU 0's ring before CPU 1's, so the stack comes before
 * the mappings it lies in.  Exit 77 when CPU 1 cannot be used.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static inline long raw_openat(const char *path)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
#endif
}

NOINLINE void mig_level2(const char *path)
{
	long fd = raw_openat(path);

	if (fd >= 0)
		close((int)fd);
	sink++;
}

NOINLINE void mig_level1(const char *path)
{
	mig_level2(path);
	sink++;
}

int main(int argc, char **argv)
{
	long n;

	if (argc == 3 && !strcmp(argv[1], "--child")) {
		if (pin(0))
			return 3;
		mig_level1(argv[2]);
		_exit(0);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: work_stacks_mig N PATH\n");
		return 2;
	}
	if (pin(1) || pin(0)) {
		fprintf(stderr, "work_stacks_mig: CPUs 0 and 1 are not both usable\n");
		return 77;
	}
	n = atol(argv[1]);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			return 1;
		if (!pid) {
			char *args[] = {argv[0], "--child", argv[2], NULL};

			if (pin(1))
				_exit(3);
			execv("/proc/self/exe", args);
			_exit(126);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	return 0;
}
