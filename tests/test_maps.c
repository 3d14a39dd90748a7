// SPDX-License-Identifier: MIT
/*
 * Executable mappings per process (record/maps.c) and the tape's mapping
 * block (type 9, format/mapping.c).  No root, no BPF: the test process's
 * own /proc/self/maps, crafted sequences of mmap/munmap/fork/exec/exit, a
 * fake /proc, the limits, and a round trip through a tape in memory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

/* The recorder's objects are not linked into unit tests (they need libbpf);
 * maps.c needs only libc, so build it in. */
#include "../record/maps.c"
#include "private/block.h"

/* ---- helpers ---- */

/* A /proc with nothing in it: unknown pids resolve to nothing. */
static char empty_proc[] = "/tmp/bpftape-test-maps-XXXXXX";

static struct maps *new_maps(const struct maps_limits *lim)
{
	struct maps *m = maps__new_limits(lim);

	assert_non_null(m);
	maps__set_proc_root(m, empty_proc);
	return m;
}

static void expect(struct maps *m, int pid, uint64_t addr, const char *path, uint64_t offset)
{
	struct maps_hit h;

	if (maps__resolve(m, pid, addr, &h))
		fail_msg("pid %d 0x%llx: not resolved, expected %s+0x%llx", pid,
			 (unsigned long long)addr, path, (unsigned long long)offset);
	assert_string_equal(h.path, path);
	if (h.offset != offset)
		fail_msg("pid %d 0x%llx: offset 0x%llx, expected 0x%llx", pid,
			 (unsigned long long)addr, (unsigned long long)h.offset,
			 (unsigned long long)offset);
}

static void expect_none(struct maps *m, int pid, uint64_t addr)
{
	struct maps_hit h;

	if (!maps__resolve(m, pid, addr, &h))
		fail_msg("pid %d 0x%llx: resolved to %s+0x%llx, expected nothing", pid,
			 (unsigned long long)addr, h.path, (unsigned long long)h.offset);
}

/* The ELF file offset of @addr, from the loaded object's program headers. */
struct phdr_q {
	uintptr_t addr;
	const char *name;
	uint64_t offset;
	bool found;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct phdr_q *q = ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || q->addr < lo || q->addr >= lo + ph->p_memsz)
			continue;
		q->offset = q->addr - lo + ph->p_offset;
		q->name = info->dlpi_name;
		q->found = true;
		return 1;
	}
	return 0;
}

static void check_self(struct maps *m, const void *fn)
{
	struct phdr_q q = {.addr = (uintptr_t)fn};
	char want[PATH_MAX];
	struct maps_hit h;
	Dl_info di;

	assert_true(dladdr(fn, &di));
	assert_int_equal(dl_iterate_phdr(phdr_cb, &q), 1);
	assert_non_null(realpath(di.dli_fname[0] ? di.dli_fname : "/proc/self/exe", want));
	assert_int_equal(maps__resolve(m, getpid(), (uintptr_t)fn, &h), 0);
	assert_string_equal(h.path, want);
	assert_int_equal(h.offset, q.offset);
	assert_true(h.binary >= 1);
	assert_true(h.ino != 0);
}

/* ---- /proc/self/maps ---- */

static void test_snapshot_self(void **state)
{
	struct maps *m = maps__new();
	void *libc_fn = dlsym(RTLD_DEFAULT, "getpid");
	struct maps_stats st;
	struct maps_hit a, b;

	(void)state;
	assert_non_null(m);
	assert_int_equal(maps__snapshot(m, getpid()), 1);
	/* our own code, and libc's */
	check_self(m, (const void *)test_snapshot_self);
	assert_non_null(libc_fn);
	check_self(m, libc_fn);
	/* two binaries, two ids, in the order /proc lists them (exe first) */
	assert_int_equal(maps__resolve(m, getpid(), (uintptr_t)test_snapshot_self, &a), 0);
	assert_int_equal(maps__resolve(m, getpid(), (uintptr_t)libc_fn, &b), 0);
	assert_int_not_equal(a.binary, b.binary);
	assert_true(a.binary < b.binary);
	/* data is not executable: the stack is not a mapping here */
	expect_none(m, getpid(), (uintptr_t)&st);
	maps__stats(m, &st);
	assert_int_equal(st.procs, 1);
	assert_true(st.binaries >= 2);
	maps__free(m);
}

