// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_stacks_jit.c: a call through JIT'd code.
 * `work_stacks_jit N PATH map|nomap` writes a trampoline into an anonymous
 * executable mapping (push rbp; mov rbp,rsp; call through a register; pop
 * rbp; ret: a frame-pointer walk passes through it), names it in
 * /tmp/perf-PID.map (map; nomap removes any such file), prints its pid and
 * then opens PATH N times from jit_callee(), called by the trampoline,
 * called by jit_outer() (frame pointers, the syscall instruction in
 * jit_callee itself).  Exit 77 where that cannot be done.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;

#if defined(__x86_64__)
static inline long raw_openat(const char *path)
{
	long ret;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

NOINLINE void jit_callee(const char *path)
{
	long fd = raw_openat(path);

	if (fd >= 0)
		close((int)fd);
	sink++;
}

typedef void (*tramp_fn)(void (*fn)(const char *), const char *arg);

NOINLINE void jit_outer(tramp_fn t, const char *path)
{
	t(jit_callee, path);
	sink++;
}

/* Where the trampoline sits in its mapping: not at the start, so that an
 * address is looked up, not a mapping's base. */
#define TRAMP_AT 0x40

int main(int argc, char **argv)
{
	static const unsigned char code[] = {
		0x55,		  /* push %rbp */
		0x48, 0x89, 0xe5, /* mov %rsp,%rbp */
		0x48, 0x89, 0xf8, /* mov %rdi,%rax */
		0x48, 0x89, 0xf7, /* mov %rsi,%rdi */
		0xff, 0xd0,	  /* call *%rax */
		0x5d,		  /* pop %rbp */
		0xc3,		  /* ret */
	};
	char map[64];
	unsigned char *mem;
	long n;

	if (argc != 4 || (strcmp(argv[3], "map") && strcmp(argv[3], "nomap"))) {
		fprintf(stderr, "usage: work_stacks_jit N PATH map|nomap\n");
		return 2;
	}
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memcpy(mem + TRAMP_AT, code, sizeof(code));
	if (mprotect(mem, 4096, PROT_READ | PROT_EXEC)) {
		perror("work_stacks_jit: an executable anonymous mapping");
		return 77;
	}
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	unlink(map);
	if (!strcmp(argv[3], "map")) {
		FILE *f = fopen(map, "w");

		if (!f)
			return 1;
		/* perf's format; an unrelated line first, out of order */
		fprintf(f, "%lx 20 jit_other\n", (unsigned long)(mem + 0x100));
		fprintf(f, "%lx %zx jit_tramp\n", (unsigned long)(mem + TRAMP_AT), sizeof(code));
		if (fclose(f))
			return 1;
	}
	printf("%d\n", (int)getpid());
	fflush(stdout);
	n = atol(argv[1]);
	for (long i = 0; i < n; i++)
		jit_outer((tramp_fn)(void *)(mem + TRAMP_AT), argv[2]);
	return 0;
}
#else
int main(void)
{
	fprintf(stderr, "work_stacks_jit: the trampoline is x86-64 code\n");
	return 77;
}
#endif
