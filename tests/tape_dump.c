// SPDX-License-Identifier: MIT
/*
 * tape_dump: the canonical dump of a tape through libtape, the line format
 * of tests/tape_py.py, so tests/test_format_py.sh can diff the two readers.
 *
 * Tracepoint types (a non-empty format and a single bytes field "raw") are
 * dumped with the fields libtape decodes from the raw records; the Python
 * reader decodes them from the format text as FORMAT.md describes.
 *
 * Exit status: 0 clean, 1 the tape could not be opened, 2 a chunk was bad.
 */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape.h>

static void put_hex(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

static void put_str(const char *s)
{
	put_hex(s, s ? strlen(s) : 0);
}

static int cmp_meta(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(x[0], y[0]);
}

static void dump_type(const struct tape_type *t)
{
	printf("type %u %s source=", t->id, t->name);
	put_str(t->source);
	printf(" format=");
	put_str(t->format);
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct tape_field *f = &t->fields[i];
		const struct tape_enum *e = f->enumeration;

		printf(" %s:%u:%u", f->name, f->kind, f->display);
		if (!e)
			continue;
		printf(":%s{", e->name);
		for (uint32_t j = 0; j < e->count; j++) {
			printf("%s%" PRIu64 "=", j ? "," : "", e->values[j]);
			put_str(e->names[j]);
		}
		printf("}");
	}
	printf("\n");
}

static void dump_event(const struct tape_event *ev)
{
	const struct tape_type *t = ev->tp;

	printf("%" PRIu64 " %u %u %u %s comm=", ev->ts, ev->pid, ev->tid, ev->cpu, t->name);
	put_str(ev->comm);
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct tape_field *f = &t->fields[i];
		const union tape_value *v = &ev->values[i];

		printf(" %s=", f->name);
		if (f->kind == TAPE_STR || f->kind == TAPE_BYTES)
			put_hex(v->b.ptr, v->b.len);
		else if (f->kind >= TAPE_S8 && f->kind <= TAPE_S64)
			printf("%" PRId64, v->s);
		else
			printf("%" PRIu64, v->u);
	}
	printf("\n");
}

/* ---- a sample tape for the comparison ------------------------------------ */

/*
 * tape_dump --write OUT N [unfinished]: write a tape of about N events that
 * exercises what the golden tapes do not: equal timestamps across chunk
 * boundaries, losses tied with events, meta and schema blocks after events,
 * a tracepoint type, extreme values, empty and NUL-holding strings.
 */
static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static const char tp_format[] =
	"name: sched_process_fork\nID: 300\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t parent_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"comm=%s pid=%d child_comm=%s child_pid=%d\", REC->parent_comm, "
	"REC->parent_pid, REC->child_comm, REC->child_pid\n";

/* Made up to cover the decoding rules: __data_loc, arrays, odd integers. */
static const char tp2_format[] =
	"name: odd\nID: 900\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned long args[2];\toffset:16;\tsize:16;\tsigned:0;\n"
	"\tfield:u8 flag;\toffset:32;\tsize:1;\tsigned:0;\n"
	"\tfield:s8 tiny;\toffset:33;\tsize:1;\tsigned:1;\n"
	"\tfield:short sh;\toffset:34;\tsize:2;\tsigned:1;\n"
	"\tfield:char tag[8];\toffset:36;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 big;\toffset:48;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc u8[] blob;\toffset:44;\tsize:4;\tsigned:0;\n\n"
	"print fmt: \"%s\", __get_str(filename)\n";