static void test_snapshot_all(void **state)
{
	struct maps *m = maps__new();
	struct maps_stats st;

	(void)state;
	assert_non_null(m);
	assert_true(maps__snapshot_all(m) >= 1);
	check_self(m, (const void *)test_snapshot_all);
	maps__stats(m, &st);
	assert_true(st.procs >= 1);
	assert_int_equal(maps__snapshot(m, INT32_MAX), -ENOENT);
	maps__free(m);
}

/* A pid never seen is read from /proc once, when an address needs it. */
static void test_resolve_on_demand(void **state)
{
	struct maps *m = maps__new();

	(void)state;
	assert_non_null(m);
	check_self(m, (const void *)test_resolve_on_demand);
	maps__free(m);
}

/* ---- a fake /proc ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_fake_proc(void **state)
{
	char root[] = "/tmp/bpftape-test-proc-XXXXXX", dir[PATH_MAX], file[PATH_MAX + 16];
	char longline[5000];
	struct maps *m;
	struct maps_hit h;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/42", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/maps", dir);
	memset(longline, 'a', sizeof(longline) - 2);
	{
		static const char head[] = "7f0000500000-7f0000501000 r-xp 00000000 08:01 9 /";

		memcpy(longline, head, strlen(head));
	}
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = 0;
	{
		char text[8192];

		snprintf(text, sizeof(text),
			 "55d000000000-55d000001000 r--p 00000000 fd:01 1234   /usr/bin/app\n"
			 "55d000001000-55d000005000 r-xp 00001000 fd:01 1234   /usr/bin/app\n"
			 "7f0000000000-7f0000100000 r-xp 00028000 fd:01 777    "
			 "/tmp/my lib.so (deleted)\n"
			 "7f0000200000-7f0000201000 rwxp 00000000 00:00 0 \n"
			 "7f0000300000-7f0000302000 r-xp 00000000 00:00 0      [vdso]\n"
			 "%s"
			 "7f0000400000-7f0000401000 r-xp 00002000 fd:01 888    /usr/lib/last.so\n",
			 longline);
		write_file(file, text);
	}
	m = new_maps(NULL);
	maps__set_proc_root(m, root);
	assert_int_equal(maps__snapshot_all(m), 1);
	expect(m, 42, 0x55d000001000, "/usr/bin/app", 0x1000);
	expect(m, 42, 0x55d000004fff, "/usr/bin/app", 0x4fff);
	expect_none(m, 42, 0x55d000000000); /* not executable */
	/* a deleted file keeps its path, spaces and all */
	expect(m, 42, 0x7f0000000010, "/tmp/my lib.so", 0x28010);
	assert_int_equal(maps__resolve(m, 42, 0x7f0000000010, &h), 0);
	assert_int_equal(h.dev, makedev(0xfd, 1));
	assert_int_equal(h.ino, 777);
	expect_none(m, 42, 0x7f0000200000); /* anonymous */
	expect_none(m, 42, 0x7f0000300000); /* [vdso] */
	expect_none(m, 42, 0x7f0000500000); /* a line longer than the buffer */
	expect(m, 42, 0x7f0000400000, "/usr/lib/last.so", 0x2000);
	maps__free(m);
	unlink(file);
	rmdir(dir);
	rmdir(root);
}

/* ---- crafted sequences ---- */

struct log {
	struct tape_mapping rec[64];
	const char *path[64];
	int n;
};

static void log_fn(void *ctx, const struct tape_mapping *rec, const char *path)
{
	struct log *l = ctx;

	assert_true(l->n < 64);
	l->rec[l->n] = *rec;
	l->path[l->n++] = path;
}

