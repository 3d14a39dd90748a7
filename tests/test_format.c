// SPDX-License-Identifier: MIT
/*
 * Tests of the tape library (format/): round trips, truncation at every
 * offset, bit flips, index-driven selection against a full scan, merging,
 * recovery, refresh of a growing tape, the value formatter, API misuse and
 * the golden tapes in tests/golden/.
 *
 *   build/tests/test_format                      run the tests
 *   build/tests/test_format --write-golden DIR   rewrite the golden tapes
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zstd.h>

#include <bpftape/tape.h>
#include "private/block.h"
#include "private/symtab.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/golden"
#endif

/* ---- an in-memory output ---- */

struct mem {
	uint8_t *data;
	size_t len, cap;
	size_t fail_after; /* fail writes past this many bytes (0: never) */
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->fail_after && m->len + len > m->fail_after) {
		/* a full disk: part of the write lands, then ENOSPC */
		size_t part = m->fail_after - m->len;

		if (m->len + part > m->cap) {
			m->cap = m->len + part;
			m->data = realloc(m->data, m->cap);
		}
		memcpy(m->data + m->len, buf, part);
		m->len += part;
		return -ENOSPC;
	}
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	if (len)
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

/* ---- the schema used throughout ---- */

static const uint64_t flag_vals[] = {0, 01, 02, 0100, 01000, 02000000};
static const char *const flag_names[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",
					 "O_CREAT",  "O_TRUNC",	 "O_CLOEXEC"};
static const struct tape_enum open_flags = {"open_flags", 6, flag_vals, flag_names};
static const uint64_t sig_vals[] = {9, 15};
static const char *const sig_names[] = {"SIGKILL", "SIGTERM"};
static const struct tape_enum signals = {"signal", 2, sig_vals, sig_names};

