// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_stacks.c: known call chains, built with frame
 * pointers.  `work_stacks N PATH [LINGER]` opens PATH N times from
 * stk_level5(), called through stk_level1() .. stk_level4(); the open is
 * the raw syscall, made by stk_level5() itself, so no frameless libc
 * wrapper stands between the kernel and these functions.  It prints the
 * file offsets of the five functions' entry points (from dladdr and its
 * own load address) for the test to compare with the recorded frames,
 * then stays LINGER seconds (default 0), so that its mappings can be read
 * while it lives.  With WORK_STACKS_UNLINK set it deletes its own binary
 * before the opens; WORK_STACKS_RECURSE=K puts K frames of stk_recurse()
 * under stk_level1(); WORK_STACKS_VARY=K puts i % K of them under the
 * i-th open's (K stacks, taken in turn).
 */

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int sink;

/* The syscall instruction itself, here: libc's syscall() has no frame
 * pointer, and a walk from inside it skips its caller. */
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

NOINLINE void stk_level5(const char *path)
{
	long fd = raw_openat(path);

	if (fd >= 0)
		syscall(SYS_close, fd);
	sink++; /* not a tail call: the frame stays */
}

NOINLINE void stk_level4(const char *path)
{
	stk_level5(path);
	sink++;
}

NOINLINE void stk_level3(const char *path)
{
	stk_level4(path);
	sink++;
}

NOINLINE void stk_level2(const char *path)
{
	stk_level3(path);
	sink++;
}

NOINLINE void stk_level1(const char *path)
{
	stk_level2(path);
	sink++;
}

/* @n frames of its own under stk_level1: a stack deeper than the limit. */
NOINLINE void stk_recurse(long n, const char *path)
{
	if (n > 0)
		stk_recurse(n - 1, path);
	else
		stk_level1(path);
	sink++;
}

/* The file offset of @fn in this executable, through its program headers. */
static long file_offset(void *fn)
{
	Dl_info info;
	struct link_map *lm;
	const ElfW(Phdr) * ph;
	ElfW(Addr) vaddr;

	if (!dladdr1(fn, &info, (void **)&lm, RTLD_DL_LINKMAP))
		return -1;
	vaddr = (ElfW(Addr))fn - lm->l_addr;
	ph = (const ElfW(Phdr) *)((const char *)info.dli_fbase +
				  ((const ElfW(Ehdr) *)info.dli_fbase)->e_phoff);
	for (int i = 0; i < ((const ElfW(Ehdr) *)info.dli_fbase)->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
		    vaddr < ph[i].p_vaddr + ph[i].p_memsz)
			return (long)(vaddr - ph[i].p_vaddr + ph[i].p_offset);
	return -1;
}

int main(int argc, char **argv)
{
	void *fns[] = {stk_level1, stk_level2, stk_level3, stk_level4, stk_level5};
	long n, deep = getenv("WORK_STACKS_RECURSE") ? atol(getenv("WORK_STACKS_RECURSE")) : 0;
	long vary = getenv("WORK_STACKS_VARY") ? atol(getenv("WORK_STACKS_VARY")) : 0;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: work_stacks N PATH [LINGER]\n");
		return 2;
	}
	for (int i = 0; i < 5; i++)
		printf("stk_level%d 0x%lx\n", i + 1, file_offset(fns[i]));
	fflush(stdout);
	n = atol(argv[1]);
	/* a binary deleted while it runs: its symbols are only in the
	 * mapping (/proc/PID/map_files) from now on */
	if (getenv("WORK_STACKS_UNLINK")) {
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (len <= 0 || (self[len] = 0, unlink(self))) {
			perror("work_stacks: unlink");
			return 1;
		}
	}
	for (long i = 0; i < n; i++)
		if (vary)
			stk_recurse(i % vary, argv[2]);
		else if (deep)
			stk_recurse(deep, argv[2]);
		else
			stk_level1(argv[2]);
	if (argc == 4)
		sleep(atoi(argv[3]));
	return 0;
}