static void test_mmap_munmap(void **state)
{
	struct maps *m = new_maps(NULL);
	struct log l = {0};

	(void)state;
	maps__set_observer(m, log_fn, &l);
	maps__mmap(m, 10, 0x1000, 0x5000, 0x0, "/bin/a", 100);
	maps__mmap(m, 10, 0x8000, 0x9000, 0x3000, "/lib/b.so", 101);
	expect(m, 10, 0x1000, "/bin/a", 0);
	expect(m, 10, 0x4fff, "/bin/a", 0x3fff);
	expect(m, 10, 0x8800, "/lib/b.so", 0x3800);
	expect_none(m, 10, 0x5000);
	expect_none(m, 10, 0x9000);
	/* a hole in the middle splits the mapping; the right part's offset moves */
	maps__munmap(m, 10, 0x2000, 0x3000, 102);
	expect(m, 10, 0x1fff, "/bin/a", 0x0fff);
	expect_none(m, 10, 0x2000);
	expect_none(m, 10, 0x2fff);
	expect(m, 10, 0x3000, "/bin/a", 0x2000);
	/* cutting both ends of two mappings at once */
	maps__munmap(m, 10, 0x4000, 0x8800, 103);
	expect(m, 10, 0x3fff, "/bin/a", 0x2fff);
	expect_none(m, 10, 0x4000);
	expect_none(m, 10, 0x8000);
	expect(m, 10, 0x8800, "/lib/b.so", 0x3800);
	/* a new mapping over an old one replaces it */
	maps__mmap(m, 10, 0x0, 0x10000, 0x10000, "/lib/c.so", 104);
	expect(m, 10, 0x3000, "/lib/c.so", 0x13000);
	expect(m, 10, 0x8800, "/lib/c.so", 0x18800);
	/* unmapping nothing is no change, and no record */
	maps__munmap(m, 10, 0x20000, 0x30000, 105);
	maps__munmap(m, 99, 0x0, 0x30000, 105);
	/* the observer saw every change, in order */
	assert_int_equal(l.n, 5);
	assert_int_equal(l.rec[0].kind, TAPE_MAPPING_MAP);
	assert_int_equal(l.rec[0].binary, 1);
	assert_string_equal(l.path[0], "/bin/a");
	assert_int_equal(l.rec[1].binary, 2);
	assert_int_equal(l.rec[1].offset, 0x3000);
	assert_int_equal(l.rec[2].kind, TAPE_MAPPING_UNMAP);
	assert_int_equal(l.rec[2].start, 0x2000);
	assert_int_equal(l.rec[2].end, 0x3000);
	assert_int_equal(l.rec[2].ts, 102);
	assert_int_equal(l.rec[4].binary, 3);
	assert_int_equal(l.rec[4].ts, 104);
	maps__free(m);
}

static void test_binary_ids(void **state)
{
	struct maps *m = new_maps(NULL);
	struct maps_hit h;

	(void)state;
	/* same file (dev, ino) under two paths: one id, the first path */
	maps__mmap2(m, 1, 0x1000, 0x2000, 0, 8, 50, "/usr/lib/x.so", 1);
	maps__mmap2(m, 2, 0x1000, 0x2000, 0, 8, 50, "/lib/x.so", 1);
	assert_int_equal(maps__resolve(m, 2, 0x1000, &h), 0);
	assert_int_equal(h.binary, 1);
	assert_string_equal(h.path, "/usr/lib/x.so");
	/* same path, another inode (replaced on disk): another binary */
	maps__mmap2(m, 3, 0x1000, 0x2000, 0, 8, 51, "/usr/lib/x.so", 1);
	assert_int_equal(maps__resolve(m, 3, 0x1000, &h), 0);
	assert_int_equal(h.binary, 2);
	/* without an inode, the path is the identity */
	maps__mmap(m, 4, 0x1000, 0x2000, 0, "/opt/y", 1);
	maps__mmap(m, 5, 0x1000, 0x2000, 0, "/opt/y", 1);
	assert_int_equal(maps__resolve(m, 5, 0x1000, &h), 0);
	assert_int_equal(h.binary, 3);
	assert_string_equal(maps__binary_path(m, 3), "/opt/y");
	assert_null(maps__binary_path(m, 4));
	maps__free(m);
}

