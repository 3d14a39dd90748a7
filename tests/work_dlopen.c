// SPDX-License-Identifier: MIT
/*
 * Workload for tests/test_maps_root.c: dlopen() the shared object named by
 * argv[1] (built by the tests, so no process had it mapped before), call
 * into it, print where its function is (address, and the file offset its
 * program headers give), and exit at once, without dlclose().
 */
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

int main(int argc, char **argv)
{
	int (*add)(int);
	struct q q = {0};
	void *h;

	if (argc != 2) {
		fprintf(stderr, "usage: work_dlopen LIB.so\n");
		return 2;
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