static const struct tape_field open_fields[] = {
	{"dfd", TAPE_S32, 0, NULL},
	{"path", TAPE_STR, 0, NULL},
	{"flags", TAPE_U32, TAPE_DISP_FLAGS, &open_flags},
	{"mode", TAPE_U32, TAPE_DISP_OCTAL, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field ints_fields[] = {
	{"u8", TAPE_U8, 0, NULL},   {"u16", TAPE_U16, 0, NULL}, {"u32", TAPE_U32, 0, NULL},
	{"u64", TAPE_U64, 0, NULL}, {"s8", TAPE_S8, 0, NULL},	{"s16", TAPE_S16, 0, NULL},
	{"s32", TAPE_S32, 0, NULL}, {"s64", TAPE_S64, 0, NULL},
};
static const struct tape_field blob_fields[] = {
	{"addr", TAPE_BYTES, TAPE_DISP_SOCKADDR, NULL},
	{"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
	{"sig", TAPE_S32, TAPE_DISP_ENUM, &signals},
};
static const struct tape_type types[] = {
	{0, "open", "builtin", "", 5, open_fields},
	{0, "ints", "builtin", "", 8, ints_fields},
	{0, "blobs", "builtin", "", 3, blob_fields},
	{0, "empty", "builtin", "", 0, NULL},
};
#define NTYPES 4

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Event @i of a deterministic stream: its type (1..NTYPES), header and values. */
struct gen {
	struct tape_event ev;
	union tape_value v[8];
	char path[64];
	char comm[16];
	uint8_t blob[64];
	char argv[64];
};

static void gen_event(uint64_t seed, uint64_t i, struct gen *g)
{
	uint64_t x = mix(seed ^ mix(i));
	unsigned type = 1 + x % NTYPES;

	memset(g, 0, sizeof(*g));
	g->ev.ts = 1000000 + i * 1000;
	g->ev.pid = 100 + (x >> 8) % 7;
	g->ev.tid = g->ev.pid + (x >> 12) % 2;
	g->ev.cpu = (x >> 14) % 4;
	g->ev.type = type;
	snprintf(g->comm, sizeof(g->comm), "proc-%u", g->ev.pid);
	g->ev.comm = g->comm;
	g->ev.values = g->v;
	switch (type) {
	case 1:
		snprintf(g->path, sizeof(g->path), "/etc/file-%llu",
			 (unsigned long long)(x >> 20) % 50);
		g->v[0].s = -100;
		g->v[1].b.ptr = g->path;
		g->v[1].b.len = strlen(g->path);
		g->v[2].u = (x >> 30) % 2 ? 02000001 : 0;
		g->v[3].u = 0644;
		g->v[4].s = (x >> 33) % 5 ? 3 : -2;
		break;
	case 2:
		g->v[0].u = (uint8_t)(x >> 3);
		g->v[1].u = (uint16_t)(x >> 5);
		g->v[2].u = (uint32_t)(x >> 7);
		g->v[3].u = x;
		g->v[4].s = (int8_t)(x >> 9);
		g->v[5].s = (int16_t)(x >> 11);
		g->v[6].s = (int32_t)(x >> 13);
		g->v[7].s = (int64_t)mix(x);
		break;
	case 3: {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(x % 65536)};
		size_t n;

		sin.sin_addr.s_addr = htonl(0x7f000001);
		memcpy(g->blob, &sin, sizeof(sin));
		g->v[0].b.ptr = g->blob;
		g->v[0].b.len = sizeof(sin);
		n = snprintf(g->argv, sizeof(g->argv), "ls%c-l%c/tmp/%u", 0, 0, (unsigned)(x % 9));
		g->v[1].b.ptr = g->argv;
		g->v[1].b.len = n;
		g->v[2].s = x % 3 == 0 ? 9 : 15;
		break;
	}
	default:
		break;
	}
}

static void assert_event_eq(const struct tape_event *got, const struct tape_event *want)
{
	const struct tape_type *t = &types[want->type - 1];

	assert_int_equal(got->ts, want->ts);
	assert_int_equal(got->pid, want->pid);
	assert_int_equal(got->tid, want->tid);
	assert_int_equal(got->cpu, want->cpu);
	assert_string_equal(got->tp->name, t->name);
	assert_string_equal(got->comm, want->comm);
	for (unsigned f = 0; f < t->nfields; f++) {
		unsigned kind = t->fields[f].kind;

		if (kind == TAPE_STR || kind == TAPE_BYTES) {
			assert_int_equal(got->values[f].b.len, want->values[f].b.len);
			assert_memory_equal(got->values[f].b.ptr, want->values[f].b.ptr,
					    want->values[f].b.len);
			if (kind == TAPE_STR)
				assert_int_equal(
					((const char *)got->values[f].b.ptr)[got->values[f].b.len],
					0);
		} else {
			assert_int_equal(got->values[f].u, want->values[f].u);
		}
	}
}

static struct tape_writer *new_writer(struct mem *m, size_t chunk_bytes)
{
	struct tape_io io = {mem_write, mem_truncate, m};
	struct tape_writer_opts opts = {.sz = sizeof(opts), .chunk_bytes = chunk_bytes};
	struct tape_writer *w = tape_writer__new(&io, &opts);

	assert_non_null(w);
	for (int i = 0; i < NTYPES; i++)
		assert_int_equal(tape_writer__add_type(w, &types[i]), i + 1);
	return w;
}

static const struct tape_proc procs[] = {
	{100, 1, 0, 5000, "proc-100", "/usr/bin/a", "a\0-x", 4, "/system.slice"},
	{101, 100, 1000, 6000, "proc-101", "/usr/bin/b", "b", 1, "/"},
};

/* A complete small tape: metadata, processes, @n events, two losses. */
static void small_tape(struct mem *m, uint64_t seed, uint64_t n, size_t chunk_bytes)
{
	struct tape_writer *w;
	struct gen g;

	memset(m, 0, sizeof(*m));
	w = new_writer(m, chunk_bytes);
	assert_int_equal(tape_writer__set_meta(w, "hostname", "testhost"), 0);
	assert_int_equal(tape_writer__set_meta(w, "kernel", "6.18.0"), 0);
	assert_int_equal(tape_writer__add_procs(w, procs, 2), 0);
	for (uint64_t i = 0; i < n; i++) {
		gen_event(seed, i, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
		if (i == n / 2) {
			struct tape_loss l = {1, 42, g.ev.ts + 1, g.ev.ts + 500};

			assert_int_equal(tape_writer__add_loss(w, &l), 0);
		}
	}
	assert_int_equal(tape_writer__set_meta(w, "kernel", "6.18.1"), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

static struct tape_reader *open_mem(const struct mem *m)
{
	char err[256];
	struct tape_reader *r = tape_reader__open_mem(m->data, m->len, err, sizeof(err));

	if (!r)
		fail_msg("open: %s", err);
	return r;
}

/* Read everything; returns the number of events (losses excluded). */
static uint64_t count_events(struct tape_reader *r, int *errors)
{
	struct tape_select sel = {.sz = sizeof(sel), .no_losses = true};
	struct tape_cursor *c = tape_cursor__new(&r, 1, &sel);
	const struct tape_event *ev;
	uint64_t n = 0, last = 0;
	int ret;

	assert_non_null(c);
	*errors = 0;
	while ((ret = tape_cursor__next(c, &ev)) != 0) {
		if (ret < 0) {
			(*errors)++;
			assert_true(strlen(tape_cursor__errmsg(c)) > 0);
			continue;
		}
		assert_true(ev->ts >= last);
		last = ev->ts;
		n++;
	}
	tape_cursor__free(c);
	return n;
}

/* ---- tests ---- */

/* Internal to libtape, checked here against the published check value. */
uint32_t tape__crc32c(uint32_t crc, const void *buf, size_t len);

static void test_crc32c(void **state)
{
	static const char big[] = "The quick brown fox jumps over the lazy dog, twice over.";

	(void)state;
	assert_int_equal(tape__crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(tape__crc32c(0, "", 0), 0);
	/* Incremental use gives the same answer as one call. */
	assert_int_equal(tape__crc32c(tape__crc32c(0, big, 13), big + 13, sizeof(big) - 13),
			 tape__crc32c(0, big, sizeof(big)));
}

static void test_roundtrip_million(void **state)
{
	const uint64_t n = 1200000;
	struct tape_writer *w;
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	struct mem m = {0};
	struct gen g;
	uint64_t i = 0;
	int ret;

	(void)state;
	w = new_writer(&m, 64 << 10);
	/* A first event of a type without fields, before any value exists. */
	gen_event(7, 3, &g);
	while (g.ev.type != 4)
		gen_event(7, mix(g.ev.ts), &g);
	g.ev.ts = 0;
	assert_int_equal(tape_writer__append(w, &g.ev), 0);
	/* Append pairs swapped now and then: reading must restore ts order,
	 * also when a swapped pair straddles a chunk boundary. */
	for (uint64_t k = 0; k < n; k++) {
		uint64_t idx = k;

		if (k % 1000 == 7)
			idx = k + 1;
		else if (k % 1000 == 8)
			idx = k - 1;
		gen_event(7, idx, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__events(w), n + 1);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	assert_int_equal(tape_reader__event_count(r), n + 1);
	assert_true(tape_reader__chunk_count(r) > 50);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	assert_int_equal(tape_cursor__next(c, &ev), 1);
	assert_int_equal(ev->ts, 0);
	assert_string_equal(ev->tp->name, "empty");
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		gen_event(7, i++, &g);
		assert_event_eq(ev, &g.ev);
	}
	assert_int_equal(ret, 0);
	assert_int_equal(i, n);
	tape_cursor__free(c);
	tape_reader__free(r);
	free(m.data);
}

static void test_truncate_every_offset(void **state)
{
	struct mem m;
	struct tape_reader *full;
	size_t nchunks;
	struct tape_chunk_info ci[64];

	(void)state;
	small_tape(&m, 3, 400, 2048);
	full = open_mem(&m);
	nchunks = tape_reader__chunk_count(full);
	assert_true(nchunks > 4 && nchunks < 64);
	for (size_t i = 0; i < nchunks; i++)
		assert_int_equal(tape_reader__chunk(full, i, &ci[i]), 0);

	for (size_t len = 0; len < m.len; len++) {
		char err[256] = "";
		struct tape_reader *r = tape_reader__open_mem(m.data, len, err, sizeof(err));
		uint64_t want = 0, got;
		int errors;

		if (len < 16) {
			assert_null(r);
			assert_true(strlen(err) > 0);
			continue;
		}
		assert_non_null(r);
		assert_true(tape_reader__recovered(r));
		for (size_t i = 0; i < nchunks; i++)
			if (ci[i].offset + ci[i].block_len <= len)
				want += ci[i].count;
		got = count_events(r, &errors);
		assert_int_equal(errors, 0);
		assert_int_equal(got, want);
		tape_reader__free(r);
	}
	tape_reader__free(full);
	free(m.data);
}

static void test_bit_flips(void **state)
{
	struct mem m;
	struct tape_reader *full;
	struct tape_chunk_info ci;
	uint64_t total;
	int errors;

	(void)state;
	small_tape(&m, 5, 2000, 4096);
	full = open_mem(&m);
	total = tape_reader__event_count(full);
	assert_int_equal(tape_reader__chunk(full, 2, &ci), 0);

	/* A flip inside a chunk body: that chunk, and only it, is reported. */
	{
		size_t pos = ci.offset + 20 + ci.block_len / 2;
		char want[64];
		struct tape_reader *r;
		struct tape_cursor *c;
		const struct tape_event *ev;
		uint64_t n = 0;
		int ret, bad = 0;

		m.data[pos] ^= 0x10;
		r = open_mem(&m);
		c = tape_cursor__new(
			&r, 1,
			&(struct tape_select){.sz = sizeof(struct tape_select), .no_losses = true});
		while ((ret = tape_cursor__next(c, &ev)) != 0) {
			if (ret < 0) {
				bad++;
				assert_int_equal(ret, -EBADMSG);
				snprintf(want, sizeof(want), "at offset %llu: CRC mismatch",
					 (unsigned long long)ci.offset);
				assert_non_null(strstr(tape_cursor__errmsg(c), want));
				assert_non_null(strstr(tape_cursor__errmsg(c), "block"));
				continue;
			}
			n++;
		}
		assert_int_equal(bad, 1);
		assert_int_equal(n, total - ci.count);
		assert_true(tape_reader__verify(r, NULL, NULL) >= 1);
		tape_cursor__free(c);
		tape_reader__free(r);
		m.data[pos] ^= 0x10;
	}

	/* Random flips anywhere: never a crash, and never a wrong event count
	 * without an error saying so. */
	for (int k = 0; k < 3000; k++) {
		size_t pos = mix(k) % m.len;
		uint8_t bit = 1u << (mix(k + 99) % 8);
		char err[256];
		struct tape_reader *r;
		uint64_t n;

		m.data[pos] ^= bit;
		r = tape_reader__open_mem(m.data, m.len, err, sizeof(err));
		if (!r) {
			assert_true(pos < 16);
			assert_true(strlen(err) > 0);
		} else {
			n = count_events(r, &errors);
			if (n != total)
				assert_true(errors > 0 || strlen(tape_reader__errmsg(r)) > 0);
			tape_reader__free(r);
		}
		m.data[pos] ^= bit;
	}
	tape_reader__free(full);
	free(m.data);
}

static bool want_event(const struct tape_select *s, const struct tape_event *ev)
{
	bool ok;

	if (s->since && ev->ts < s->since)
		return false;
	if (s->until && ev->ts > s->until)
		return false;
	if (s->pids) {
		ok = false;
		for (size_t i = 0; i < s->npids; i++)
			ok |= s->pids[i] == ev->pid;
		if (!ok)
			return false;
	}
	if (s->tids) {
		ok = false;
		for (size_t i = 0; i < s->ntids; i++)
			ok |= s->tids[i] == ev->tid;
		if (!ok)
			return false;
	}
	if (s->types) {
		ok = false;
		for (size_t i = 0; i < s->ntypes; i++)
			ok |= !strcmp(s->types[i], ev->tp->name);
		if (!ok)
			return false;
	}
	return true;
}

/* The same event: header, and every field unless @headers_only. */
static void same_event(const struct tape_event *a, const struct tape_event *b, bool headers_only)
{
	assert_int_equal(a->ts, b->ts);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->tid, b->tid);
	assert_int_equal(a->cpu, b->cpu);
	assert_int_equal(a->type, b->type);
	assert_string_equal(a->comm, b->comm);
	for (unsigned i = 0; !headers_only && i < a->tp->nfields; i++) {
		const union tape_value *x = &a->values[i], *y = &b->values[i];

		if (a->tp->fields[i].kind == TAPE_STR || a->tp->fields[i].kind == TAPE_BYTES) {
			assert_int_equal(x->b.len, y->b.len);
			assert_memory_equal(x->b.ptr, y->b.ptr, x->b.len);
		} else {
			assert_int_equal(x->u, y->u);
		}
	}
}

/* Events without a comm, one after another, from the first: the writer
 * once compared them with an empty dictionary's NULL bytes. */
static void test_empty_comm(void **state)
{
	struct mem m = {0};
	struct tape_writer *w = new_writer(&m, 16 << 10);
	const struct tape_event *ev;
	struct tape_cursor *c;
	struct tape_reader *r;
	struct gen g;
	int n = 0;

	(void)state;
	for (uint64_t i = 0; i < 3; i++) {
		gen_event(5, i, &g);
		g.ev.comm = i < 2 ? "" : NULL;
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = open_mem(&m);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		assert_string_equal(ev->comm, "");
		n++;
	}
	assert_int_equal(n, 3);
	tape_cursor__free(c);
	tape_reader__free(r);
	free(m.data);
}

static void test_select_matches_scan(void **state)
{
	struct mem m = {0};
	struct tape_writer *w;
	struct tape_reader *r;
	struct gen g;
	const uint64_t n = 200000;

	(void)state;
	/* Pids drift with time so that the index can skip chunks by pid. */
	w = new_writer(&m, 16 << 10);
	for (uint64_t i = 0; i < n; i++) {
		gen_event(11, i, &g);
		g.ev.pid += (i / 20000) * 10;
		g.ev.tid = g.ev.pid;
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = open_mem(&m);

	for (int k = 0; k < 40; k++) {
		uint64_t x = mix(k * 7 + 1);
		uint32_t pids[2] = {100 + (x % 7) + ((x >> 8) % 10) * 10, 103};
		const char *tnames[2] = {types[(x >> 16) % NTYPES].name, "blobs"};
		struct tape_select sel = {.sz = sizeof(sel), .no_losses = true};
		struct tape_cursor *all, *c;
		const struct tape_event *ev, *ev2;
		struct tape_cursor_stats st;
		uint64_t matched = 0;

		if (k % 2)
			sel.since = 1000000 + (x >> 20) % (n * 1000);
		if (k % 3)
			sel.until = sel.since + (x >> 24) % 5000000 + 1;
		if (k % 4 == 1) {
			sel.pids = pids;
			sel.npids = 1 + (k % 8 == 1);
		}
		if (k % 5 == 2) {
			sel.types = tnames;
			sel.ntypes = 1 + (k % 10 == 2);
		}
		if (k % 7 == 3) {
			sel.tids = pids;
			sel.ntids = 1;
		}
		/* headers only: fields undecoded, the rest the same */
		sel.no_fields = k % 6 == 5;
		all = tape_cursor__new(&r, 1,
				       &(struct tape_select){.sz = sizeof(sel), .no_losses = true});
		c = tape_cursor__new(&r, 1, &sel);
		assert_non_null(all);
		assert_non_null(c);
		while (tape_cursor__next(all, &ev) > 0) {
			if (!want_event(&sel, ev))
				continue;
			assert_int_equal(tape_cursor__next(c, &ev2), 1);
			same_event(ev, ev2, sel.no_fields);
			matched++;
		}
		assert_int_equal(tape_cursor__next(c, &ev2), 0);
		tape_cursor__stats(c, &st);
		if (sel.until && sel.since && sel.until - sel.since < 1000000)
			assert_true(st.chunks_skipped > st.chunks_read);
		tape_cursor__free(all);
		tape_cursor__free(c);
	}
	tape_reader__free(r);
	free(m.data);
}

static void test_merge(void **state)
{
	struct mem m[3];
	struct tape_reader *r[3];
	struct tape_cursor *c;
	const struct tape_event *ev;
	uint64_t last = 0, n = 0, per[3] = {0};
	int ret;

	(void)state;
	for (int k = 0; k < 3; k++) {
		struct tape_writer *w;
		struct gen g;

		memset(&m[k], 0, sizeof(m[k]));
		w = new_writer(&m[k], 4096);
		for (uint64_t i = 0; i < 5000; i++) {
			gen_event(k, i, &g);
			g.ev.ts = 1000000 + i * 3000 + k * 1000 + (k == 2 ? 1000 : 0);
			assert_int_equal(tape_writer__append(w, &g.ev), 0);
		}
		assert_int_equal(tape_writer__finish(w), 0);
		tape_writer__free(w);
		r[k] = open_mem(&m[k]);
	}
	c = tape_cursor__new(r, 3, NULL);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		assert_true(ev->ts >= last);
		assert_true(ev->source < 3);
		last = ev->ts;
		per[ev->source]++;
		n++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(n, 15000);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(per[k], 5000);
		tape_reader__free(r[k]);
		free(m[k].data);
	}
	tape_cursor__free(c);
}

static void test_meta_procs_losses(void **state)
{
	struct mem m;
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	const struct tape_proc *p;
	const char *k, *v;
	bool seen = false;
	uint64_t before = 0;

	(void)state;
	small_tape(&m, 9, 1000, 2048);
	r = open_mem(&m);
	assert_string_equal(tape_reader__meta(r, "hostname"), "testhost");
	assert_string_equal(tape_reader__meta(r, "kernel"), "6.18.1"); /* later value wins */
	assert_null(tape_reader__meta(r, "nope"));
	assert_int_equal(tape_reader__meta_count(r), 2);
	assert_int_equal(tape_reader__meta_at(r, 0, &k, &v), 0);
	assert_int_equal(tape_reader__proc_count(r), 2);
	p = tape_reader__proc(r, 0);
	assert_int_equal(p->pid, 100);
	assert_string_equal(p->exe, "/usr/bin/a");
	assert_int_equal(p->argv_len, 4);
	assert_memory_equal(p->argv, "a\0-x", 4);
	assert_string_equal(p->cgroup, "/system.slice");
	assert_int_equal(tape_reader__proc(r, 1)->uid, 1000);
	assert_int_equal(tape_reader__loss_count(r), 1);
	assert_int_equal(tape_reader__loss(r, 0)->count, 42);
	assert_string_equal(tape_reader__type(r, TAPE_TYPE_LOSS)->name, "lost");
	assert_int_equal(tape_reader__type_by_name(r, "ints")->nfields, 8);
	assert_int_equal(tape_type__field_index(tape_reader__type_by_name(r, "open"), "ret"), 4);
	assert_int_equal(tape_type__field_index(tape_reader__type_by_name(r, "open"), "x"),
			 -ENOENT);

	/* Typed getters, by index and by name. */
	c = tape_cursor__new(&r, 1,
			     &(struct tape_select){.sz = sizeof(struct tape_select),
						   .types = (const char *[]){"open"},
						   .ntypes = 1});
	assert_int_equal(tape_cursor__next(c, &ev), 1);
	{
		int64_t sv;
		uint64_t uv;
		const void *pp;
		uint32_t len;

		assert_int_equal(tape_event__int_by_name(ev, "dfd", &sv), 0);
		assert_int_equal(sv, -100);
		assert_int_equal(tape_event__uint(ev, 3, &uv), 0);
		assert_int_equal(uv, 0644);
		assert_int_equal(tape_event__bytes_by_name(ev, "path", &pp, &len), 0);
		assert_int_equal(len, strlen(pp));
		assert_memory_equal(pp, "/etc/file-", 10);
		assert_int_equal(tape_event__int_by_name(ev, "nope", &sv), -ENOENT);
		assert_int_equal(tape_event__int_by_name(ev, "path", &sv), -EINVAL);
		assert_int_equal(tape_event__bytes(ev, 0, &pp, &len), -EINVAL);
		assert_int_equal(tape_event__uint(ev, 9, &uv), -ENOENT);
	}
	tape_cursor__free(c);

	/* The loss appears in place, between the events around it. */
	c = tape_cursor__new(&r, 1, NULL);
	while (tape_cursor__next(c, &ev) > 0) {
		if (ev->type == TAPE_TYPE_LOSS) {
			assert_int_equal(ev->values[TAPE_LOSS_COUNT].u, 42);
			assert_int_equal(ev->values[TAPE_LOSS_CPU].u, 1);
			assert_int_equal(before, 501);
			seen = true;
		} else {
			before++;
		}
	}
	assert_true(seen);
	tape_cursor__free(c);

	/* Selecting only losses by type name. */
	c = tape_cursor__new(&r, 1,
			     &(struct tape_select){.sz = sizeof(struct tape_select),
						   .types = (const char *[]){"lost"},
						   .ntypes = 1});
	assert_int_equal(tape_cursor__next(c, &ev), 1);
	assert_int_equal(ev->type, TAPE_TYPE_LOSS);
	assert_int_equal(tape_cursor__next(c, &ev), 0);
	tape_cursor__free(c);
	tape_reader__free(r);
	free(m.data);
}

static void test_misuse(void **state)
{
	struct mem m = {0};
	struct tape_writer *w = new_writer(&m, 0);
	struct tape_field bad_field = {"x", 99, 0, NULL};
	struct tape_type bad = {0, "bad", "", "", 1, &bad_field};
	struct tape_event ev = {.type = 77};
	union tape_value v[5] = {0};

	(void)state;
	assert_int_equal(tape_writer__add_type(NULL, &types[0]), -EINVAL);
	assert_int_equal(tape_writer__add_type(w, NULL), -EINVAL);
	assert_int_equal(tape_writer__add_type(w, &types[0]), -EEXIST);
	assert_int_equal(tape_writer__add_type(w, &bad), -EINVAL);
	assert_int_equal(tape_writer__add_type(w, &(struct tape_type){0, "lost", "", "", 0, NULL}),
			 -EEXIST);
	assert_int_equal(tape_writer__append(w, &ev), -EINVAL);
	assert_true(strlen(tape_writer__errmsg(w)) > 0);
	ev.type = 1;
	assert_int_equal(tape_writer__append(w, &ev), -EINVAL); /* no values */
	ev.values = v;
	v[1].b.len = 5; /* a length without a pointer */
	assert_int_equal(tape_writer__append(w, &ev), -EINVAL);
	assert_int_equal(tape_writer__append(NULL, &ev), -EINVAL);
	assert_int_equal(tape_writer__set_meta(w, NULL, "x"), -EINVAL);
	assert_int_equal(tape_writer__add_loss(w, &(struct tape_loss){0, 1, 10, 5}), -EINVAL);
	assert_int_equal(tape_writer__finish(w), 0);
	assert_int_equal(tape_writer__finish(w), -EINVAL);
	v[1].b.len = 0;
	assert_int_equal(tape_writer__append(w, &ev), -EINVAL);
	tape_writer__free(w);
	tape_writer__free(NULL);
	tape_reader__free(NULL);
	tape_cursor__free(NULL);
	assert_null(tape_reader__open("/nonexistent/x.tape", NULL, 0));
	assert_int_equal(errno, ENOENT);
	assert_null(tape_cursor__new(NULL, 1, NULL));
	assert_int_equal(tape_cursor__next(NULL, NULL), -EINVAL);
	assert_int_equal(tape_reader__chunk(NULL, 0, NULL), -EINVAL);
	assert_int_equal(tape_format_value(NULL, 0, NULL, TAPE_ESC_RAW, NULL, 0), -EINVAL);
	free(m.data);
}

static void test_bad_files(void **state)
{
	char err[256];
	static const uint8_t foreign[] = "\x7f"
					 "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0";
	uint8_t hdr[16] = "BPFTAPE";

	(void)state;
	assert_null(tape_reader__open_mem(hdr, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
	assert_null(tape_reader__open_mem(foreign, sizeof(foreign), err, sizeof(err)));
	assert_non_null(strstr(err, "not a tape"));
	assert_null(tape_reader__open_mem(hdr, 10, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated"));
	hdr[8] = 9; /* version 9 */
	assert_null(tape_reader__open_mem(hdr, 16, err, sizeof(err)));
	assert_non_null(strstr(err, "version 9"));
	assert_int_equal(errno, EPROTONOSUPPORT);
}

static void test_write_error(void **state)
{
	struct mem m = {0};
	struct tape_writer *w;
	struct tape_reader *r;
	struct gen g;
	int err = 0, errors;
	uint64_t i, got;

	(void)state;
	m.fail_after = 30000;
	w = new_writer(&m, 2048);
	for (i = 0; i < 100000 && !err; i++) {
		gen_event(13, i, &g);
		err = tape_writer__append(w, &g.ev);
	}
	assert_int_equal(err, -ENOSPC);
	assert_non_null(strstr(tape_writer__errmsg(w), "No space left"));
	assert_int_equal(tape_writer__append(w, &g.ev), -ENOSPC); /* sticky */
	assert_true(m.len <= 30000);
	tape_writer__free(w);

	/* The partial block was cut off: every chunk written is readable. */
	r = open_mem(&m);
	got = count_events(r, &errors);
	assert_int_equal(errors, 0);
	assert_true(got > 0);
	assert_true(got < i);
	assert_int_equal(got, tape_reader__event_count(r));
	tape_reader__free(r);
	free(m.data);
}

static void test_format_value(void **state)
{
	const struct tape_type *open_t = &types[0], *blobs = &types[2];
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	struct sockaddr_un sun = {.sun_family = AF_UNIX, .sun_path = "/run/x.sock"};
	union tape_value v;
	char buf[128];

	(void)state;
	v.u = 02000001;
	tape_format_value(open_t, 2, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "O_WRONLY|O_CLOEXEC");
	v.u = 0;
	tape_format_value(open_t, 2, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "O_RDONLY");
	v.u = 040000000001;
	tape_format_value(open_t, 2, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "O_WRONLY|0x100000000");
	v.s = -2;
	tape_format_value(open_t, 4, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "-2(ENOENT)");
	v.s = 3;
	tape_format_value(open_t, 4, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "3");
	v.u = 0644;
	tape_format_value(open_t, 3, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "0644");
	v.b.ptr = "a\"b\n";
	v.b.len = 4;
	tape_format_value(open_t, 1, &v, TAPE_ESC_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "\"a\\\"b\\n\"");
	assert_int_equal(tape_format_value(open_t, 1, &v, TAPE_ESC_TEXT, buf, 3), 8);
	assert_string_equal(buf, "\"a");

	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	v.b.ptr = &sin6;
	v.b.len = sizeof(sin6);
	tape_format_value(blobs, 0, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:443");
	v.b.ptr = &sun;
	v.b.len = offsetof(struct sockaddr_un, sun_path) + 12;
	tape_format_value(blobs, 0, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "/run/x.sock");
	v.b.ptr = "ls\0-l\0a b";
	v.b.len = 9;
	tape_format_value(blobs, 1, &v, TAPE_ESC_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "\"ls\" \"-l\" \"a b\"");
	v.s = 15;
	tape_format_value(blobs, 2, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "SIGTERM");
	v.s = 3;
	tape_format_value(blobs, 2, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "3");
	assert_string_equal(tape_errno_name(-13), "EACCES");
	assert_null(tape_errno_name(0));
	assert_null(tape_errno_name(-2147483647 - 1));
	v.s = -4294967298ll; /* not an errno, though its low 32 bits are -2 */
	tape_format_value(open_t, 4, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "-4294967298");
}

static char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "/tmp/bpftape-test-%d-%s", getpid(), name);
	return path;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* A tape_reader__verify() callback: appends each message to the buffer
 * (of 1024 bytes) @ctx. */
static void collect_msg(void *ctx, const char *msg)
{
	size_t n = strlen(ctx);

	snprintf((char *)ctx + n, 1024 - n, "%s\n", msg);
}

/* ---- crafted tapes: blocks framed by hand, as docs/FORMAT.md says ---- */

static void craft_start(struct mem *m)
{
	static const uint8_t hdr[16] = "BPFTAPE\0\x01\0\0\0\0\0\0\0";

	memset(m, 0, sizeof(*m));
	assert_int_equal(mem_write(m, hdr, sizeof(hdr)), 0);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

/* A block with a good CRC at the end of @m; returns its offset. */
static size_t craft_block(struct mem *m, uint16_t type, uint32_t seq, const void *body, size_t len)
{
	uint8_t h[20] = {0x54, 0x42, 0x4c, 0x4b, (uint8_t)type, (uint8_t)(type >> 8)};
	size_t off = m->len;

	put32(h + 8, seq);
	put32(h + 12, (uint32_t)len);
	put32(h + 16, tape__crc32c(tape__crc32c(0, h, 16), body, len));
	assert_int_equal(mem_write(m, h, sizeof(h)), 0);
	assert_int_equal(mem_write(m, body, len), 0);
	return off;
}

/* A loss block's body: cpu, count, first_ts, span. */
static size_t loss_body(uint8_t *p, uint64_t cpu, uint64_t count, uint64_t first, uint64_t span)
{
	size_t n = put_varint(p, cpu);

	n += put_varint(p + n, count);
	n += put_varint(p + n, first);
	n += put_varint(p + n, span);
	return n;
}

/* A varint of ten bytes whose last byte carries more than bit 63 overflows
 * 64 bits: the spec says reject it, not keep its low bits. */
static void test_varint_overflow(void **state)
{
	/* cpu 1, count UINT64_MAX (nine 0xff, then 0x01), first_ts 5, span 0 */
	uint8_t max[13], over[sizeof(max)];
	struct tape_reader *r;
	struct mem m;

	(void)state;
	max[0] = 1;
	assert_int_equal(put_varint(max + 1, UINT64_MAX), 10);
	assert_int_equal(max[10], 0x01);
	max[11] = 5;
	max[12] = 0;
	craft_start(&m);
	craft_block(&m, 5, 0, max, sizeof(max));
	r = open_mem(&m);
	assert_int_equal(tape_reader__loss_count(r), 1);
	assert_true(tape_reader__loss(r, 0)->count == UINT64_MAX);
	tape_reader__free(r);
	free(m.data);

	memcpy(over, max, sizeof(max));
	over[10] = 0x02; /* bit 64 */
	craft_start(&m);
	craft_block(&m, 5, 0, over, sizeof(over));
	r = open_mem(&m);
	assert_int_equal(tape_reader__loss_count(r), 0);
	assert_non_null(strstr(tape_reader__errmsg(r), "overflows 64 bits"));
	assert_non_null(strstr(tape_reader__errmsg(r), "offset 16"));
	tape_reader__free(r);
	free(m.data);
}

/* An index whose per-type counts disagree with its chunk (they still sum to
 * the chunk's count): readers count and skip by them, so --verify says so. */
static void test_verify_index_counts(void **state)
{
	static const struct tape_type empty2 = {0, "empty2", "", "", 0, NULL};
	struct tape_event ev = {.pid = 7, .tid = 7, .comm = "x"};
	struct tape_chunk_info ci;
	struct tape_reader *r;
	struct tape_writer *w;
	struct mem m;
	uint8_t *sum, *copy, *end;
	uint64_t ioff;
	uint32_t ilen;
	char msgs[1024] = "";

	(void)state;
	memset(&m, 0, sizeof(m));
	w = new_writer(&m, 0);
	assert_int_equal(tape_writer__add_type(w, &empty2), NTYPES + 1);
	for (int i = 0; i < 8; i++) {
		ev.ts = 1000 + i;
		ev.type = i < 3 ? NTYPES : NTYPES + 1; /* 3 of one type, 5 of the other */
		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	assert_int_equal(tape_reader__chunk_count(r), 1);
	assert_int_equal(tape_reader__chunk(r, 0, &ci), 0);
	assert_int_equal(tape_reader__verify(r, NULL, NULL), 0);
	tape_reader__free(r);
	/* the chunk's summary ends "2 types: 4 x3, 5 x5"; its copy in the index
	 * is made to say "4 x5, 5 x3" */
	sum = m.data + ci.offset + 20;
	assert_memory_equal(sum + 1 + sum[0] - 5, "\x02\x04\x03\x05\x05", 5);
	ioff = 0;
	memcpy(&ioff, m.data + m.len - 16, 8);
	memcpy(&ilen, m.data + m.len - 8, 4);
	copy = memmem(m.data + ioff, ilen, sum, 1 + sum[0]);
	assert_non_null(copy);
	end = copy + 1 + sum[0];
	end[-3] = 5;
	end[-1] = 3;
	put32(m.data + ioff + 16,
	      tape__crc32c(tape__crc32c(0, m.data + ioff, 16), m.data + ioff + 20, ilen - 20));

	r = open_mem(&m);
	assert_false(tape_reader__recovered(r)); /* the index is used */
	assert_int_equal(tape_reader__chunk_type_count(r, 0, NTYPES), 5);
	assert_int_equal(tape_reader__verify(r, collect_msg, msgs), 1);
	assert_non_null(strstr(msgs, "index says 5 events of type 4, the chunk 3"));
	/* and the check a count from the index relies on (query's counts
	 * from the index) refuses the chunk, with the same words */
	msgs[0] = 0;
	assert_int_equal(tape_reader__check_chunk(r, 0, msgs, sizeof(msgs)), -EBADMSG);
	assert_non_null(strstr(msgs, "index says 5 events of type 4, the chunk 3"));
	tape_reader__free(r);
	free(m.data);
}

/*
 * Run @fn(@arg) in a child under a CPU-time limit of @cpu_s seconds and an
 * address-space limit of @as_mb MiB (0: none); true if it returned true
 * within them.  The limits are wide (tens of times what a linear reader
 * needs here): they catch a quadratic loop or an unbounded allocation,
 * not a slow machine.
 */
static bool bounded(bool (*fn)(void *), void *arg, unsigned cpu_s, unsigned as_mb)
{
	int status;
	pid_t pid;

#if defined(__SANITIZE_ADDRESS__)
	/* ASan reserves terabytes of address space for its shadow: only the
	 * CPU limit holds under it (its own allocator reports excess) */
	as_mb = 0;
#endif
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit cpu = {cpu_s, cpu_s + 5},
			      as = {(rlim_t)as_mb << 20, (rlim_t)as_mb << 20};

		setrlimit(RLIMIT_CPU, &cpu);
		if (as_mb)
			setrlimit(RLIMIT_AS, &as);
		_exit(fn(arg) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		print_message("child killed by signal %d (%s)\n", WTERMSIG(status),
			      WTERMSIG(status) == SIGXCPU ? "CPU limit"
							  : strsignal(WTERMSIG(status)));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define MANY 400000

/* Open the crafted tape @arg (a struct mem) and read every loss record
 * through a cursor: true if all MANY metadata keys and losses are there. */
static bool open_and_read(void *arg)
{
	const struct mem *m = arg;
	struct tape_reader *r = tape_reader__open_mem(m->data, m->len, NULL, 0);
	struct tape_cursor *c;
	const struct tape_event *ev;
	uint64_t n = 0, last = 0;
	bool ok;

	if (!r)
		return false;
	c = tape_cursor__new(&r, 1, NULL);
	while (c && tape_cursor__next(c, &ev) > 0) {
		if (ev->ts < last)
			return false;
		last = ev->ts;
		n++;
	}
	ok = c && n == MANY && tape_reader__meta_count(r) == MANY &&
	     tape_reader__meta(r, "key.123456") && tape_reader__loss_count(r) == MANY;
	tape_cursor__free(c);
	tape_reader__free(r);
	return ok;
}

/* Many metadata keys, many loss records: each is parsed and ordered in
 * about n log n (a list searched per key, an insertion sort of losses in
 * descending time took minutes at this size). */
static void test_many_keys_and_losses(void **state)
{
	uint8_t *meta = malloc((size_t)MANY * 24 + 16);
	size_t mlen;
	struct mem m;

	(void)state;
	assert_non_null(meta);
	mlen = put_varint(meta, MANY);
	for (unsigned i = 0; i < MANY; i++) {
		char k[32];
		size_t n = (size_t)snprintf(k, sizeof(k), "key.%u", i);

		mlen += put_varint(meta + mlen, n);
		memcpy(meta + mlen, k, n);
		mlen += n;
		mlen += put_varint(meta + mlen, 1);
		meta[mlen++] = 'v';
	}
	craft_start(&m);
	craft_block(&m, 1, 0, meta, mlen);
	free(meta);
	for (unsigned i = 0; i < MANY; i++) {
		uint8_t b[40];
		/* descending first timestamps: the worst order for an insertion */
		size_t n = loss_body(b, i % 4, 1, 1000000000ull + (uint64_t)(MANY - i) * 1000, 10);

		craft_block(&m, 5, i + 1, b, n);
	}
	assert_true(bounded(open_and_read, &m, 30, 0));
	free(m.data);
}

/* A metadata value holding the bytes of a valid loss block, in a metadata
 * block whose CRC no longer checks: the damage is in that block's body, and
 * the block inside it must not be taken for a real one. */
static void test_resync_forged(void **state)
{
	uint8_t loss[40], body[128];
	struct tape_reader *r;
	struct mem forged, m;
	size_t n, off;

	(void)state;
	for (int tail = 0; tail < 2; tail++) {
		memset(&forged, 0, sizeof(forged));
		craft_block(&forged, 5, 9, loss, loss_body(loss, 3, 1000000, 5000, 1));
		n = put_varint(body, 1);
		n += put_varint(body + n, 1);
		body[n++] = 'k';
		n += put_varint(body + n, forged.len);
		memcpy(body + n, forged.data, forged.len);
		n += forged.len;
		free(forged.data);

		craft_start(&m);
		off = craft_block(&m, 1, 0, body, n);
		m.data[off + 20 + 2] ^= 0x20; /* 'k' -> 'K': the CRC fails */
		if (!tail) /* a real loss after it (else the damaged block ends the file) */
			craft_block(&m, 5, 1, loss, loss_body(loss, 1, 7, 9000, 1));
		r = open_mem(&m);
		assert_int_equal(tape_reader__loss_count(r), tail ? 0 : 1);
		if (!tail)
			assert_int_equal(tape_reader__loss(r, 0)->count, 7);
		assert_int_equal(tape_reader__problem_count(r), 1);
		assert_non_null(strstr(tape_reader__problem(r, 0), "(metadata) at offset 16: CRC"));
		assert_null(tape_reader__meta(r, "K"));
		tape_reader__free(r);
		free(m.data);
	}
}

#define REGION_HEADERS 200000

static bool open_finds_loss(void *arg)
{
	const struct mem *m = arg;
	struct tape_reader *r = tape_reader__open_mem(m->data, m->len, NULL, 0);
	bool ok = r && tape_reader__loss_count(r) == 1 && tape_reader__loss(r, 0)->count == 7 &&
		  tape_reader__problem_count(r) == 1;

	tape_reader__free(r);
	return ok;
}

/* A damaged region of 4 MB made of block headers, each claiming a body up to
 * the region's end and none with a good CRC: the search for the next good
 * block is linear in the region (taking each candidate's CRC on its own,
 * it took about a minute). */
static void test_resync_linear(void **state)
{
	uint8_t loss[40], h[20] = {0x54, 0x42, 0x4c, 0x4b, 1};
	struct mem m;

	(void)state;
	craft_start(&m);
	craft_block(&m, 1, 0,
		    "\x01\x01"
		    "a\x01"
		    "b",
		    5);
	assert_int_equal(mem_write(&m, "garbage", 7), 0); /* no framing to trust */
	for (uint32_t i = 0; i < REGION_HEADERS; i++) {
		put32(h + 12, (REGION_HEADERS - 1 - i) * 20);
		assert_int_equal(mem_write(&m, h, sizeof(h)), 0);
	}
	craft_block(&m, 5, 2, loss, loss_body(loss, 0, 7, 1000, 5));
	assert_true(bounded(open_finds_loss, &m, 30, 0));
	free(m.data);
}

/* ---- hostile chunks: memory bounded by a fixed limit, not the payload ---- */

/* A schema block: one type of id @id named "h" with @nfields u8 fields. */
static void craft_schema(struct mem *m, uint32_t id, unsigned nfields)
{
	uint8_t rec[512], body[600];
	size_t r = put_varint(rec, id), n;

	rec[r++] = 1;
	rec[r++] = 'h';
	rec[r++] = 0; /* source */
	rec[r++] = 0; /* format */
	r += put_varint(rec + r, nfields);
	for (unsigned f = 0; f < nfields; f++) {
		rec[r++] = 2;
		rec[r++] = 'f';
		rec[r++] = (uint8_t)('0' + f % 64);
		rec[r++] = 1; /* u8 */
		rec[r++] = 0;
		rec[r++] = 0;
	}
	n = put_varint(body, 0); /* no enums */
	n += put_varint(body + n, 1);
	n += put_varint(body + n, r);
	memcpy(body + n, rec, r);
	craft_block(m, 2, 0, body, n + r);
}

/* A payload streamed into one zstd frame without holding it whole. */
struct zpay {
	ZSTD_CCtx *z;
	uint8_t *out;
	size_t len, cap;
	uint64_t raw;
};

static void zpay_put(struct zpay *zp, const void *p, size_t n, bool end)
{
	ZSTD_inBuffer in = {p, n, 0};

	zp->raw += n;
	for (;;) {
		ZSTD_outBuffer out;
		size_t left;

		if (zp->cap - zp->len < 65536) {
			zp->cap = zp->cap * 2 + 65536;
			zp->out = realloc(zp->out, zp->cap);
			assert_non_null(zp->out);
		}
		out = (ZSTD_outBuffer){zp->out, zp->cap, zp->len};
		left = ZSTD_compressStream2(zp->z, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
		assert_false(ZSTD_isError(left));
		zp->len = out.pos;
		if (in.pos == in.size && (!end || !left))
			return;
	}
}

/* @n zero bytes */
static void zpay_zeros(struct zpay *zp, uint64_t n)
{
	static const uint8_t zero[1 << 16];

	for (; n; n -= n < sizeof(zero) ? n : sizeof(zero))
		zpay_put(zp, zero, n < sizeof(zero) ? n : sizeof(zero), false);
}

/* The six common columns of events all at min_ts, pid 1, type @type,
 * comm string 0: byte planes of width 0, whatever their count. */
static void zpay_common(struct zpay *zp, uint32_t type)
{
	uint8_t c[64];
	size_t n = 0;

	for (int k = 0; k < 6; k++) {
		uint8_t base[10];
		size_t bl = put_varint(base, k == 1 ? type : 0);

		c[n++] = (uint8_t)(bl + 2);
		c[n++] = 0; /* byte planes */
		memcpy(c + n, base, bl);
		n += bl;
		c[n++] = 0; /* width */
	}
	zpay_put(zp, c, n, false);
}

/* A chunk block of @count events of @type around payload @zp. */
static void craft_chunk(struct mem *m, uint32_t seq, uint32_t type, uint32_t count,
			const struct zpay *zp)
{
	uint8_t sum[128], *body;
	size_t n = 0, sl;

	sum[n++] = 1; /* zstd */
	n += put_varint(sum + n, count);
	n += put_varint(sum + n, 1000); /* min_ts */
	n += put_varint(sum + n, 0);
	n += put_varint(sum + n, 1); /* min_pid */
	n += put_varint(sum + n, 0);
	memset(sum + n, 0xff, 32);
	n += 32;
	n += put_varint(sum + n, zp->raw);
	n += put_varint(sum + n, 1);
	n += put_varint(sum + n, type);
	n += put_varint(sum + n, count);
	body = malloc(n + 8 + zp->len);
	assert_non_null(body);
	sl = put_varint(body, n);
	memcpy(body + sl, sum, n);
	memcpy(body + sl + n, zp->out, zp->len);
	craft_block(m, 4, seq, body, sl + n + zp->len);
	free(body);
}

static void zpay_start(struct zpay *zp, uint64_t raw)
{
	memset(zp, 0, sizeof(*zp));
	zp->z = ZSTD_createCCtx();
	assert_non_null(zp->z);
	ZSTD_CCtx_setParameter(zp->z, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setPledgedSrcSize(zp->z, raw);
}

static void zpay_free(struct zpay *zp)
{
	ZSTD_freeCCtx(zp->z);
	free(zp->out);
}

/*
 * One chunk of three events of a one-field type (f0 = 7 each, comm "x")
 * whose payload goes on after its last column, as a newer writer's may:
 * docs/FORMAT.md says readers ignore those bytes.
 */
static void trailing_tape(struct mem *m)
{
	static const uint8_t strings[] = {1, 1, 'x', 0};	 /* one string: "x" */
	static const uint8_t f0[] = {3, 0, 7, 0};		 /* byte planes: base 7, width 0 */
	static const uint8_t later[] = {5, 0x2a, 'n', 'e', 'w'}; /* what a later writer adds */
	struct zpay zp, sizing;

	/* the frame must know its size: measure the payload first */
	for (int pass = 0; pass < 2; pass++) {
		struct zpay *z = pass ? &zp : &sizing;

		zpay_start(z, pass ? sizing.raw : ZSTD_CONTENTSIZE_UNKNOWN);
		zpay_put(z, strings, sizeof(strings), false);
		zpay_common(z, 1);
		zpay_put(z, f0, sizeof(f0), false);
		zpay_put(z, later, sizeof(later), true);
	}
	craft_start(m);
	craft_schema(m, 1, 1);
	craft_chunk(m, 1, 1, 3, &zp);
	zpay_free(&sizing);
	zpay_free(&zp);
}

static void test_trailing_payload(void **state)
{
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	unsigned n = 0;
	struct mem m;
	int ret;

	(void)state;
	trailing_tape(&m);
	r = tape_reader__open_mem(m.data, m.len, NULL, 0);
	assert_non_null(r);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		assert_string_equal(ev->comm, "x");
		assert_int_equal(ev->tp->nfields, 1);
		assert_int_equal(ev->values[0].u, 7);
		n++;
	}
	if (ret < 0)
		fail_msg("bytes after the last column refused: %s", tape_cursor__errmsg(c));
	assert_int_equal(n, 3);
	tape_cursor__free(c);
	tape_reader__free(r);
	free(m.data);
}

struct hostile {
	const struct mem *m;
	uint32_t events;     /* events the reader should yield (at most 1000 are read) */
	uint32_t errors;     /* chunks it should refuse */
	const char *errtext; /* in each refusal */
};

/* Read every event of the crafted tape; true when the events and refusals
 * are the ones expected, and none was for want of memory. */
static bool read_hostile(void *arg)
{
	const struct hostile *h = arg;
	struct tape_reader *r = tape_reader__open_mem(h->m->data, h->m->len, NULL, 0);
	struct tape_cursor *c = r ? tape_cursor__new(&r, 1, NULL) : NULL;
	const struct tape_event *ev;
	uint32_t events = 0, errors = 0;
	bool ok = c != NULL;
	int ret;

	while (c && (ret = tape_cursor__next(c, &ev)) != 0) {
		if (ret > 0) {
			for (unsigned f = 0; f < ev->tp->nfields; f++)
				ok &= ev->values[f].u == 0;
			/* the memory is taken when a chunk opens: its first
			 * thousand events say it decodes */
			if (++events == 1000)
				break;
			continue;
		}
		errors++;
		if (ret == -ENOMEM || !strstr(tape_cursor__errmsg(c), h->errtext)) {
			print_message("error %d: %s\n", ret, tape_cursor__errmsg(c));
			ok = false;
			break;
		}
	}
	if (ok && (events != h->events || errors != h->errors)) {
		print_message("%u events and %u refusals, want %u and %u\n", events, errors,
			      h->events, h->errors);
		ok = false;
	}
	tape_cursor__free(c);
	tape_reader__free(r);
	return ok;
}

/* A string table of 128 Mi empty strings in a few KB, four chunks of it
 * overlapping in time: refused by name (the table holds more entries than
 * the chunk has string values), within 1 GiB of address space. */
static void test_hostile_string_table(void **state)
{
	uint32_t nstr = (1u << 27) - 64;
	struct hostile h = {.events = 0, .errors = 4, .errtext = "string table of"};
	uint8_t v[10];
	struct zpay zp;
	struct mem m;

	(void)state;
	zpay_start(&zp, put_varint(v, nstr) + 2ull * nstr + 24);
	zpay_put(&zp, v, put_varint(v, nstr), false);
	zpay_zeros(&zp, 2ull * nstr); /* each entry: length 0, then its NUL */
	zpay_common(&zp, 1);
	zpay_put(&zp, NULL, 0, true);
	craft_start(&m);
	craft_schema(&m, 1, 0);
	for (int i = 0; i < 4; i++)
		craft_chunk(&m, 1 + i, 1, 1, &zp);
	zpay_free(&zp);
	print_message("  %zu bytes of tape\n", m.len);
	h.m = &m;
	assert_true(bounded(read_hostile, &h, 60, 1024));
	free(m.data);
}

/* 16 Mi events of 64 dictionary columns (one bit per value) in a few KB:
 * the indexes are read in place, not unpacked (2 GiB), so the chunk decodes
 * within 1 GiB of address space. */
static void test_hostile_dictionaries(void **state)
{
	uint32_t count = 16u << 20;
	struct hostile h = {.events = 1000, .errors = 0, .errtext = ""};
	uint8_t col[16], v[4] = {1, 0, 0};
	size_t cl = 0, packed = count / 8;
	struct zpay zp;
	struct mem m;

	(void)state;
	cl = put_varint(col, 1 + 1 + 2 + 1 + packed);
	col[cl++] = 1; /* dictionary */
	col[cl++] = 2; /* k */
	col[cl++] = 0; /* 0, */
	col[cl++] = 1; /* 1 */
	col[cl++] = 1; /* bits */
	zpay_start(&zp, 3 + 24 + 64 * (cl + packed));
	zpay_put(&zp, v, 3, false); /* one string, empty */
	zpay_common(&zp, 1);
	for (int f = 0; f < 64; f++) {
		zpay_put(&zp, col, cl, false);
		zpay_zeros(&zp, packed);
	}
	zpay_put(&zp, NULL, 0, true);
	craft_start(&m);
	craft_schema(&m, 1, 64);
	craft_chunk(&m, 1, 1, count, &zp);
	zpay_free(&zp);
	print_message("  %zu bytes of tape\n", m.len);
	h.m = &m;
	assert_true(bounded(read_hostile, &h, 120, 1024));
	free(m.data);
}

/* Read the tape of @arg (a struct mem) of OVERLAP_CHUNKS one-event chunks:
 * true when some events come out and the other chunks are refused for the
 * cursor's memory limit, never for want of memory. */
#define OVERLAP_CHUNKS 8000

static bool read_overlap(void *arg)
{
	const struct mem *m = arg;
	struct tape_reader *r = tape_reader__open_mem(m->data, m->len, NULL, 0);
	struct tape_cursor *c = r ? tape_cursor__new(&r, 1, NULL) : NULL;
	const struct tape_event *ev;
	uint32_t events = 0, refused = 0;
	bool ok = c != NULL;
	int ret;

	while (ok && (ret = tape_cursor__next(c, &ev)) != 0) {
		if (ret > 0)
			events++;
		else if (ret == -E2BIG && strstr(tape_cursor__errmsg(c), "over the limit"))
			refused++;
		else
			ok = false;
	}
	if (!ok || !events || !refused || events + refused != OVERLAP_CHUNKS) {
		print_message("%u events, %u refused, last error: %s\n", events, refused,
			      c ? tape_cursor__errmsg(c) : "");
		ok = false;
	}
	tape_cursor__free(c);
	tape_reader__free(r);
	return ok;
}

/* Thousands of one-event chunks overlapping in time, of a tape whose type
 * ids go up to 65535: each open chunk costs a map of every type id, and the
 * cursor refuses by name the chunks past its limit on what open chunks hold
 * rather than exhausting memory (1.5 GiB of address space here). */
static void test_hostile_overlap(void **state)
{
	uint8_t v[3] = {1, 0, 0};
	struct zpay zp;
	struct mem m;

	(void)state;
	zpay_start(&zp, 3 + 26);
	zpay_put(&zp, v, 3, false);
	zpay_common(&zp, 65535);
	zpay_put(&zp, NULL, 0, true);
	assert_int_equal(zp.raw, 3 + 26);
	craft_start(&m);
	craft_schema(&m, 65535, 0);
	for (uint32_t i = 0; i < OVERLAP_CHUNKS; i++)
		craft_chunk(&m, 1 + i, 65535, 1, &zp);
	zpay_free(&zp);
	assert_true(bounded(read_overlap, &m, 60, 1536));
	free(m.data);
}

/* Anything but a regular file is refused by name before it is read: a FIFO
 * would block the reader for ever, a directory fail it obscurely. */
static void test_not_a_file(void **state)
{
	char fifo[256], err[256];

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s", tmp_path("fifo"));
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* were it opened blocking, this would wait for a writer, and the
	 * alarm end the test */
	alarm(20);
	assert_null(tape_reader__open(fifo, err, sizeof(err)));
	alarm(0);
	assert_int_equal(errno, ESPIPE);
	assert_non_null(strstr(err, "FIFO"));
	unlink(fifo);
	assert_null(tape_reader__open("/tmp", err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(err, "directory"));
	assert_null(tape_reader__open("/dev/null", err, sizeof(err)));
	assert_non_null(strstr(err, "character device"));
}

static void test_recover(void **state)
{
	struct mem m;
	struct tape_reader *full, *r;
	struct tape_recover_stats st;
	struct tape_chunk_info ci;
	char in[256], out[256], err[256];
	uint64_t want = 0;
	size_t cut;
	int errors;

	(void)state;
	small_tape(&m, 17, 3000, 4096);
	full = open_mem(&m);
	assert_int_equal(tape_reader__chunk(full, 5, &ci), 0);
	cut = ci.offset + ci.block_len / 2; /* in the middle of chunk 5 */
	for (size_t i = 0; i < 5; i++) {
		struct tape_chunk_info c;

		tape_reader__chunk(full, i, &c);
		want += c.count;
	}
	snprintf(in, sizeof(in), "%s", tmp_path("in.tape"));
	snprintf(out, sizeof(out), "%s", tmp_path("out.tape"));
	write_file(in, m.data, cut);
	assert_int_equal(tape_recover(in, out, &st, err, sizeof(err)), 0);
	assert_int_equal(st.events_kept, want);
	assert_true(st.bytes_lost > 0);
	assert_true(st.blocks_kept > 5);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_false(tape_reader__recovered(r));
	assert_int_equal(count_events(r, &errors), want);
	assert_int_equal(errors, 0);
	assert_int_equal(tape_reader__proc_count(r), 2);
	assert_string_equal(tape_reader__meta(r, "hostname"), "testhost");
	tape_reader__free(r);

	/* A corrupt chunk in the middle: everything else is kept. */
	m.data[ci.offset + 40] ^= 1;
	write_file(in, m.data, m.len);
	assert_int_equal(tape_recover(in, out, &st, err, sizeof(err)), 0);
	assert_int_equal(st.blocks_bad, 1);
	assert_int_equal(st.events_kept, tape_reader__event_count(full) - ci.count);
	assert_non_null(strstr(err, "CRC mismatch"));
	unlink(in);
	unlink(out);
	tape_reader__free(full);
	free(m.data);
}

static void test_refresh(void **state)
{
	struct tape_writer_opts live = {.sz = sizeof(live), .flags = TAPE_WRITER_LIVE};
	char path[256], err[256];
	struct tape_writer *w;
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	struct gen g;
	uint64_t n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s", tmp_path("live.tape"));
	w = tape_writer__open(path, &live);
	assert_non_null(w);
	for (int i = 0; i < NTYPES; i++)
		assert_int_equal(tape_writer__add_type(w, &types[i]), i + 1);
	for (uint64_t i = 0; i < 100; i++) {
		gen_event(19, i, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__flush(w), 0);

	r = tape_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_true(tape_reader__recovered(r));
	c = tape_cursor__new(&r, 1, NULL);
	while (tape_cursor__next(c, &ev) > 0)
		n++;
	assert_int_equal(n, 100);

	for (uint64_t i = 100; i < 250; i++) {
		gen_event(19, i, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__flush(w), 0);
	assert_true(tape_reader__refresh(r) > 0);
	while (tape_cursor__next(c, &ev) > 0) {
		gen_event(19, n++, &g);
		assert_event_eq(ev, &g.ev);
	}
	assert_int_equal(n, 250);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	tape_cursor__free(c);
	tape_reader__free(r);
	unlink(path);
	/* The tape is created private: it holds paths and arguments. */
}

static void sleep_ns(uint64_t ns)
{
	struct timespec t = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static uint64_t cursor_rest(struct tape_cursor *c)
{
	const struct tape_event *ev;
	uint64_t n = 0;

	while (tape_cursor__next(c, &ev) > 0)
		n++;
	return n;
}

/*
 * A live writer with max_delay_ns never keeps an event only in memory for
 * longer, even when no other event comes: tape_writer__tick() writes it
 * out, and a reader following the file sees it; the trailer tells that
 * reader the tape is complete.  Sleeps only ever exceed the bound.
 */
static void test_max_delay(void **state)
{
	const uint64_t delay = 50 * 1000000ull;
	struct tape_writer_opts opts = {
		.sz = sizeof(opts), .max_delay_ns = delay, .flags = TAPE_WRITER_LIVE};
	char path[256], err[256];
	struct tape_writer *w;
	struct tape_reader *r;
	struct tape_cursor *c;
	struct gen g;

	(void)state;
	snprintf(path, sizeof(path), "%s", tmp_path("delay.tape"));
	w = tape_writer__open(path, &opts);
	assert_non_null(w);
	for (int i = 0; i < NTYPES; i++)
		assert_int_equal(tape_writer__add_type(w, &types[i]), i + 1);
	for (uint64_t i = 0; i < 3; i++) {
		gen_event(23, i, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	/* appended, not written yet */
	assert_int_equal(tape_writer__events(w), 3);
	assert_int_equal(tape_writer__events_written(w), 0);
	r = tape_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_false(tape_reader__finished(r));
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	assert_int_equal(cursor_rest(c), 0);

	sleep_ns(2 * delay);
	assert_int_equal(tape_writer__tick(w), 1);
	assert_int_equal(tape_writer__events_written(w), 3);
	assert_int_equal(tape_writer__tick(w), 0); /* nothing left to write */
	assert_true(tape_reader__refresh(r) > 0);
	assert_int_equal(cursor_rest(c), 3);
	assert_false(tape_reader__finished(r));

	/* an event appended long after the last cut starts a new wait */
	sleep_ns(2 * delay);
	gen_event(23, 3, &g);
	assert_int_equal(tape_writer__append(w, &g.ev), 0);
	assert_int_equal(tape_writer__events_written(w), 3);
	sleep_ns(2 * delay);
	assert_int_equal(tape_writer__tick(w), 1);
	assert_true(tape_reader__refresh(r) > 0);
	assert_int_equal(cursor_rest(c), 1);

	assert_int_equal(tape_writer__finish(w), 0);
	assert_true(tape_reader__refresh(r) > 0);
	assert_true(tape_reader__finished(r));
	assert_int_equal(cursor_rest(c), 0);
	tape_cursor__free(c);
	tape_reader__free(r);
	tape_writer__free(w);

	/* a finished tape opens finished */
	r = tape_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_true(tape_reader__finished(r));
	tape_reader__free(r);
	unlink(path);
}

/* Without max_delay_ns what a writer writes depends on its input alone. */
static void test_no_delay_by_default(void **state)
{
	struct tape_writer *w;
	struct mem m = {0};
	struct tape_io io = {mem_write, mem_truncate, &m};
	struct gen g;
	size_t len;

	(void)state;
	w = tape_writer__new(&io, NULL);
	assert_non_null(w);
	for (int i = 0; i < NTYPES; i++)
		assert_int_equal(tape_writer__add_type(w, &types[i]), i + 1);
	gen_event(29, 0, &g);
	assert_int_equal(tape_writer__append(w, &g.ev), 0);
	len = m.len;
	sleep_ns(20 * 1000000ull);
	assert_int_equal(tape_writer__tick(w), 0);
	assert_int_equal(m.len, len);
	assert_int_equal(tape_writer__events_written(w), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	assert_int_equal(tape_writer__events_written(w), 1);
	tape_writer__free(w);
	free(m.data);
}

/* Events whose chunk the output refused are appended, not written. */
static void test_events_written_full(void **state)
{
	struct tape_writer *w;
	struct mem m = {0};
	struct tape_io io = {mem_write, mem_truncate, &m};
	struct gen g;

	(void)state;
	w = tape_writer__new(&io, NULL);
	assert_non_null(w);
	for (int i = 0; i < NTYPES; i++)
		assert_int_equal(tape_writer__add_type(w, &types[i]), i + 1);
	for (uint64_t i = 0; i < 10; i++) {
		gen_event(31, i, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__flush(w), 0);
	m.fail_after = m.len + 10; /* the disk fills */
	for (uint64_t i = 10; i < 15; i++) {
		gen_event(31, i, &g);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	assert_int_equal(tape_writer__flush(w), -ENOSPC);
	assert_int_equal(tape_writer__events(w), 15);
	assert_int_equal(tape_writer__events_written(w), 10);
	tape_writer__free(w);
	free(m.data);
}

static void test_file_mode(void **state)
{
	char path[256];
	struct tape_writer *w;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s", tmp_path("mode.tape"));
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a live tape's path names it with its header from the start: the
	 * writer builds the header in an unnamed file and replaces what was
	 * there (a new inode), never truncating in place */
	struct tape_writer_opts live = {.sz = sizeof(live), .flags = TAPE_WRITER_LIVE};
	ino_t before = st.st_ino;
	char target[256];
	int fd;

	w = tape_writer__open(path, &live);
	assert_non_null(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_not_equal(st.st_ino, before);
	assert_true(st.st_size > 0);
	tape_writer__free(w);
	/* any other tape gets the path only when finished: freed unfinished,
	 * it leaves the old file as it was */
	assert_int_equal(stat(path, &st), 0);
	before = st.st_ino;
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__flush(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, before);
	tape_writer__free(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, before);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__finish(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_not_equal(st.st_ino, before);
	tape_writer__free(w);
	/* a symlink at the path is replaced, its target left alone */
	snprintf(target, sizeof(target), "%s", tmp_path("mode-target"));
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	unlink(target);
	/* a device is written in place */
	w = tape_writer__open("/dev/null", NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	assert_int_equal(lstat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	/* ...and through a symlink (as /dev/stdout is), which stays */
	unlink(path);
	assert_int_equal(symlink("/dev/null", path), 0);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* a missing directory is an error, not a crash */
	assert_null(tape_writer__open("/nonexistent-dir/x.tape", NULL));
	assert_int_equal(errno, ENOENT);
	unlink(path);
}

static const char tp_format[] =
	"name: sched_demo\n"
	"ID: 321\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"comm=%s pid=%d prio=%d\", REC->comm, REC->pid, REC->prio\n";

static void test_tracepoint_decoded(void **state)
{
	static const struct tape_field raw_field = {"raw", TAPE_BYTES, 0, NULL};
	struct tape_type tp = {0, "sched_demo", "tracepoint:sched:sched_demo", tp_format,
			       1, &raw_field};
	struct tape_io io;
	struct mem m = {0};
	struct tape_writer *w;
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	const struct tape_type *t;
	uint8_t rec[32] = {0};
	union tape_value v = {.b = {rec, sizeof(rec)}};
	int32_t pid = 4242, prio = -5;
	char buf[64];

	(void)state;
	io = (struct tape_io){mem_write, mem_truncate, &m};
	w = tape_writer__new(&io, NULL);
	assert_int_equal(tape_writer__add_type(w, &tp), 1);
	memcpy(rec + 8, "kworker/0:1", 11);
	memcpy(rec + 24, &pid, 4);
	memcpy(rec + 28, &prio, 4);
	assert_int_equal(
		tape_writer__append(
			w,
			&(struct tape_event){
				.ts = 5, .pid = 1, .tid = 1, .type = 1, .comm = "x", .values = &v}),
		0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	t = tape_reader__type_by_name(r, "sched_demo");
	assert_non_null(t);
	assert_int_equal(t->nfields, 3);
	assert_int_equal(tape_type__field_index(t, "prio"), 2);
	c = tape_cursor__new(&r, 1, NULL);
	assert_int_equal(tape_cursor__next(c, &ev), 1);
	assert_string_equal(ev->values[0].b.ptr, "kworker/0:1");
	assert_int_equal(ev->values[1].s, 4242);
	assert_int_equal(ev->values[2].s, -5);
	tape_format_value(ev->tp, 2, &ev->values[2], TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "-5");
	tape_cursor__free(c);
	tape_reader__free(r);
	free(m.data);
}

/* ---- stacks (format 1.2) ---- */

static const struct tape_frame stack_a[] = {
	{0, "do_sys_openat2", 0x1f, NULL, NULL, 1, 0},
	{0, "nf_hook", 0x10, "nf_tables", NULL, 1, 0},
	{0x1139, NULL, 0, "/usr/bin/work", NULL, 0, 0},
	{0x2000, "main", 0x20, "/usr/bin/work", NULL, 0, 0},
	{0x29d90, NULL, 0, "/usr/lib/libc.so.6", NULL, 0, 1},
	{0xdead, NULL, 0, NULL, NULL, 0, 0},
};
static const struct tape_frame stack_b[] = {
	{0x1139, NULL, 0, "/usr/bin/work", NULL, 0, 0},
};

/* Events with and without stacks come back with their stack ids, and the
 * ids with their frames, across chunks and stack blocks written between. */
static void test_stacks_roundtrip(void **state)
{
	struct mem m = {0};
	struct tape_writer *w = new_writer(&m, 4096);
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	const struct tape_frame *f;
	struct gen g;
	size_t n, nstacks = 0;
	uint64_t i = 0;
	int ret;

	(void)state;
	assert_int_equal(tape_writer__add_stack(w, 1, stack_a, 6), 0);
	assert_int_equal(tape_writer__add_stack(w, 1, stack_b, 1), -EEXIST);
	for (; i < 3000; i++) {
		gen_event(5, i, &g);
		g.ev.stack_id = i % 3 == 0 ? 0 : i < 1500 ? 1 : 1 + i % 3;
		if (i == 1500)
			assert_int_equal(tape_writer__add_stack(w, 2, stack_b, 1), 0);
		if (i == 1500)
			assert_int_equal(tape_writer__add_stack(w, 3, NULL, 0), 0);
		assert_int_equal(tape_writer__append(w, &g.ev), 0);
	}
	g.ev.stack_id = 9;
	assert_int_equal(tape_writer__append(w, &g.ev), -EINVAL);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	assert_int_equal(tape_reader__stack_count(r), 3);
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(n, 6);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(f[k].kernel, stack_a[k].kernel);
		assert_int_equal(f[k].gap, stack_a[k].gap);
		assert_int_equal(f[k].address, stack_a[k].kernel ? 0 : stack_a[k].address);
		assert_int_equal(f[k].offset, stack_a[k].offset);
		if (stack_a[k].symbol)
			assert_string_equal(f[k].symbol, stack_a[k].symbol);
		else
			assert_null(f[k].symbol);
		if (stack_a[k].binary)
			assert_string_equal(f[k].binary, stack_a[k].binary);
		else
			assert_null(f[k].binary);
	}
	assert_int_equal(tape_reader__stack(r, 2, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].binary, "/usr/bin/work");
	assert_int_equal(tape_reader__stack(r, 3, &f, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tape_reader__stack(r, 4, &f, &n), -ENOENT);
	assert_int_equal(tape_reader__stack(r, 0, &f, &n), -ENOENT);

	/* a selection that passes over a type still keeps the ids in step */
	for (int pass = 0; pass < 2; pass++) {
		const char *only[] = {"open"};
		struct tape_select sel = {.sz = sizeof(sel), .no_losses = true};

		if (pass) {
			sel.types = only;
			sel.ntypes = 1;
		}
		c = tape_cursor__new(&r, 1, &sel);
		assert_non_null(c);
		i = 0;
		while ((ret = tape_cursor__next(c, &ev)) > 0) {
			/* events come back in append order (timestamps ascend) */
			while (gen_event(5, i, &g), pass && g.ev.type != ev->type)
				i++;
			assert_int_equal(ev->ts, g.ev.ts);
			assert_int_equal(ev->stack_id, i % 3 == 0 ? 0 : i < 1500 ? 1 : 1 + i % 3);
			nstacks += ev->stack_id != 0;
			i++;
		}
		assert_int_equal(ret, 0);
		tape_cursor__free(c);
	}
	assert_true(nstacks > 2000);
	tape_reader__free(r);
	free(m.data);
}

/* Without stacks a 1.2 tape is a 1.1 tape but for its minor version: the
 * checked-in 1.1 tape differs from today's writer in that byte alone, and
 * reads the same. */
/* User frames with the mapping blocks' binary ids: the stack block names a
 * binary only when no mapping block of the tape does. */
static void test_stacks_binary_ids(void **state)
{
	struct mem m = {0};
	struct tape_writer *w = new_writer(&m, 4096);
	struct tape_reader *r;
	const struct tape_frame *f;
	const struct tape_frame frames[] = {
		{.address = 0x1234, .binary = "/usr/bin/mapped", .binary_id = 7},
		{.address = 0x99, .binary = "/usr/lib/gone.so", .binary_id = 9},
		{.address = 0x55},
	};
	const struct tape_frame nopath[] = {{.address = 1, .binary_id = 11}};
	struct gen g;
	size_t n;

	(void)state;
	assert_int_equal(tape_writer__add_mapping(w,
						  &(struct tape_mapping){.kind = TAPE_MAPPING_MAP,
									 .pid = 42,
									 .ts = 1,
									 .start = 0x400000,
									 .end = 0x401000,
									 .binary = 7},
						  "/usr/bin/mapped"),
			 0);
	assert_int_equal(tape_writer__add_stack(w, 1, frames, 3), 0);
	gen_event(5, 0, &g);
	g.ev.stack_id = 1;
	assert_int_equal(tape_writer__append(w, &g.ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f[0].binary_id, 7);
	assert_string_equal(f[0].binary, "/usr/bin/mapped");
	assert_int_equal(f[0].address, 0x1234);
	assert_int_equal(f[1].binary_id, 9);
	assert_string_equal(f[1].binary, "/usr/lib/gone.so");
	assert_int_equal(f[2].binary_id, 0);
	assert_null(f[2].binary);
	tape_reader__free(r);
	/* the mapping block named 7: the stack block did not again */
	{
		const uint8_t *p = memmem(m.data, m.len, "/usr/bin/mapped", 15);

		assert_non_null(p);
		p += 15;
		assert_null(memmem(p, m.len - (size_t)(p - m.data), "/usr/bin/mapped", 15));
	}
	free(m.data);

	/* an id nothing names, without a path: refused */
	memset(&m, 0, sizeof(m));
	w = new_writer(&m, 4096);
	assert_int_equal(tape_writer__add_stack(w, 1, nopath, 1), -EINVAL);
	tape_writer__free(w);
	free(m.data);
}

/* User frames named from the tape's binary blocks: the innermost frame
 * where the code was, the others by the call before the return address. */
static void test_stacks_symbolize(void **state)
{
	struct mem m = {0};
	struct tape_writer *w = new_writer(&m, 4096);
	struct tape_reader *r;
	const struct tape_frame *f;
	const struct tape_frame frames[] = {
		{.address = 0x1005, .binary = "/usr/bin/prog", .binary_id = 3},
		{.address = 0x1010, .binary = "/usr/bin/prog", .binary_id = 3},
		{.address = 0x1030, .binary = "/usr/bin/prog", .binary_id = 3},
		{.address = 0x5000, .binary = "/usr/bin/prog", .binary_id = 3},
		{.address = 0x1005, .binary = "/usr/lib/nosyms.so", .binary_id = 4},
		{.address = 0x1005},
	};
	const struct symtab_seg seg = {
		.vaddr = 0x401000, .offset = 0x1000, .filesz = 0x1000, .flags = 5};
	struct symtab_sym syms[] = {
		{.start = 0x401000, .size = 0x10, .name = "first", .bind = SYMTAB_GLOBAL},
		{.start = 0x401010, .size = 0x40, .name = "second", .bind = SYMTAB_GLOBAL},
	};
	const uint8_t build_id[] = {0xab, 0xcd, 0x01};
	struct binary_desc d = {.id = 3,
				.path = "/usr/bin/prog",
				.build_id = build_id,
				.build_id_len = sizeof(build_id),
				.segs = &seg,
				.nsegs = 1,
				.sources = SYMTAB_SRC_SYMTAB};
	struct binary_desc unreadable = {
		.id = 4, .path = "/usr/lib/nosyms.so", .sources = SYMTAB_SRC_UNREADABLE};
	struct buf body = {0};
	struct gen g;
	size_t n;

	(void)state;
	assert_int_equal(tape__binary_encode(&body, &d, syms, 2), 0);
	assert_int_equal(tape__writer_add_binary(w, body.data, body.len), 0);
	body.len = 0;
	assert_int_equal(tape__binary_encode(&body, &unreadable, NULL, 0), 0);
	assert_int_equal(tape__writer_add_binary(w, body.data, body.len), 0);
	tape__buf_free(&body);
	assert_int_equal(tape_writer__add_stack(w, 1, frames, 6), 0);
	gen_event(5, 0, &g);
	g.ev.stack_id = 1;
	assert_int_equal(tape_writer__append(w, &g.ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = open_mem(&m);
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(f[0].symbol, "first");
	assert_int_equal(f[0].offset, 5);
	assert_string_equal(f[0].build_id_hex, "abcd01");
	/* a call that ends "first" returns to the start of "second" */
	assert_string_equal(f[1].symbol, "first");
	assert_int_equal(f[1].offset, 0x10);
	assert_string_equal(f[2].symbol, "second");
	assert_int_equal(f[2].offset, 0x20);
	assert_null(f[3].symbol); /* outside every segment: unknown */
	assert_string_equal(f[3].binary, "/usr/bin/prog");
	assert_null(f[4].symbol); /* no symbols in the tape: unknown */
	assert_string_equal(f[4].binary, "/usr/lib/nosyms.so");
	assert_null(f[5].symbol);
	assert_null(f[5].binary);
	/* asked again: the same */
	assert_int_equal(tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(f[1].offset, 0x10);
	tape_reader__free(r);
	free(m.data);
}

static void test_stacks_v11_layout(void **state)
{
	struct mem now;
	uint8_t *old;
	struct stat st;
	FILE *f;
	struct tape_reader *r;
	char err[256];
	int errors;

	(void)state;
	small_tape(&now, 23, 600, 2048);
	assert_int_equal(stat(GOLDEN_DIR "/format-valid-v1.1.tape", &st), 0);
	assert_int_equal((size_t)st.st_size, now.len);
	old = malloc(now.len);
	f = fopen(GOLDEN_DIR "/format-valid-v1.1.tape", "rb");
	assert_non_null(f);
	assert_int_equal(fread(old, 1, now.len, f), now.len);
	fclose(f);
	assert_int_equal(old[10], 1);
	assert_int_equal(now.data[10], TAPE_VERSION_MINOR);
	for (size_t k = 0; k < now.len; k++)
		if (k != 10 && old[k] != now.data[k])
			fail_msg("byte %zu differs from the 1.1 tape", k);
	r = tape_reader__open(GOLDEN_DIR "/format-valid-v1.1.tape", err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(count_events(r, &errors), 600);
	assert_int_equal(errors, 0);
	assert_int_equal(tape_reader__stack_count(r), 0);
	tape_reader__free(r);
	free(old);
	free(now.data);
}

/* ---- golden tapes ---- */

struct golden {
	const char *name;
	const char *error; /* expected in the open error or the cursor error; NULL: valid */
};

static const struct golden goldens[] = {
	{"format-valid.tape", NULL},
	{"format-empty.tape", "empty file"},
	{"format-foreign.tape", "not a tape"},
	{"format-truncated.tape", NULL}, /* recovered: complete chunks only */
	{"format-crc.tape", "CRC mismatch"},
	{"format-badfooter.tape", NULL}, /* recovered by scanning */
};

static void make_golden(const char *name, struct mem *out)
{
	struct mem m;

	small_tape(&m, 23, 600, 2048);
	if (!strcmp(name, "format-empty.tape")) {
		m.len = 0;
	} else if (!strcmp(name, "format-foreign.tape")) {
		memcpy(m.data, "#!/bin/sh\necho not a tape\n", 26);
		m.len = 26;
	} else if (!strcmp(name, "format-truncated.tape")) {
		m.len = m.len * 2 / 3;
	} else if (!strcmp(name, "format-crc.tape")) {
		struct tape_reader *r = open_mem(&m);
		struct tape_chunk_info ci;

		tape_reader__chunk(r, 1, &ci);
		m.data[ci.offset + ci.block_len - 3] ^= 0x40;
		tape_reader__free(r);
	} else if (!strcmp(name, "format-badfooter.tape")) {
		m.data[m.len - 5] ^= 0xff;
	}
	*out = m;
}

static void test_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		const struct golden *gt = &goldens[i];
		char path[512], err[256] = "";
		struct tape_reader *r;
		struct mem want;
		struct stat st;
		uint8_t *data;
		FILE *f;
		int errors;
		uint64_t n;

		snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, gt->name);
		/* The checked-in bytes are what this writer writes: a change to the
		 * encoding shows up here and must come with a format version. */
		make_golden(gt->name, &want);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal((size_t)st.st_size, want.len);
		data = malloc(want.len + 1);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(data, 1, want.len, f), want.len);
		fclose(f);
		if (memcmp(data, want.data, want.len))
			fail_msg("%s differs from what the writer produces", path);
		free(data);
		free(want.data);

		r = tape_reader__open(path, err, sizeof(err));
		if (!r) {
			assert_non_null(gt->error);
			if (!strstr(err, gt->error))
				fail_msg("%s: got '%s', want '%s'", gt->name, err, gt->error);
			continue;
		}
		n = count_events(r, &errors);
		if (!strcmp(gt->name, "format-valid.tape") ||
		    !strcmp(gt->name, "format-badfooter.tape")) {
			assert_int_equal(n, 600);
			assert_int_equal(errors, 0);
			assert_string_equal(tape_reader__meta(r, "hostname"), "testhost");
			assert_int_equal(tape_reader__recovered(r),
					 !strcmp(gt->name, "format-badfooter.tape"));
		} else if (!strcmp(gt->name, "format-truncated.tape")) {
			assert_true(tape_reader__recovered(r));
			assert_true(n > 0 && n < 600);
			assert_int_equal(errors, 0);
		} else {
			assert_int_equal(errors, 1);
			assert_true(n > 0 && n < 600);
			assert_int_equal(tape_reader__verify(r, NULL, NULL), 1);
		}
		tape_reader__free(r);
	}
}

/*
 * Process records gained container fields in 1.1.  A 1.0 tape (written by
 * the 1.0 writer, checked in) still reads, its containers derived from
 * the cgroup paths; 1.1 keeps what the writer was given, names included.
 */
static void test_proc_containers(void **state)
{
	static const char id[] = "c6a4258163d85c270ab4a5b2ee692d63884bcc41e9f6bc3aabc7413e028aa8c9";
	char path[512], err[256] = "";
	const struct tape_proc *p;
	struct tape_reader *r;
	struct tape_writer *w;
	struct mem m = {0};
	struct tape_proc cprocs[3] = {
		{.pid = 1,
		 .comm = "sh",
		 .exe = "/bin/sh",
		 .cgroup = "/libpod_parent/libpod-x",
		 .container = id,
		 .container_name = "web",
		 .runtime = "podman",
		 .pod = ""},
		/* no container fields given: the writer derives them */
		{.pid = 2,
		 .comm = "sh",
		 .exe = "/bin/sh",
		 .cgroup = "/docker/"
			   "c6a4258163d85c270ab4a5b2ee692d63884bcc41e9f6bc3aabc7413e028aa8c9"},
		{.pid = 3,
		 .comm = "cron",
		 .exe = "/usr/sbin/cron",
		 .cgroup = "/system.slice/cron.service"},
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/format-procs-v1.0.tape", GOLDEN_DIR);
	r = tape_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__proc_count(r), 2);
	p = tape_reader__proc(r, 0);
	assert_string_equal(p->container, id);
	assert_string_equal(p->container_name, "c6a4258163d8");
	assert_string_equal(p->runtime, "podman");
	assert_string_equal(p->pod, "");
	p = tape_reader__proc(r, 1);
	assert_string_equal(p->cgroup, "/system.slice/cron.service");
	assert_string_equal(p->container, "");
	assert_string_equal(p->runtime, "");
	tape_reader__free(r);

	w = new_writer(&m, 0);
	assert_int_equal(tape_writer__add_procs(w, cprocs, 3), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = open_mem(&m);
	p = tape_reader__proc(r, 0);
	assert_string_equal(p->container, id);
	assert_string_equal(p->container_name, "web");
	assert_string_equal(p->runtime, "podman");
	p = tape_reader__proc(r, 1);
	assert_string_equal(p->container, id);
	assert_string_equal(p->container_name, "c6a4258163d8");
	assert_string_equal(p->runtime, "docker");
	assert_string_equal(tape_reader__proc(r, 2)->container, "");
	tape_reader__free(r);
	free(m.data);
}

static int write_goldens(const char *dir)
{
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		char path[512];
		struct mem m;
		FILE *f;

		make_golden(goldens[i].name, &m);
		snprintf(path, sizeof(path), "%s/%s", dir, goldens[i].name);
		f = fopen(path, "wb");
		if (!f || fwrite(m.data, 1, m.len, f) != m.len || fclose(f)) {
			perror(path);
			return 1;
		}
		free(m.data);
		printf("wrote %s\n", path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_roundtrip_million),
		cmocka_unit_test(test_truncate_every_offset),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_empty_comm),
		cmocka_unit_test(test_select_matches_scan),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_meta_procs_losses),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_format_value),
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_max_delay),
		cmocka_unit_test(test_no_delay_by_default),
		cmocka_unit_test(test_events_written_full),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test(test_tracepoint_decoded),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_proc_containers),
		cmocka_unit_test(test_varint_overflow),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_verify_index_counts),
		cmocka_unit_test(test_many_keys_and_losses),
		cmocka_unit_test(test_resync_forged),
		cmocka_unit_test(test_resync_linear),
		cmocka_unit_test(test_hostile_string_table),
		cmocka_unit_test(test_hostile_dictionaries),
		cmocka_unit_test(test_hostile_overlap),
		cmocka_unit_test(test_trailing_payload),
		cmocka_unit_test(test_stacks_roundtrip),
		cmocka_unit_test(test_stacks_binary_ids),
		cmocka_unit_test(test_stacks_symbolize),
		cmocka_unit_test(test_stacks_v11_layout),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-golden"))
		return write_goldens(argv[2]);
	/* for tests/test_format_py.sh: the other reader reads it too */
	if (argc == 3 && !strcmp(argv[1], "--write-trailing")) {
		struct mem m;

		trailing_tape(&m);
		write_file(argv[2], m.data, m.len);
		free(m.data);
		return 0;
	}
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