static void test_fork_exec_exit(void **state)
{
	struct maps *m = new_maps(NULL);
	struct log l = {0};
	struct maps_stats st;

	(void)state;
	maps__set_observer(m, log_fn, &l);
	maps__mmap(m, 100, 0x1000, 0x2000, 0, "/bin/sh", 1);
	maps__mmap(m, 100, 0x7000, 0x8000, 0x1000, "/lib/libc.so", 1);
	/* a thread shares; nothing changes */
	maps__fork(m, 100, 100, 2);
	/* the child starts with a copy */
	maps__fork(m, 100, 101, 3);
	expect(m, 101, 0x1000, "/bin/sh", 0);
	expect(m, 101, 0x7000, "/lib/libc.so", 0x1000);
	/* ...that is its own: the parent's dlclose does not touch it */
	maps__munmap(m, 100, 0x7000, 0x8000, 4);
	expect(m, 101, 0x7000, "/lib/libc.so", 0x1000);
	expect_none(m, 100, 0x7000);
	/* exec empties the address space; the new image's mmaps follow */
	maps__exec(m, 101, 5);
	expect_none(m, 101, 0x1000);
	maps__mmap(m, 101, 0x1000, 0x3000, 0, "/bin/true", 5);
	expect(m, 101, 0x2000, "/bin/true", 0x1000);
	expect(m, 100, 0x1000, "/bin/sh", 0);
	/* exit: the frames of records still in the ring resolve until reaped */
	maps__exit(m, 101, 10);
	expect(m, 101, 0x2000, "/bin/true", 0x1000);
	assert_int_equal(maps__reap(m, 10), 0);
	expect(m, 101, 0x2000, "/bin/true", 0x1000);
	assert_int_equal(maps__reap(m, 11), 1);
	maps__stats(m, &st);
	assert_int_equal(st.procs, 1);
	assert_int_equal(st.mappings, 1);
	/* the pid comes back as another process: nothing of the old one */
	maps__exit(m, 100, 20);
	maps__mmap(m, 100, 0x9000, 0xa000, 0, "/bin/new", 21);
	expect_none(m, 100, 0x1000);
	expect(m, 100, 0x9000, "/bin/new", 0);
	assert_int_equal(maps__reap(m, 100), 0);
	/* the records: map, map, fork, unmap, exec, map, map (no thread fork) */
	assert_int_equal(l.n, 7);
	assert_int_equal(l.rec[2].kind, TAPE_MAPPING_FORK);
	assert_int_equal(l.rec[2].pid, 101);
	assert_int_equal(l.rec[2].ppid, 100);
	assert_int_equal(l.rec[4].kind, TAPE_MAPPING_EXEC);
	assert_int_equal(l.rec[4].pid, 101);
	maps__free(m);
}

/* Many processes in and out of the table: the probing stays consistent. */
static void test_many_procs(void **state)
{
	struct maps *m = new_maps(NULL);
	struct maps_stats st;

	(void)state;
	for (int pid = 1; pid <= 5000; pid++)
		maps__mmap(m, pid, 0x1000, 0x2000, pid, "/bin/x", pid);
	for (int pid = 1; pid <= 5000; pid += 2)
		maps__exit(m, pid, pid);
	assert_int_equal(maps__reap(m, 100000), 2500);
	for (int pid = 1; pid <= 5000; pid++) {
		if (pid % 2)
			expect_none(m, pid, 0x1000);
		else
			expect(m, pid, 0x1800, "/bin/x", pid + 0x800);
	}
	maps__stats(m, &st);
	assert_int_equal(st.procs, 2500 + 2500); /* the odd ones, asked again: known empty */
	assert_int_equal(st.mappings, 2500);
	maps__free(m);
}

static void test_limits(void **state)
{
	struct maps_limits lim = {.procs = 2, .mappings = 3, .binaries = 2};
	struct maps *m = new_maps(&lim);
	struct maps_stats st;

	(void)state;
	maps__mmap(m, 1, 0x1000, 0x2000, 0, "/a", 1);
	maps__mmap(m, 1, 0x3000, 0x4000, 0, "/b", 1);
	/* a third binary has no id: its range resolves to nothing, never to /a */
	maps__mmap(m, 1, 0x5000, 0x6000, 0, "/c", 1);
	expect_none(m, 1, 0x5000);
	maps__mmap(m, 2, 0x1000, 0x2000, 0, "/a", 1);
	/* a third process is not tracked */
	maps__mmap(m, 3, 0x1000, 0x2000, 0, "/a", 1);
	expect_none(m, 3, 0x1000);
	/* a fourth mapping is not kept */
	maps__mmap(m, 2, 0x7000, 0x8000, 0, "/b", 1);
	expect_none(m, 2, 0x7000);
	/* nor is a fork's copy beyond the limit */
	maps__exit(m, 2, 1);
	maps__reap(m, 2);
	maps__fork(m, 1, 2, 3);
	expect_none(m, 2, 0x1000);
	maps__stats(m, &st);
	assert_int_equal(st.binaries, 2);
	assert_int_equal(st.binaries_dropped, 1);
	assert_true(st.procs_dropped >= 1);
	assert_true(st.mappings_dropped >= 3);
	assert_true(st.mappings <= 3);
	assert_true(st.procs <= 2);
	maps__free(m);
}

