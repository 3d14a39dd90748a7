// SPDX-License-Identifier: MIT
/*
 * `bpftape symbolize` without root (issue 12), on tapes in memory: the
 * reader names a frame from the LAST binary block of its id; the engine
 * re-encodes the block of a binary recorded without symbols with those of
 * its debug file (found by build-id in a debug directory: this test
 * program's own, made with objcopy --only-keep-debug), leaves a build-id
 * no directory has, skips a damaged debug file with its name, and copies
 * every other block unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../record/elfsym.h"
#include "../record/symbolize.h"
#include "private/block.h"
#include "private/symtab.h"
#include <bpftape/tape.h>

struct mem {
	uint8_t *data;
	size_t len, cap;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

static int mem_truncate(void *ctx, uint64_t off)
{
	struct mem *m = ctx;

	if (off < m->len)
		m->len = off;
	return 0;
}

static const struct tape_field fields[] = {{"n", TAPE_U64}};
static const struct tape_type type = {0, "tick", "builtin", "", 1, fields};

static struct tape_writer *new_writer(struct mem *m)
{
	struct tape_io io = {mem_write, mem_truncate, m};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct tape_writer *w = tape_writer__new(&io, &opts);

	assert_non_null(w);
	return w;
}

static void add_binary(struct tape_writer *w, const struct binary_desc *d, struct symtab_sym *syms,
		       size_t n)
{
	struct buf body = {0};

	assert_int_equal(tape__binary_encode(&body, d, syms, n), 0);
	assert_int_equal(tape__writer_add_binary(w, body.data, body.len), 0);
	tape__buf_free(&body);
}

/* Stack 1 of @frames, and @nev events that use it. */
static void add_events(struct tape_writer *w, const struct tape_frame *frames, size_t n, int nev)
{
	union tape_value v[1];
	struct tape_event ev = {.type = 0, .comm = "prog", .pid = 10, .tid = 10, .values = v};

	ev.type = (uint16_t)tape_writer__add_type(w, &type);
	assert_true(ev.type > 0);
	assert_int_equal(tape_writer__add_stack(w, 1, frames, n), 0);
	for (int i = 0; i < nev; i++) {
		ev.ts = 1000 + (uint64_t)i;
		v[0].u = (uint64_t)i;
		ev.stack_id = 1;
		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
}

static struct tape_reader *open_mem(const struct mem *m)
{
	char err[256];
	struct tape_reader *r = tape_reader__open_mem(m->data, m->len, err, sizeof(err));

	if (!r)
		fail_msg("open: %s", err);
	return r;
}

/* Two blocks for one binary id: the later names the frames. */
static void test_last_block_wins(void **state)
{
	struct mem m = {0};
	struct tape_writer *w = new_writer(&m);
	struct tape_reader *r;
	const struct tape_frame *f;
	const struct tape_frame frames[] = {
		{.address = 0x1005, .binary = "/usr/bin/prog", .binary_id = 3},
	};
	const struct symtab_seg seg = {
		.vaddr = 0x401000, .offset = 0x1000, .filesz = 0x1000, .flags = 5};
	struct symtab_sym first[] = {{0x401000, 0x10, "from_dynsym", SYMTAB_GLOBAL}};
	struct symtab_sym later[] = {{0x401000, 0x10, "from_debugfile", SYMTAB_LOCAL}};
	const uint8_t id[] = {1, 2, 3, 4};
	struct binary_desc d = {3, "/usr/bin/prog", id, sizeof(id), &seg, 1, SYMTAB_SRC_DYNSYM};
	size_t n;

	(void)state;
	add_binary(w, &d, first, 1);
	d.sources |= SYMTAB_SRC_DEBUGFILE;
	add_binary(w, &d, later, 1);
	add_events(w, frames, 1, 1);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = open_mem(&m);
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(f[0].symbol);
	assert_string_equal(f[0].symbol, "from_debugfile");
	assert_int_equal(f[0].offset, 5);
	tape_reader__free(r);
	free(m.data);
}

static char tmpdir[PATH_MAX - 64];

/* Named after its own function in the debug file; static and never in
 * .dynsym, so only the debug file names it. */
__attribute__((noinline, used)) static int unit_marker_fn(int x)
{
	return x * 3 + 1;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * A tape of three binaries recorded without symbols: this program (its
 * debug file in the directory), one whose build-id nothing has, one whose
 * debug file is garbage.  Symbolized in memory: the first is named, the
 * others reported, the events and stacks all there.
 */
static void test_copy(void **state)
{
	struct mem m = {0}, out = {0};
	struct tape_writer *w = new_writer(&m);
	struct tape_reader *r;
	const struct tape_frame *f;
	char err[256], self_hex[129], junk_hex[129], dir[PATH_MAX];
	struct elfsym *es = elfsym__read("/proc/self/exe", err, sizeof(err));
	uint64_t vaddr = 0, off = UINT64_MAX;
	const uint8_t none_id[] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3};
	const uint8_t junk_id[] = {0xde, 0xad, 0xbe, 0xef, 9, 9, 9, 9};
	const char *dirs[] = {"/nonexistent", dir};
	struct symbolize_opts o = {.input = "mem",
				   .output = "mem-out",
				   .debug_dirs = dirs,
				   .ndebug_dirs = 2,
				   .debuginfod = SYMBOLIZE_DEBUGINFOD_OFF};
	struct symbolize_result res;
	size_t n;
	int nev = 0;

	(void)state;
	{
		/* called through a pointer: no clone takes its name */
		int (*volatile fn)(int) = unit_marker_fn;

		assert_int_equal(fn(1), 4);
	}
	if (!es)
		fail_msg("%s", err);
	assert_true(es->build_id_len > 0);
	for (size_t i = 0; i < es->nsyms; i++)
		if (!strcmp(es->syms[i].name, "unit_marker_fn"))
			vaddr = es->syms[i].start;
	assert_true(vaddr != 0);
	for (size_t i = 0; i < es->nsegs; i++)
		if (vaddr - es->segs[i].vaddr < es->segs[i].filesz)
			off = es->segs[i].offset + (vaddr - es->segs[i].vaddr);
	assert_true(off != UINT64_MAX);

	/* the debug directory: this program's debug file, and garbage */
	hex(es->build_id, es->build_id_len, self_hex);
	hex(junk_id, sizeof(junk_id), junk_hex);
	snprintf(dir, sizeof(dir), "%s/dbg", tmpdir);
	assert_int_equal(
		sh("mkdir -p %s/.build-id/%.2s %s/.build-id/%.2s", dir, self_hex, dir, junk_hex),
		0);
	{
		/* by its name: /proc/self/exe would be objcopy's own */
		char self[PATH_MAX] = "";

		assert_true(readlink("/proc/self/exe", self, sizeof(self) - 1) > 0);
		assert_int_equal(sh("objcopy --only-keep-debug %s %s/.build-id/%.2s/%s.debug", self,
				    dir, self_hex, self_hex + 2),
				 0);
	}
	assert_int_equal(sh("echo not an ELF file > %s/.build-id/%.2s/%s.debug", dir, junk_hex,
			    junk_hex + 2),
			 0);

	{
		struct binary_desc self = {
			5,	  "/usr/bin/unit", es->build_id,     es->build_id_len,
			es->segs, es->nsegs,	   SYMTAB_SRC_DYNSYM};
		struct binary_desc none = {
			6,	  "/usr/lib/none.so", none_id,		sizeof(none_id),
			es->segs, es->nsegs,	      SYMTAB_SRC_DYNSYM};
		struct binary_desc junk = {7,	     "/usr/lib/junk.so", junk_id, sizeof(junk_id),
					   es->segs, es->nsegs,		 0};
		struct binary_desc full = {
			8,	  "/usr/lib/full.so", none_id,		sizeof(none_id),
			es->segs, es->nsegs,	      SYMTAB_SRC_SYMTAB};
		const struct tape_frame frames[] = {
			{.address = off + 4, .binary = "/usr/bin/unit", .binary_id = 5},
			{.address = off + 4, .binary = "/usr/lib/none.so", .binary_id = 6},
			{.address = off + 4, .binary = "/usr/lib/junk.so", .binary_id = 7},
		};

		add_binary(w, &self, NULL, 0);
		add_binary(w, &none, NULL, 0);
		add_binary(w, &junk, NULL, 0);
		add_binary(w, &full, NULL, 0);
		add_events(w, frames, 3, 500);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_null(f[0].symbol); /* recorded stripped */
	w = new_writer(&out);
	assert_int_equal(symbolize__copy(&o, r, w, &res), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	tape_reader__free(r);

	for (size_t i = 0; i < res.nmiss; i++)
		print_message("not named: %s %s: %s\n", res.miss[i].build_id, res.miss[i].path,
			      res.miss[i].why ? res.miss[i].why : "no debug file found");
	assert_int_equal(res.binaries, 4);
	assert_int_equal(res.had_symbols, 1); /* .symtab: left alone */
	assert_int_equal(res.named, 1);
	assert_true(res.symbols > 0);
	assert_int_equal(res.nmiss, 2);
	assert_string_equal(res.miss[0].build_id, "deadbeef00010203");
	assert_string_equal(res.miss[0].path, "/usr/lib/none.so");
	assert_null(res.miss[0].why); /* nowhere */
	assert_string_equal(res.miss[1].path, "/usr/lib/junk.so");
	assert_non_null(res.miss[1].why);
	if (!strstr(res.miss[1].why, junk_hex + 2) || !strstr(res.miss[1].why, "not an ELF"))
		fail_msg("why: %s", res.miss[1].why);
	symbolize_result__free(&res);

	r = open_mem(&out);
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_non_null(f[0].symbol);
	assert_string_equal(f[0].symbol, "unit_marker_fn");
	assert_int_equal(f[0].offset, 4);
	assert_string_equal(f[0].build_id_hex, self_hex);
	assert_null(f[1].symbol);
	assert_null(f[2].symbol);
	/* every event is still there */
	{
		struct tape_cursor *c = tape_cursor__new(&r, 1, NULL);
		const struct tape_event *ev;

		assert_non_null(c);
		while (tape_cursor__next(c, &ev) > 0)
			nev += ev->stack_id == 1;
		tape_cursor__free(c);
	}
	assert_int_equal(nev, 500);
	assert_int_equal(tape_reader__problem_count(r), 0);
	tape_reader__free(r);
	elfsym__free(es);
	free(m.data);
	free(out.data);
}

/* A damaged input is refused, not silently shortened. */
static void test_damaged_input(void **state)
{
	struct mem m = {0}, out = {0};
	struct tape_writer *w = new_writer(&m);
	struct tape_reader *r;
	const struct tape_frame frames[] = {{.address = 0x10, .binary = "/p", .binary_id = 1}};
	struct symbolize_opts o = {
		.input = "mem", .output = "out", .debuginfod = SYMBOLIZE_DEBUGINFOD_OFF};
	struct symbolize_result res;
	char err[256];

	(void)state;
	add_events(w, frames, 1, 20000);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	/* a byte of the first event chunk's body: its CRC fails when the
	 * copy reads it (the reader checks chunks only then) */
	m.data[200] ^= 0xff;
	r = tape_reader__open_mem(m.data, m.len, err, sizeof(err));
	assert_non_null(r);
	w = new_writer(&out);
	assert_true(symbolize__copy(&o, r, w, &res) < 0);
	if (!strstr(res.err, "mem: ") || !strstr(res.err, "recover"))
		fail_msg("err: %s", res.err);
	print_message("refused: %s\n", res.err);
	symbolize_result__free(&res);
	tape_writer__free(w);
	tape_reader__free(r);
	free(m.data);
	free(out.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_block_wins),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_damaged_input),
	};
	int ret;

	if (sh("command -v objcopy >/dev/null")) {
		printf("test_symbolize_unit: skipped: needs objcopy (binutils)\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpftape-test-symbolize-unit-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		sh("rm -rf %s", tmpdir);
	return ret;
}
