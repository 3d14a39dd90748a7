// SPDX-License-Identifier: MIT
/*
 * Tape library micro-benchmark: an openat-like stream (timestamps about
 * 1 us apart, a few pids, a few hundred distinct paths) written to a tape,
 * then read back.  Prints bytes per event on disk, write and decode rates.
 * Targets (issue 2): <= 4 bytes/event, >= 3 M events/s written, >= 10 M
 * events/s decoded, one core.
 *
 *   build/bench/bench_format [EVENTS] [PATH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpftape/tape.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift: deterministic, fast */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static const uint64_t flag_vals[] = {0, 01, 02, 0100, 01000, 02000, 0200000, 02000000};
static const char *const flag_names[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",	"O_CREAT",
					 "O_TRUNC",  "O_APPEND", "O_DIRECTORY", "O_CLOEXEC"};
static const struct tape_enum open_flags = {"open_flags", 8, flag_vals, flag_names};

static const struct tape_field open_fields[] = {
	{"dfd", TAPE_S32, TAPE_DISP_DEFAULT, NULL},
	{"path", TAPE_STR, TAPE_DISP_DEFAULT, NULL},
	{"flags", TAPE_U32, TAPE_DISP_FLAGS, &open_flags},
	{"mode", TAPE_U32, TAPE_DISP_OCTAL, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/bench_format.tape";
	struct tape_type open_type = {0, "open", "syscall:openat", "", 5, open_fields};
	static char paths[300][64];
	static const char *comms[4] = {"nginx", "postgres", "python3", "bash"};
	uint32_t pids[4] = {1201, 2342, 40211, 777};
	struct tape_writer *w;
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	union tape_value v[5];
	uint64_t ts = 1000000000, sum = 0, got = 0, size;
	char err[256];
	double t0, t1, t2;
	int id, ret;

	for (int i = 0; i < 300; i++)
		snprintf(paths[i], sizeof(paths[i]), "/usr/lib/x86_64-linux-gnu/lib%03d.so.%d", i,
			 i % 7);

	struct tape_writer_opts opts = {.sz = sizeof(opts)};

	if (getenv("ZSTD_LEVEL"))
		opts.zstd_level = atoi(getenv("ZSTD_LEVEL"));
	if (getenv("CHUNK_BYTES"))
		opts.chunk_bytes = strtoull(getenv("CHUNK_BYTES"), NULL, 0);
	w = tape_writer__open(path, &opts);
	if (!w) {
		perror(path);
		return 1;
	}
	id = tape_writer__add_type(w, &open_type);
	tape_writer__set_meta(w, "hostname", "bench");
	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = rnd();
		unsigned p = x & 3, pi = (x >> 8) % 300;
		struct tape_event e = {0};

		ts += 900 + ((x >> 20) & 127);
		v[0].s = -100;
		v[1].b.ptr = paths[pi];
		v[1].b.len = strlen(paths[pi]);
		v[2].u = (x >> 30) & 1 ? 02000000 : 0;
		v[3].u = 0;
		v[4].s = pi % 50 == 0 ? -2 : 3 + (int)((x >> 40) & 3);
		e.ts = ts;
		e.pid = pids[p];
		e.tid = pids[p] + ((x >> 44) & 1);
		e.cpu = (x >> 50) & 1;
		e.type = id;
		e.comm = comms[p];
		e.values = v;
		if (tape_writer__append(w, &e)) {
			fprintf(stderr, "append: %s\n", tape_writer__errmsg(w));
			return 1;
		}
	}
	if (tape_writer__finish(w)) {
		fprintf(stderr, "finish: %s\n", tape_writer__errmsg(w));
		return 1;
	}
	t1 = now();
	size = tape_writer__bytes(w);
	tape_writer__free(w);

	r = tape_reader__open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	c = tape_cursor__new(&r, 1, NULL);
	t2 = now();
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		sum += ev->ts + ev->pid + ev->values[4].s + ev->values[1].b.len;
		got++;
	}
	t2 = now() - t2;
	if (ret < 0 || got != n) {
		fprintf(stderr, "read back %llu of %llu: %s\n", (unsigned long long)got,
			(unsigned long long)n, tape_cursor__errmsg(c));
		return 1;
	}
	printf("bench_format: %llu openat-like events, %zu chunks, checksum %llx\n",
	       (unsigned long long)n, tape_reader__chunk_count(r), (unsigned long long)sum);
	printf("  size:   %.2f bytes/event on disk (target <= 4)\n", (double)size / n);
	printf("  write:  %.2f M events/s (target >= 3)\n", n / (t1 - t0) / 1e6);
	printf("  decode: %.2f M events/s (target >= 10)\n", n / t2 / 1e6);
	tape_cursor__free(c);
	tape_reader__free(r);
	unlink(path);
	return 0;
}