/* ---- the mapping block, through a tape in memory ---- */

struct mem {
	uint8_t *data;
	size_t len, cap;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *mm = ctx;

	if (mm->len + len > mm->cap) {
		mm->cap = (mm->len + len) * 2;
		mm->data = realloc(mm->data, mm->cap);
		assert_non_null(mm->data);
	}
	memcpy(mm->data + mm->len, buf, len);
	mm->len += len;
	return 0;
}

struct wctx {
	struct tape_writer *w;
	int err;
};

static void to_writer(void *ctx, const struct tape_mapping *rec, const char *path)
{
	struct wctx *c = ctx;

	if (!c->err)
		c->err = tape_writer__add_mapping(c->w, rec, path);
}

static const struct tape_field ev_f[] = {{"x", TAPE_U32, 0, NULL}};

static void test_block_round_trip(void **state)
{
	struct mem mm = {0};
	struct tape_io io = {.write = mem_write, .ctx = &mm};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	const struct tape_type t = {0, "ev", "", "", 1, ev_f};
	struct maps *m = new_maps(NULL);
	struct wctx c = {.w = w};
	struct tape_reader *r;
	char err[256];
	uint32_t bin;
	uint64_t off;
	int type;

	(void)state;
	assert_non_null(w);
	type = tape_writer__add_type(w, &t);
	assert_true(type > 0);
	maps__set_observer(m, to_writer, &c);
	maps__mmap(m, 100, 0x1000, 0x5000, 0x2000, "/bin/sh", 1000);
	maps__mmap(m, 100, 0x7f0000000000, 0x7f0000100000, 0x28000, "/lib/libc.so.6", 1001);
	assert_int_equal(
		tape_writer__append(w, &(struct tape_event){.ts = 1002,
							    .type = type,
							    .pid = 100,
							    .tid = 100,
							    .comm = "sh",
							    .values = &(union tape_value){.u = 1}}),
		0);
	/* a chunk cut here: the block above goes before it */
	assert_int_equal(tape_writer__flush(w), 0);
	maps__fork(m, 100, 101, 2000);
	maps__munmap(m, 100, 0x7f0000000000, 0x7f0000100000, 2001);
	maps__exec(m, 101, 3000);
	maps__mmap(m, 101, 0x1000, 0x2000, 0, "/bin/true", 3000);
	maps__mmap(m, 101, 0x7f0000000000, 0x7f0000100000, 0x28000, "/lib/libc.so.6", 3001);
	assert_int_equal(c.err, 0);
	/* bad records are refused */
	assert_int_equal(tape_writer__add_mapping(w,
						  &(struct tape_mapping){.kind = TAPE_MAPPING_MAP,
									 .start = 2,
									 .end = 1,
									 .binary = 1},
						  "/x"),
			 -EINVAL);
	assert_int_equal(tape_writer__add_mapping(w,
						  &(struct tape_mapping){.kind = TAPE_MAPPING_MAP,
									 .start = 1,
									 .end = 2,
									 .binary = 9},
						  NULL),
			 -EINVAL);
	assert_int_equal(tape_writer__add_mapping(w, &(struct tape_mapping){.kind = 7}, NULL),
			 -EINVAL);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = tape_reader__open_mem(mm.data, mm.len, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__problem_count(r), 0);
	/* 2 maps, then fork, unmap, exec, 2 maps */
	assert_int_equal(tape_reader__mapping_count(r), 7);
	assert_int_equal(tape_reader__binary_count(r), 3);
	assert_string_equal(tape_reader__binary_by_id(r, 2)->path, "/lib/libc.so.6");
	assert_string_equal(tape_reader__binary_by_id(r, 3)->path, "/bin/true");
	assert_null(tape_reader__binary_by_id(r, 4));
	{
		const struct tape_mapping *x = tape_reader__mapping(r, 1);

		assert_int_equal(x->kind, TAPE_MAPPING_MAP);
		assert_int_equal(x->pid, 100);
		assert_int_equal(x->ts, 1001);
		assert_int_equal(x->start, 0x7f0000000000);
		assert_int_equal(x->end, 0x7f0000100000);
		assert_int_equal(x->offset, 0x28000);
		assert_int_equal(x->binary, 2);
		x = tape_reader__mapping(r, 2);
		assert_int_equal(x->kind, TAPE_MAPPING_FORK);
		assert_int_equal(x->ppid, 100);
		assert_int_equal(x->ts, 2000);
	}
	/* resolving at a time: before and after each change */
	assert_int_equal(tape_reader__resolve_addr(r, 100, 1001, 0x7f0000000010, &bin, &off), 0);
	assert_int_equal(bin, 2);
	assert_int_equal(off, 0x28010);
	assert_int_equal(tape_reader__resolve_addr(r, 100, 1000, 0x7f0000000010, &bin, &off),
			 -ENOENT);
	assert_int_equal(tape_reader__resolve_addr(r, 100, 2001, 0x7f0000000010, &bin, &off),
			 -ENOENT);
	assert_int_equal(tape_reader__resolve_addr(r, 100, 5000, 0x1010, &bin, &off), 0);
	assert_int_equal(off, 0x2010);
	/* the child, through its parent's mappings at the fork */
	assert_int_equal(tape_reader__resolve_addr(r, 101, 2500, 0x1010, &bin, &off), 0);
	assert_int_equal(bin, 1);
	assert_int_equal(tape_reader__resolve_addr(r, 101, 2500, 0x7f0000000010, &bin, &off), 0);
	assert_int_equal(bin, 2);
	/* ...and its own image after exec */
	assert_int_equal(tape_reader__resolve_addr(r, 101, 3000, 0x1010, &bin, &off), 0);
	assert_int_equal(bin, 3);
	assert_int_equal(off, 0x10);
	assert_int_equal(tape_reader__resolve_addr(r, 101, 3000, 0x7f0000000010, &bin, &off),
			 -ENOENT);
	assert_int_equal(tape_reader__resolve_addr(r, 101, 3001, 0x7f0000000010, &bin, &off), 0);
	assert_int_equal(bin, 2);
	assert_int_equal(tape_reader__resolve_addr(r, 555, 3001, 0x1010, &bin, &off), -ENOENT);
	/* the events are all there */
	{
		struct tape_cursor *cur = tape_cursor__new(&r, 1, NULL);
		const struct tape_event *ev;
		int n = 0;

		assert_non_null(cur);
		while (tape_cursor__next(cur, &ev) > 0)
			n++;
		assert_int_equal(n, 1);
		tape_cursor__free(cur);
	}
	tape_reader__free(r);
	maps__free(m);
	free(mm.data);
}

