// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_maps_root.c: dlopen() the shared object named by
 * argv[1] (built by the tests, so no process had it mapped before), call
 * into it, print where its function is (address, and the file offset its
 * program headers give), and exit at once, without dlclose().
 *
 * With argv[2] "fork": a child does that instead, and dlclose()s the object
 * before it exits; it prints its pid, the function's address and offset,
 * then its own main()'s address and offset (mapped by the parent's exec,
 * inherited by the fork).
 */
#include <sys/wait.h>
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct q {
	uintptr_t addr;
	uint64_t offset;
	int found;
};

static int find(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct q *q = ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && q->addr >= lo && q->addr < lo + ph->p_memsz) {
			q->offset = q->addr - lo + ph->p_offset;
			q->found = 1;
			return 1;
		}
	}
	return 0;
}

static int where(uintptr_t addr, uint64_t *offset)
{
	struct q q = {.addr = addr};

	dl_iterate_phdr(find, &q);
	*offset = q.offset;
	return q.found;
}

int main(int argc, char **argv);

static int child(const char *lib)
{
	int (*add)(int);
	uint64_t off, main_off;
	void *h = dlopen(lib, RTLD_NOW);

	if (!h)
		return 1;
	add = (int (*)(int))dlsym(h, "work_dso_add");
	if (!add || add(41) != 42 || !where((uintptr_t)add, &off) ||
	    !where((uintptr_t)main, &main_off))
		return 1;
	printf("%d 0x%llx 0x%llx 0x%llx 0x%llx\n", (int)getpid(),
	       (unsigned long long)(uintptr_t)add, (unsigned long long)off,
	       (unsigned long long)(uintptr_t)main, (unsigned long long)main_off);
	fflush(stdout);
	if (dlclose(h))
		return 1;
	_exit(0);
}

int main(int argc, char **argv)
{
	int (*add)(int);
	struct q q = {0};
	void *h;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: work_dlopen LIB.so [fork]\n");
		return 2;
	}
	if (argc == 3) {
		pid_t pid = fork();
		int status;

		if (pid == 0)
			_exit(child(argv[1]));
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return 1;
		return WEXITSTATUS(status);
	}
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "work_dlopen: %s\n", dlerror());
		return 1;
	}
	add = (int (*)(int))dlsym(h, "work_dso_add");
	if (!add || add(41) != 42)
		return 1;
	q.addr = (uintptr_t)add;
	dl_iterate_phdr(find, &q);
	if (!q.found)
		return 1;
	printf("%d 0x%llx 0x%llx\n", (int)getpid(), (unsigned long long)q.addr,
	       (unsigned long long)q.offset);
	fflush(stdout);
	_exit(0);
}
