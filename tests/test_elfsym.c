// SPDX-License-Identifier: MIT
/*
 * Symbols read from ELF binaries (record/elfsym.c), carried through a
 * binary block (format/symtab.c) and looked up by file offset, the way a
 * recorded frame is named: this test's own functions, libc's (checked
 * against the dynamic linker's addresses), a stripped copy (build-id
 * kept, frames unknown, never misnamed), a copy whose only symbols are
 * MiniDebugInfo made here as Fedora's find-debuginfo makes it, and files
 * that are missing, deleted or not ELF.  No root.
 */
#include <dlfcn.h>
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

#include "../record/elfsym.h"
#include "private/symtab.h"
#include "symtest.h"
#include "private/block.h"

/* Functions to find by name; noinline and used, so each is its own symbol. */
__attribute__((noinline, used)) int elfsym_known_alpha(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 7 + 1;
}

__attribute__((noinline, used)) int elfsym_known_beta(int x)
{
	__asm__ volatile("" ::: "memory");
	return elfsym_known_alpha(x) ^ 0x55;
}

static char tmpdir[] = "/tmp/test_elfsym.XXXXXX";
/* This test's binary by name: under valgrind /proc/PID/exe is valgrind's,
 * and the shell commands below run as other processes. */
static char self_exe[512];

/* Through the tape's own form: encode a binary block, parse it back. */
static struct binary *to_block(struct elfsym *es, const char *path, size_t *bytes)
{
	struct binary_desc d = {1,	  path,	     es->build_id, es->build_id_len,
				es->segs, es->nsegs, es->sources};
	struct buf b = {0};
	char err[200] = "";
	struct binary *bin;

	assert_int_equal(tape__binary_encode(&b, &d, es->syms, es->nsyms), 0);
	bin = tape__binary_parse(b.data, b.len, err, sizeof(err));
	if (!bin)
		fail_msg("parse: %s", err);
	if (bytes)
		*bytes = b.len;
	tape__buf_free(&b);
	return bin;
}

/* The name of run-time address @addr of this process, or NULL. */
static const char *name_at(const struct binary *bin, const void *addr, uint64_t *off)
{
	char path[PATH_MAX];
	uint64_t foff = 0;
	const char *name;

	assert_int_equal(symtest_file_offset((uintptr_t)addr, &foff, path, sizeof(path)), 0);
	return tape__binary_lookup(bin, foff, &name, off) ? NULL : name;
}

static struct elfsym *read_opts_ok(const char *path, const char *debug_dir)
{
	struct elfsym_opts opts = {debug_dir};
	char err[300] = "";
	struct elfsym *es = elfsym__read_opts(path, &opts, err, sizeof(err));

	if (!es)
		fail_msg("%s", err);
	return es;
}

static struct elfsym *read_ok(const char *path)
{
	char err[300] = "";
	struct elfsym *es = elfsym__read(path, err, sizeof(err));

	if (!es)
		fail_msg("%s", err);
	return es;
}

static void test_self(void **state)
{
	struct elfsym *es = read_ok("/proc/self/exe");
	struct binary *bin = to_block(es, "/proc/self/exe", NULL);
	uint64_t off;

	(void)state;
	assert_int_equal(es->build_id_len, 20); /* Debian's gcc: --build-id (sha1) */
	assert_true(es->sources & SYMTAB_SRC_SYMTAB);
	assert_true(es->nsegs >= 2);
	assert_string_equal(name_at(bin, (void *)elfsym_known_alpha, &off), "elfsym_known_alpha");
	assert_int_equal(off, 0);
	assert_string_equal(name_at(bin, (char *)elfsym_known_beta + 3, &off), "elfsym_known_beta");
	assert_int_equal(off, 3);
	assert_string_equal(name_at(bin, (char *)test_self + 1, &off), "test_self");
	tape__binary_free(bin);
	elfsym__free(es);
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		print_message("'%s' failed: %d\n", cmd, rc);
	return rc;
}

static bool have(const char *tool)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* libc: only .dynsym on Debian (its debug file set aside).  Every resolved
 * name is one the dynamic linker puts at the same address. */