static int write_sample(const char *path, long n, bool finish)
{
	static const uint64_t ev_vals[] = {0, 1, 2, 4};
	static const char *const ev_names[] = {"NONE", "ONE", "TWO", "FOUR"};
	static const struct tape_enum en = {"bits", 4, ev_vals, ev_names};
	static const struct tape_field f_all[] = {
		{"u8", TAPE_U8, 0, NULL},    {"u16", TAPE_U16, 0, NULL},
		{"u32", TAPE_U32, 1, NULL},  {"u64", TAPE_U64, 4, &en},
		{"s8", TAPE_S8, 0, NULL},    {"s16", TAPE_S16, 0, NULL},
		{"s32", TAPE_S32, 2, NULL},  {"s64", TAPE_S64, 8, NULL},
		{"name", TAPE_STR, 0, NULL}, {"blob", TAPE_BYTES, 0, NULL},
	};
	static const struct tape_field f_small[] = {{"code", TAPE_S32, 3, &en}};
	static const struct tape_field f_raw[] = {{"raw", TAPE_BYTES, 0, NULL}};
	struct tape_type t_all = {0, "all", "sample", "", 10, f_all};
	struct tape_type t_small = {0, "small", "", "", 1, f_small};
	struct tape_type t_tp = {0,	    "fork_tp", "tracepoint:sched:sched_process_fork",
				 tp_format, 1,	       f_raw};
	struct tape_type t_tp2 = {0, "odd_tp", "tracepoint:test:odd", tp2_format, 1, f_raw};
	struct tape_type t_late = {0, "late", "added later", "", 1, f_small};
	struct tape_writer_opts o = {.sz = sizeof(o), .chunk_bytes = 16384};
	struct tape_proc procs[2] = {
		{10, 1, 0, 0, "", "", "", 0, ""},
		{4000000000u, 10, 65534, UINT64_MAX, "fifteen-chars-x", "/bin/x", "a\0\0b", 4, "/"},
	};
	struct tape_writer *w = tape_writer__open(path, &o);
	union tape_value v[10];
	unsigned char raw[96], blob[40];
	char name[64];
	int id_all, id_small, id_tp, id_tp2, id_late = -1, err;
	uint64_t ts = 1000;

	if (!w)
		return -errno;
	err = tape_writer__set_meta(w, "host", "first");
	if (!err)
		err = tape_writer__set_meta(w, "empty", "");
	id_all = tape_writer__add_type(w, &t_all);
	id_small = tape_writer__add_type(w, &t_small);
	id_tp = tape_writer__add_type(w, &t_tp);
	id_tp2 = tape_writer__add_type(w, &t_tp2);
	if (err || id_all < 0 || id_small < 0 || id_tp < 0 || id_tp2 < 0)
		goto fail;
	err = tape_writer__add_procs(w, procs, 2);
	if (err)
		goto fail;
	err = tape_writer__add_loss(w, &(struct tape_loss){3, 7, 1000, 1000});
	for (long i = 0; !err && i < n; i++) {
		struct tape_event ev = {0};
		uint64_t r = rnd();

		/* Runs of equal timestamps, some cut by a flush. */
		ts += (r & 7) == 0 ? 0 : r % 5000;
		ev.ts = ts;
		ev.pid = (r >> 8) % 8 == 0 ? 4000000000u : 100 + (r >> 12) % 50;
		ev.tid = (r >> 20) % 3 == 0 ? ev.pid - 5 : ev.pid + (r >> 24) % 4;
		ev.cpu = (r >> 28) % 4;
		ev.comm = (r >> 30) % 5 == 0 ? "" : "worker-with-16ch";
		ev.comm_len = strlen(ev.comm) > 15 ? 16 : 0;
		ev.values = v;
		memset(v, 0, sizeof(v));
		switch ((r >> 33) % 7) {
		case 0:
			memset(raw, 0, sizeof(raw));
			v[0].b.ptr = raw;
			if (i % 2) {
				ev.type = id_tp;
				memcpy(raw + 8, "parent", 6);
				memcpy(raw + 24, &ev.pid, 4);
				memcpy(raw + 28, "child", 5);
				memcpy(raw + 44, &ev.tid, 4);
				v[0].b.len = 48;
			} else {
				/* __data_loc: offset in the low 16 bits, length above */
				uint32_t fl = (uint32_t)(i % 20 + 1) << 16 | 56;
				uint32_t bl = 4u << 16 | (56 + i % 20 + 1);
				uint64_t r2 = rnd();

				ev.type = id_tp2;
				memcpy(raw + 8, &fl, 4);
				memcpy(raw + 12, &ev.pid, 4);
				memcpy(raw + 44, &bl, 4);
				memcpy(raw + 16, &r2, 8);
				raw[32] = (unsigned char)r2;
				raw[33] = (unsigned char)(r2 >> 8);
				memcpy(raw + 34, (char *)&r2 + 2, 2);
				memcpy(raw + 36, i % 3 ? "tag" : "fulltag!", i % 3 ? 3 : 8);
				memcpy(raw + 48, &r2, 8);
				memset(raw + 56, 'a' + i % 26, i % 20);
				memcpy(raw + 56 + i % 20 + 1, "\0\1\0\2", 4);
				v[0].b.len = 56 + i % 20 + 1 + 4;
			}
			break;
		case 1:
		case 2:
			ev.type = id_small;
			v[0].s = (int32_t)(rnd() % 5) - 2;
			break;
		case 3:
			if (id_late > 0) {
				ev.type = id_late;
				v[0].s = INT32_MIN + (int32_t)(rnd() % 3);
				break;
			}
			/* fall through */
		default:
			ev.type = id_all;
			r = rnd();
			v[0].u = r & 0xff;
			v[1].u = (i & 1) ? 0xffff : r >> 48;
			v[2].u = (r >> 5) % 3 ? 7 : 0xffffffffu;
			v[3].u = i % 11 == 0 ? UINT64_MAX : ev_vals[r % 4];
			v[4].s = (int8_t)(r >> 9);
			v[5].s = i % 13 == 0 ? INT16_MIN : -(int16_t)(r % 300);
			v[6].s = (int32_t)(r >> 17);
			v[7].s = i % 17 == 0 ? INT64_MIN : i % 19 == 0 ? INT64_MAX : (int64_t)r;
			snprintf(name, sizeof(name), "%s%ld", i % 3 ? "/tmp/f-" : "",
				 i % 3 ? i % 97 : 0);
			v[8].b.ptr = i % 3 ? name : "";
			v[8].b.len = strlen(v[8].b.ptr);
			for (size_t k = 0; k < sizeof(blob); k++)
				blob[k] = (unsigned char)(k * (i % 5));
			v[9].b.ptr = blob;
			v[9].b.len = i % 7 == 0 ? 0 : 1 + i % sizeof(blob);
			break;
		}
		err = tape_writer__append(w, &ev);
		if (!err && i % 997 == 500)
			err = tape_writer__flush(w);
		if (!err && i % 1499 == 700)
			err = tape_writer__add_loss(w, &(struct tape_loss){ev.cpu, i, ts, ts + i});
		if (!err && i == n / 2) {
			err = tape_writer__set_meta(w, "host", "second");
			id_late = tape_writer__add_type(w, &t_late);
			if (!err && id_late < 0)
				err = id_late;
		}
	}
	/* Chunks overlapping in time, with ties between a chunk and one later
	 * in the file that starts earlier, and losses tied with both. */
	for (int c = 0; !err && c < 4; c++) {
		static const uint64_t at[4][3] = {
			{100, 110, 300}, {150, 200, 400}, {120, 200, 500}, {150, 150, 200}};

		err = tape_writer__flush(w);
		for (int k = 0; !err && k < 3; k++) {
			struct tape_event ev = {.ts = ts + at[c][k],
						.pid = 7,
						.tid = 7,
						.cpu = c,
						.type = id_small,
						.comm = "ov",
						.values = v};

			v[0].s = c * 10 + k;
			err = tape_writer__append(w, &ev);
		}
		if (!err && c % 2)
			err = tape_writer__add_loss(w,
						    &(struct tape_loss){c, c, ts + 200, ts + 200});
	}
	if (!err)
		err = tape_writer__add_loss(w, &(struct tape_loss){0, 1, ts, ts});
	if (!err && finish)
		err = tape_writer__finish(w);
	if (err)
		goto fail;
	tape_writer__free(w);
	return 0;
fail:
	fprintf(stderr, "tape_dump: %s: %s\n", path, tape_writer__errmsg(w));
	tape_writer__free(w);
	return err ? err : -EINVAL;
}