/*
 * Records written out of time order, as the recorder's consumer can meet
 * them across CPUs (a child's mmap before its fork), within one block and
 * across blocks: the reader resolves by time, not by file order.
 */
static void test_out_of_order(void **state)
{
	struct mem mm = {0};
	struct tape_io io = {.write = mem_write, .ctx = &mm};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	struct tape_reader *r;
	char err[256];
	uint32_t bin;
	uint64_t off;
	const struct tape_mapping recs[] = {
		{.kind = TAPE_MAPPING_MAP,
		 .pid = 100,
		 .ts = 1000,
		 .start = 0x1000,
		 .end = 0x5000,
		 .offset = 0x2000,
		 .binary = 1},
		/* the child's library before its fork, in file order */
		{.kind = TAPE_MAPPING_MAP,
		 .pid = 101,
		 .ts = 3000,
		 .start = 0x7f0000000000,
		 .end = 0x7f0000001000,
		 .offset = 0x1000,
		 .binary = 2},
		{.kind = TAPE_MAPPING_FORK, .pid = 101, .ts = 2000, .ppid = 100},
		/* the next block: an exec and its image at one time, then an
		 * unmap that happened before both */
		{.kind = TAPE_MAPPING_EXEC, .pid = 100, .ts = 6000},
		{.kind = TAPE_MAPPING_MAP,
		 .pid = 100,
		 .ts = 6000,
		 .start = 0x1000,
		 .end = 0x2000,
		 .binary = 3},
		{.kind = TAPE_MAPPING_UNMAP,
		 .pid = 101,
		 .ts = 4000,
		 .start = 0x7f0000000000,
		 .end = 0x7f0000001000},
	};
	const char *paths[] = {"/bin/sh", "/lib/libwork.so", NULL, NULL, "/bin/true", NULL};

	(void)state;
	assert_non_null(w);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(tape_writer__add_mapping(w, &recs[i], paths[i]), 0);
	assert_int_equal(tape_writer__flush(w), 0);
	for (size_t i = 3; i < 6; i++)
		assert_int_equal(tape_writer__add_mapping(w, &recs[i], paths[i]), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = tape_reader__open_mem(mm.data, mm.len, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__problem_count(r), 0);
	assert_int_equal(tape_reader__mapping_count(r), 6);
	for (size_t i = 1; i < 6; i++)
		assert_true(tape_reader__mapping(r, i - 1)->ts <= tape_reader__mapping(r, i)->ts);
	/* the exec before its image, as written */
	assert_int_equal(tape_reader__mapping(r, 4)->kind, TAPE_MAPPING_EXEC);
	assert_int_equal(tape_reader__mapping(r, 5)->kind, TAPE_MAPPING_MAP);
	/* the child's library while mapped, its parent's image through the fork */
	assert_int_equal(tape_reader__resolve_addr(r, 101, 3000, 0x7f0000000010, &bin, &off), 0);
	assert_int_equal(bin, 2);
	assert_int_equal(off, 0x1010);
	assert_int_equal(tape_reader__resolve_addr(r, 101, 3000, 0x1010, &bin, &off), 0);
	assert_int_equal(bin, 1);
	assert_int_equal(tape_reader__resolve_addr(r, 101, 4000, 0x7f0000000010, &bin, &off),
			 -ENOENT);
	/* the parent: its old image until the exec, the new one from it */
	assert_int_equal(tape_reader__resolve_addr(r, 100, 5999, 0x1010, &bin, &off), 0);
	assert_int_equal(bin, 1);
	assert_int_equal(tape_reader__resolve_addr(r, 100, 6000, 0x1010, &bin, &off), 0);
	assert_int_equal(bin, 3);
	assert_int_equal(off, 0x10);
	tape_reader__free(r);
	free(mm.data);
}

/* A mapping block's damage is named and costs that block only. */
static void test_block_damage(void **state)
{
	struct mem mm = {0};
	struct tape_io io = {.write = mem_write, .ctx = &mm};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	struct tape_reader *r;
	char err[256];
	size_t body;
	uint8_t *p;
	uint32_t crc;

	(void)state;
	assert_int_equal(tape_writer__add_mapping(w,
						  &(struct tape_mapping){.kind = TAPE_MAPPING_MAP,
									 .pid = 1,
									 .start = 0x1000,
									 .end = 0x2000,
									 .binary = 1},
						  "/bin/a"),
			 0);
	assert_int_equal(tape_writer__flush(w), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	/* the block after the 16-byte file header: break its binary id (0),
	 * and give it a good CRC so that the body is what is read */
	p = mm.data + 16;
	assert_int_equal(get_le16(p + 4), 9);
	body = get_le32(p + 12);
	assert_int_equal(p[20], 1); /* one binary */
	assert_int_equal(p[22], 1); /* its id */
	p[22] = 0;
	crc = tape__crc32c(0, p, 16);
	crc = tape__crc32c(crc, p + 20, body);
	put_le32(p + 16, crc);
	r = tape_reader__open_mem(mm.data, mm.len, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__problem_count(r), 1);
	if (!strstr(tape_reader__problem(r, 0), "mapping"))
		fail_msg("problem does not name the block: %s", tape_reader__problem(r, 0));
	assert_int_equal(tape_reader__mapping_count(r), 0);
	tape_reader__free(r);
	free(mm.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_self),
		cmocka_unit_test(test_snapshot_all),
		cmocka_unit_test(test_resolve_on_demand),
		cmocka_unit_test(test_fake_proc),
		cmocka_unit_test(test_mmap_munmap),
		cmocka_unit_test(test_binary_ids),
		cmocka_unit_test(test_fork_exec_exit),
		cmocka_unit_test(test_many_procs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_block_round_trip),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_block_damage),
	};
	int ret;

	if (!mkdtemp(empty_proc))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(empty_proc);
	return ret;
}