static void test_libc(void **state)
{
	static const char *const funcs[] = {"open",	      "read",	 "write",    "malloc",
					    "pthread_create", "syscall", "nanosleep"};
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	struct symtest_obj o;
	struct elfsym *es;
	struct binary *bin;
	size_t bytes, raw = 0;

	(void)state;
	assert_non_null(h);
	assert_int_equal(symtest_object((uintptr_t)dlsym(h, "open"), &o), 0);
	es = read_opts_ok(o.path, "");
	bin = to_block(es, o.path, &bytes);
	assert_int_equal(es->build_id_len, 20);
	assert_true(es->sources & (SYMTAB_SRC_SYMTAB | SYMTAB_SRC_DYNSYM));
	for (size_t i = 0; i < es->nsyms; i++)
		raw += strlen(es->syms[i].name) + 16;
	print_message("libc %s: %zu function symbols (%zu distinct addresses), binary block %zu "
		      "bytes (names + 16 bytes each: %zu)\n",
		      o.path, es->nsyms, tape__symtab_count(bin->syms), bytes, raw);
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		void *addr = dlsym(h, funcs[i]);
		uint64_t off;
		const char *name;

		assert_non_null(addr);
		name = name_at(bin, addr, &off);
		if (!name)
			fail_msg("%s at %p: unknown", funcs[i], addr);
		assert_int_equal(off, 0);
		if (dlsym(h, name) != addr)
			fail_msg("%s resolved to %s, which the linker puts at %p", funcs[i], name,
				 dlsym(h, name));
		name = name_at(bin, (char *)addr + 2, &off);
		assert_non_null(name);
		assert_int_equal(off, 2);
	}
	/* open, open64, __open, __open64 (all weak): the name perf shows */
	assert_string_equal(name_at(bin, dlsym(h, "open"), &(uint64_t){0}), "open64");
	tape__binary_free(bin);
	elfsym__free(es);

	/* with libc6-dbg's file, its .symtab: perf names open() by it too */
	es = read_ok(o.path);
	if (!(es->sources & SYMTAB_SRC_DEBUGFILE)) {
		print_message("no debug file for libc under /usr/lib/debug/.build-id "
			      "(libc6-dbg): its part skipped\n");
	} else {
		bin = to_block(es, o.path, &bytes);
		print_message("libc with its debug file: %zu distinct addresses, %zu bytes\n",
			      tape__symtab_count(bin->syms), bytes);
		assert_string_equal(name_at(bin, dlsym(h, "open"), &(uint64_t){0}),
				    "__GI___libc_open");
		tape__binary_free(bin);
	}
	elfsym__free(es);
	dlclose(h);
}

/* A stripped binary and its debug file in DIR/.build-id/: the names come
 * from the debug file, and only from one with the same build-id. */