/*
 * tape_dump --write-formats OUT: a type for every tracepoint format of this
 * kernel and, for each, raw records that are complete, cut short, and with
 * __data_loc spans running past their end: the decoding rules on real input.
 */
static int write_formats(const char *path)
{
	static const struct tape_field f_raw[] = {{"raw", TAPE_BYTES, 0, NULL}};
	static char text[65536];
	struct tape_writer *w = NULL;
	glob_t g = {0};
	uint64_t ts = 1;
	int err;

	err = glob("/sys/kernel/tracing/events/*/*/format", 0, NULL, &g);
	if (err) {
		fprintf(stderr, "tape_dump: no tracepoint formats under /sys/kernel/tracing\n");
		err = 77;
		goto cleanup;
	}
	w = tape_writer__open(path, NULL);
	if (!w) {
		err = -errno;
		goto cleanup;
	}
	for (size_t i = 0; i < g.gl_pathc && !err; i++) {
		struct tape_type t = {0, g.gl_pathv[i] + 27, "tracepoint", text, 1, f_raw};
		unsigned char raw[4096];
		unsigned locs[64], nl = 0, end = 0;
		FILE *f = fopen(g.gl_pathv[i], "r");
		size_t n;
		int id;

		if (!f)
			continue;
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = 0;
		id = tape_writer__add_type(w, &t);
		if (id < 0) {
			err = id;
			break;
		}
		for (char *p = strstr(text, "field:"); p; p = strstr(p + 1, "field:")) {
			char *o = strstr(p, "offset:"), *sz = strstr(p, "size:");
			unsigned off, size;

			if (!o || !sz)
				break;
			off = atoi(o + 7);
			size = atoi(sz + 5);
			if (off + size > end)
				end = off + size;
			if (!strncmp(p + 6, "__data_loc", 10) && nl < 64)
				locs[nl++] = off;
		}
		if (end + 64 > sizeof(raw))
			continue;
		for (int k = 0; k < 3 && !err; k++) {
			unsigned len = k == 0 ? end + 48 : k == 1 ? end / 2 : end + 8;
			union tape_value v = {.b = {raw, len}};
			struct tape_event ev = {.ts = ts++,
						.pid = 1,
						.tid = 1,
						.type = id,
						.comm = "tp",
						.values = &v};

			for (unsigned j = 0; j < len; j++)
				raw[j] = rnd() % 3 ? rnd() : 0;
			for (unsigned j = 0; j < nl; j++) {
				uint32_t dl = rnd() % 40, doff = end - 8 + rnd() % 20;
				uint32_t word = dl << 16 | (k == 0 ? end + rnd() % 8 : doff);

				if (locs[j] + 4 <= len)
					memcpy(raw + locs[j], &word, 4);
			}
			err = tape_writer__append(w, &ev);
		}
	}
	if (!err)
		err = tape_writer__finish(w);
	if (err)
		fprintf(stderr, "tape_dump: %s: %s\n", path, tape_writer__errmsg(w));
cleanup:
	tape_writer__free(w);
	globfree(&g);
	return err;
}

