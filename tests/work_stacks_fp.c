// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_stacks_walk.c: frame-pointer chains that leave
 * the stack.  `work_stacks_fp DIR` opens DIR/heap1 with %rbp pointing at a
 * frame record in the heap {next: an unmapped address, return: 0x1234},
 * then DIR/heap2 with one whose next record lies lower in the heap {next:
 * 0, return: 0x5678}: a walk must read both records (mapped, though not
 * above the stack pointer) and stop at the unmapped one and at 0, as the
 * kernel's own walk does.  The open is the syscall instruction itself.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
/* openat with %rbp = @fp for the syscall only (saved in %r12, not on the
 * stack: a push would clobber the red zone) */
static long open_with_fp(const char *path, const uint64_t *fp)
{
	long ret;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile("mov %%rbp, %%r12\n\t"
			 "mov %[fp], %%rbp\n\t"
			 "syscall\n\t"
			 "mov %%r12, %%rbp"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10), [fp] "r"(fp)
			 : "rcx", "r11", "r12", "memory");
	return ret;
}
#endif

int main(int argc, char **argv)
{
#if defined(__x86_64__)
	uint64_t *heap = calloc(64, sizeof(*heap));
	char path[PATH_MAX];
	long fd;

	if (argc != 2 || !heap)
		return 2;
	/* heap1: one record, then an address nothing maps (page 1) */
	heap[32] = 0x1000;
	heap[33] = 0x1234;
	snprintf(path, sizeof(path), "%s/heap1", argv[1]);
	fd = open_with_fp(path, &heap[32]);
	if (fd >= 0)
		close((int)fd);
	/* heap2: a record whose next lies below it, then 0 */
	heap[40] = (uint64_t)(uintptr_t)&heap[8];
	heap[41] = 0x1234;
	heap[8] = 0;
	heap[9] = 0x5678;
	snprintf(path, sizeof(path), "%s/heap2", argv[1]);
	fd = open_with_fp(path, &heap[40]);
	if (fd >= 0)
		close((int)fd);
	free(heap);
	return 0;
#else
	(void)argc;
	(void)argv;
	printf("work_stacks_fp: x86-64 only\n");
	return 77;
#endif
}