static void test_debugfile(void **state)
{
	char cmd[2048], dir[300], path[300];
	struct elfsym *es;
	struct binary *bin;
	uint64_t off;

	(void)state;
	if (!have("objcopy"))
		skip(); /* binutils */
	es = read_ok(self_exe);
	snprintf(dir, sizeof(dir), "%s/dbg", tmpdir);
	snprintf(path, sizeof(path), "%s/stripped3", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/.build-id/%02x && objcopy --strip-all %s %s && "
		 "objcopy --only-keep-debug %s %s/.build-id/%02x/",
		 dir, es->build_id[0], self_exe, path, self_exe, dir, es->build_id[0]);
	for (size_t i = 1; i < es->build_id_len; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%02x", es->build_id[i]);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), ".debug");
	assert_int_equal(run(cmd), 0);
	elfsym__free(es);

	es = read_opts_ok(path, dir);
	assert_true(es->sources & SYMTAB_SRC_DEBUGFILE);
	bin = to_block(es, path, NULL);
	assert_string_equal(name_at(bin, (char *)elfsym_known_alpha + 2, &off),
			    "elfsym_known_alpha");
	assert_int_equal(off, 2);
	tape__binary_free(bin);
	elfsym__free(es);

	/* the same file name holding another build's symbols is ignored */
	snprintf(cmd, sizeof(cmd),
		 "cd %s/.build-id/* && objcopy --only-keep-debug /bin/true *.debug", dir);
	assert_int_equal(run(cmd), 0);
	es = read_opts_ok(path, dir);
	assert_false(es->sources & SYMTAB_SRC_DEBUGFILE);
	bin = to_block(es, path, NULL);
	assert_null(name_at(bin, (void *)elfsym_known_alpha, &off));
	tape__binary_free(bin);
	elfsym__free(es);
}

/* A stripped copy keeps its build-id; its own functions are unknown,
 * never named after a neighbouring symbol. */
static void test_stripped(void **state)
{
	char cmd[2048], path[300];
	struct elfsym *self = read_ok("/proc/self/exe"), *es;
	struct binary *bin;
	uint64_t off, foff = 0;
	const char *name;

	(void)state;
	if (!have("objcopy"))
		skip(); /* binutils */
	snprintf(path, sizeof(path), "%s/stripped", tmpdir);
	snprintf(cmd, sizeof(cmd), "objcopy --strip-all %s %s", self_exe, path);
	assert_int_equal(run(cmd), 0);
	es = read_ok(path);
	assert_false(es->sources & SYMTAB_SRC_SYMTAB);
	assert_int_equal(es->build_id_len, self->build_id_len);
	assert_memory_equal(es->build_id, self->build_id, es->build_id_len);
	bin = to_block(es, path, NULL);
	assert_null(name_at(bin, (void *)elfsym_known_alpha, &off));
	assert_null(name_at(bin, (char *)elfsym_known_beta + 5, &off));
	/* the offsets still map to the same addresses */
	assert_int_equal(
		symtest_file_offset((uintptr_t)elfsym_known_alpha, &foff, path, sizeof(path)), 0);
	assert_non_null(tape__binary_seg(bin, foff));
	(void)name;
	tape__binary_free(bin);
	elfsym__free(es);
	elfsym__free(self);
}

/* MiniDebugInfo made the way Fedora's find-debuginfo makes it: a
 * symbol-only ELF, xz-compressed, added as .gnu_debugdata to a stripped
 * binary.  Its names are found; a damaged one costs only those names. */
static void test_minidebuginfo(void **state)
{
	char cmd[2048], path[300], bad[300];
	struct elfsym *es;
	struct binary *bin;
	uint64_t off;
	int fd;

	(void)state;
	if (!have("objcopy") || !have("xz"))
		skip(); /* binutils, xz-utils */
	snprintf(path, sizeof(path), "%s/mini", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && objcopy --only-keep-debug %s debug && "
		 "objcopy --strip-debug debug symonly && xz -f symonly && "
		 "objcopy --strip-all %s stripped2 && "
		 "objcopy --add-section .gnu_debugdata=symonly.xz stripped2 mini",
		 tmpdir, self_exe, self_exe);
	assert_int_equal(run(cmd), 0);
	es = read_ok(path);
	assert_true(es->sources & SYMTAB_SRC_DEBUGDATA);
	assert_false(es->sources & SYMTAB_SRC_SYMTAB);
	bin = to_block(es, path, NULL);
	assert_string_equal(name_at(bin, (char *)elfsym_known_alpha + 1, &off),
			    "elfsym_known_alpha");
	assert_int_equal(off, 1);
	assert_string_equal(name_at(bin, (void *)elfsym_known_beta, &off), "elfsym_known_beta");
	tape__binary_free(bin);
	elfsym__free(es);

	/* garbage in .gnu_debugdata: no crash, the file still reads */
	snprintf(bad, sizeof(bad), "%s/garbage", tmpdir);
	fd = open(bad, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd,
			       "\xfd"
			       "7zXZ\0garbage garbage garbage",
			       30),
			 30);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && objcopy --add-section .gnu_debugdata=garbage stripped2 badmini", tmpdir);
	assert_int_equal(run(cmd), 0);
	snprintf(path, sizeof(path), "%s/badmini", tmpdir);
	es = read_ok(path);
	assert_false(es->sources & SYMTAB_SRC_DEBUGDATA);
	assert_int_equal(es->build_id_len, 20);
	elfsym__free(es);
}