int main(int argc, char **argv)
{
	struct tape_reader *r = NULL;
	struct tape_cursor *c = NULL;
	const char **meta = NULL;
	char err[512];
	size_t n;
	int ret = 1, bad = 0;

	if (argc == 3 && !strcmp(argv[1], "--write-formats")) {
		ret = write_formats(argv[2]);
		return ret == 77 ? 77 : ret ? 1 : 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "--write"))
		return write_sample(argv[2], atol(argv[3]),
				    !(argc == 5 && !strcmp(argv[4], "unfinished")))
			       ? 1
			       : 0;
	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: tape_dump TAPE\n"
				"       tape_dump --write OUT NEVENTS [unfinished]\n"
				"       tape_dump --write-formats OUT\n\nEXAMPLES\n"
				"  build/tests/tape_dump t.tape > t.dump\n"
				"  build/tests/tape_dump --write /tmp/s.tape 100000\n");
		return argc == 2 ? 0 : 1;
	}
	r = tape_reader__open(argv[1], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tape_dump: %s: %s\n", argv[1], err);
		goto cleanup;
	}
	printf("recovered %s\n", tape_reader__recovered(r) ? "yes" : "no");

	n = tape_reader__meta_count(r);
	meta = calloc(2 * n + 1, sizeof(*meta));
	if (!meta)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		tape_reader__meta_at(r, i, &meta[2 * i], &meta[2 * i + 1]);
	qsort(meta, n, 2 * sizeof(*meta), cmp_meta);
	for (size_t i = 0; i < n; i++) {
		printf("meta ");
		put_str(meta[2 * i]);
		printf("=");
		put_str(meta[2 * i + 1]);
		printf("\n");
	}

	for (unsigned id = 1; id <= tape_reader__max_type(r); id++) {
		const struct tape_type *t = tape_reader__type(r, id);

		if (t)
			dump_type(t);
	}

	for (size_t i = 0; i < tape_reader__proc_count(r); i++) {
		const struct tape_proc *p = tape_reader__proc(r, i);

		printf("proc pid=%u ppid=%u uid=%u start_ts=%" PRIu64 " comm=", p->pid, p->ppid,
		       p->uid, p->start_ts);
		put_str(p->comm);
		printf(" exe=");
		put_str(p->exe);
		printf(" argv=");
		put_hex(p->argv, p->argv_len);
		printf(" cgroup=");
		put_str(p->cgroup);
		printf(" container=");
		put_str(p->container);
		printf(" container_name=");
		put_str(p->container_name);
		printf(" runtime=");
		put_str(p->runtime);
		printf(" pod=");
		put_str(p->pod);
		printf("\n");
	}

	for (size_t i = 0; i < tape_reader__loss_count(r); i++) {
		const struct tape_loss *l = tape_reader__loss(r, i);

		printf("loss cpu=%u count=%" PRIu64 " first_ts=%" PRIu64 " last_ts=%" PRIu64 "\n",
		       l->cpu, l->count, l->first_ts, l->last_ts);
	}

	for (size_t i = 0; i < tape_reader__chunk_count(r); i++) {
		struct tape_chunk_info ci;
		const char *sep = "";

		if (tape_reader__chunk(r, i, &ci))
			goto cleanup;
		printf("chunk offset=%" PRIu64 " block_len=%u raw_len=%u min_ts=%" PRIu64
		       " max_ts=%" PRIu64 " count=%u min_pid=%u max_pid=%u types=",
		       ci.offset, ci.block_len, ci.raw_len, ci.min_ts, ci.max_ts, ci.count,
		       ci.min_pid, ci.max_pid);
		for (unsigned id = 1; id <= tape_reader__max_type(r); id++) {
			uint32_t k = tape_reader__chunk_type_count(r, i, id);

			if (k) {
				printf("%s%u:%u", sep, id, k);
				sep = ",";
			}
		}
		printf("\n");
	}
	printf("events %" PRIu64 "\n", tape_reader__event_count(r));

	c = tape_cursor__new(&r, 1, NULL);
	if (!c) {
		fprintf(stderr, "tape_dump: %s: cursor: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	for (;;) {
		const struct tape_event *ev;
		int k = tape_cursor__next(c, &ev);

		if (k == 0)
			break;
		if (k < 0) {
			/* The message differs between readers; the position does not. */
			printf("error\n");
			fprintf(stderr, "tape_dump: %s: %s\n", argv[1], tape_cursor__errmsg(c));
			bad = 1;
			continue;
		}
		dump_event(ev);
	}
	ret = bad ? 2 : 0;
cleanup:
	fflush(stdout);
	tape_cursor__free(c);
	free(meta);
	tape_reader__free(r);
	return ret;
}