static void test_errors(void **state)
{
	char err[300] = "", path[300];
	struct elfsym *es;
	int fd;

	(void)state;
	es = elfsym__read("/nonexistent/bin", err, sizeof(err));
	assert_null(es);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, "/nonexistent/bin: No such file or directory");

	snprintf(path, sizeof(path), "%s/text", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho hi\n", 18), 18);
	close(fd);
	es = elfsym__read(path, err, sizeof(err));
	assert_null(es);
	assert_int_equal(errno, ENOEXEC);
	assert_non_null(strstr(err, "not an ELF file"));
	assert_non_null(strstr(err, path));

	/* a binary deleted while recording: by path it is gone, by an fd
	 * held open it still reads */
	snprintf(path, sizeof(path), "%s/deleted", tmpdir);
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "cp %s %s", self_exe, path);
		assert_int_equal(run(cmd), 0);
	}
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	es = elfsym__read(path, err, sizeof(err));
	assert_null(es);
	assert_int_equal(errno, ENOENT);
	es = elfsym__read_fd(fd, path, err, sizeof(err));
	assert_non_null(es);
	assert_true(es->nsyms > 0);
	elfsym__free(es);
	close(fd);
	elfsym__free(NULL);
}

/* The symbol named @name in @es, or NULL. */
static const struct symtab_sym *sym_named(const struct elfsym *es, const char *name)
{
	for (size_t i = 0; i < es->nsyms; i++)
		if (!strcmp(es->syms[i].name, name))
			return &es->syms[i];
	return NULL;
}

/* Untyped labels (work_labels.S): the entry point and sized labels of an
 * executable section name their code, as perf names them; an unsized
 * label elsewhere, which would claim the code after it, and data do not. */
static void test_labels(void **state)
{
	char path[PATH_MAX], *slash;
	const struct symtab_sym *start, *sized;
	struct elfsym *es;
	struct binary *bin;
	const char *name;
	uint64_t off, at = UINT64_MAX;

	(void)state;
	snprintf(path, sizeof(path), "%s", self_exe);
	slash = strrchr(path, '/');
	assert_non_null(slash);
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "work_labels");
	es = read_ok(path);
	start = sym_named(es, "_start");
	sized = sym_named(es, "labels_sized");
	assert_non_null(start);
	assert_int_equal(start->size, 0);
	assert_non_null(sized);
	assert_int_equal(sized->size, 3);
	assert_int_equal(sized->start, start->start + 9);
	assert_null(sym_named(es, "labels_bare"));
	assert_null(sym_named(es, "labels_data"));
	assert_null(sym_named(es, "_end"));
	/* through the tape's block, by file offset: _start up to
	 * labels_sized, which ends where the unnamed code begins */
	for (size_t i = 0; i < es->nsegs; i++)
		if (start->start - es->segs[i].vaddr < es->segs[i].filesz)
			at = es->segs[i].offset + (start->start - es->segs[i].vaddr);
	assert_int_not_equal(at, UINT64_MAX);
	bin = to_block(es, path, NULL);
	assert_int_equal(tape__binary_lookup(bin, at + 5, &name, &off), 0);
	assert_string_equal(name, "_start");
	assert_int_equal(off, 5);
	assert_int_equal(tape__binary_lookup(bin, at + 10, &name, &off), 0);
	assert_string_equal(name, "labels_sized");
	assert_int_equal(off, 1);
	assert_int_equal(tape__binary_lookup(bin, at + 12, &name, &off), -ENOENT);
	tape__binary_free(bin);
	elfsym__free(es);
}

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	(void)state;
	if (n <= 0)
		return -1;
	self_exe[n] = 0;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[100];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),	 cmocka_unit_test(test_libc),
		cmocka_unit_test(test_stripped), cmocka_unit_test(test_minidebuginfo),
		cmocka_unit_test(test_errors),	 cmocka_unit_test(test_debugfile),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests_name("elfsym", tests, setup, teardown);
}
