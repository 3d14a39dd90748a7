// SPDX-License-Identifier: MIT
/*
 * The openat storm from the brief, side by side in one run: untraced, under
 * `perf record -e syscalls:sys_enter_openat`, under the floor (below), and
 * under `bpftape record` (-e open: the same events as perf, with the path,
 * flags and return; -e file: open and close; the generic tracepoint perf
 * records), and with stacks: `bpftape record -e open -g` beside `perf
 * record -g -e syscalls:sys_enter_openat`.  Prints ns per iteration, the
 * extra ns per event over untraced, the ratios to perf's and to the
 * floor's, drops and tape bytes per event; for -g, its cost per event over
 * perf -g's, the tape bytes per event the stacks add (libc's symbols
 * included) and the size of libc's binary block; then two storms at once
 * (both cores) with the recorder's drops and CPU.
 *
 * The floor is the best any recorder holding bpftape's open data can do
 * here: tests/bench/floor.bpf.c on tp/syscalls/sys_enter_openat reserves a
 * record of bpftape's layout, reads the path, submits with no wakeup, and
 * this process's consumer only counts (`bench_record --floor VARIANT`).
 * The floor is printed for each transport a recorder could use, beside
 * perf: the one 16 MiB ring bpftape had, a ring per CPU as bpftape has
 * now, a 1 MiB shared ring, perf's 512 KiB per CPU as rings and as perf
 * buffers (bpf_perf_event_output); `--floor fexit` (by hand) takes the
 * record at fexit/do_sys_openat2 where the kernel allows it.  The generic
 * tracepoint has a floor of its own (`tp`): the tracepoint's raw record
 * in a record of bpftape's generic layout, no string read.
 * BENCH_PROG_STATS=1 prints each floor program's own ns per run; with it,
 * `--floor exit` and `exit+pids`, `exit+gate`, `exit+query`, `exit+copy`
 * and `exit+all` (by hand) take bpftape's file program apart, piece by
 * piece (floor.bpf.c, FX_*), and `exit+class` tries a short reservation
 * in place of the copy.
 *
 * `-e open -g` runs twice, without and with a stack copy of
 * BENCH_STACK_COPY bytes (default 512), for the cost of the copy: ring
 * bytes per record, the storm's CPU (the copy is taken in its context)
 * and the recorder's (which unwinds from it).
 *
 * Env: BPFTAPE (path to bpftape), OUTPUT (scratch dir), BENCH_ITERS
 * (default 1000000), BENCH_RUNS (default 5 interleaved rounds, the median
 * is kept), BENCH_QUICK=1 (200000 iterations, one round), BENCH_CPU (the
 * CPU each storm is pinned to; default the last one, -1 for none).
 * Needs root; exits 77 with the reason otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "bench_floor.skel.h"
#include "../../bpf/events.h"

#define STORM_FILE "/tmp/bpftape-bench-storm.file"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

/*
 * The workload: open + close of one file, timed inside the process.  Prints
 * wall-clock and CPU (user+sys) ns per iteration: probes run in the
 * process's own context, so the CPU figure carries their cost and stays
 * meaningful when other jobs share the machine.
 */
static int storm(long iters, const char *path)
{
	const char *pin = getenv("BENCH_CPU");
	long cpu = pin ? atol(pin) : sysconf(_SC_NPROCESSORS_ONLN) - 1;
	uint64_t t0, t1;
	double c0, c1;

	/* one CPU for the storm, the others for the tracer's consumer: the
	 * same for every mode, and far less noisy than letting it migrate */
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	for (long i = 0; i < 10000; i++) { /* warm the dentry and the caches */
		int fd = open(path, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	c0 = cpu_ns();
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	t1 = now_ns();
	c1 = cpu_ns();
	printf("%.2f %.2f\n", (double)(t1 - t0) / iters, (c1 - c0) / iters);
	return 0;
}

struct run {
	double ns_iter;	  /* from the storm(s), averaged */
	double cpu_iter;  /* CPU ns per iteration of the storm(s), averaged */
	double cpu_s;	  /* user+sys of the tracer process */
	double cpu_rec_s; /* of it, once it began recording (the events' cost) */
	double wall_s;	  /* of the tracer process */
	uint64_t events;  /* bpftape's summary */
	uint64_t drops;	  /* bpftape's summary */
	uint64_t bytes;	  /* output file size */
	double ring_rec;  /* bytes per ring record (bpftape -v), 0 if not printed */
};

/*
 * Run @argv with stdout captured; sum the ns/iter lines the storms print and
 * keep the bpftape summary (stderr) when there is one.
 */
static int run_cmd(char *const argv[], struct run *out)
{
	char outpath[] = "/tmp/bpftape-bench-outXXXXXX", errpath[] = "/tmp/bpftape-bench-errXXXXXX";
	int ofd = mkstemp(outpath), efd = mkstemp(errpath);
	struct rusage ru;
	uint64_t t0;
	int status, n = 0;
	double sum = 0, csum = 0, v, c;
	char line[1024];
	FILE *f;
	pid_t pid;

	if (ofd < 0 || efd < 0)
		return -errno;
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	wait4(pid, &status, 0, &ru);
	out->wall_s = (now_ns() - t0) / 1e9;
	out->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec / 1e6;
	f = fdopen(ofd, "r");
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lf %lf", &v, &c) == 2) {
			sum += v;
			csum += c;
			n++;
		}
	fclose(f);
	f = fdopen(efd, "r");
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long ev, dr;

		double cpu;

		if (sscanf(line, "bpftape record: %llu events, %llu drops", &ev, &dr) == 2 ||
		    sscanf(line, "floor: %llu events, %llu drops", &ev, &dr) == 2) {
			out->events = ev;
			out->drops = dr;
		} else if (sscanf(line, "bpftape record: recorder CPU %lf s", &cpu) == 1) {
			const char *rec = strstr(line, "; ");

			/* its own, without the recorded commands; its second
			 * figure without its loading and its snapshot of /proc */
			out->cpu_s = cpu;
			if (rec && sscanf(rec + 2, "%lf s after", &cpu) == 1)
				out->cpu_rec_s = cpu;
		} else if (sscanf(line, "bpftape record: ring: %llu records, %lf bytes", &ev,
				  &cpu) == 2) {
			out->ring_rec = cpu;
		} else if (strstr(line, "error") || strstr(line, "cannot") ||
			   strstr(line, "failed")) {
			fprintf(stderr, "  [%s] %s", argv[0], line);
		}
	}
	fclose(f);
	unlink(outpath);
	unlink(errpath);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !n)
		return -ECHILD;
	out->ns_iter = sum / n;
	out->cpu_iter = csum / n;
	return 0;
}

static int count_rec(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(uint64_t *)ctx;
	return 0;
}

static enum bpf_perf_event_ret count_sample(void *ctx, int cpu, struct perf_event_header *ev)
{
	(void)cpu;
	if (ev->type == PERF_RECORD_SAMPLE)
		++*(uint64_t *)ctx;
	return LIBBPF_PERF_EVENT_CONT;
}

/* The floor's transports (floor.bpf.c's variant), and their ring sizes. */
struct floor_variant {
	const char *name;
	unsigned variant; /* FLOOR_* of floor.bpf.c */
	uint32_t bytes;	  /* the shared ring, or each CPU's ring or perf buffer */
	unsigned extras;  /* FX_* of floor.bpf.c (variant 4) */
};
static const struct floor_variant floor_variants[] = {
	{"shared16M", 0, 16u << 20}, /* bpftape's one ring until issue 11 */
	{"percpu", 1, 0},	     /* bpftape's rings: 16 MiB shared out, >= 1 MiB each */
	{"shared1M", 0, 1u << 20},
	{"percpu512K", 1, 512u << 10}, /* perf's default: 512 KiB per CPU */
	{"perf512K", 2, 512u << 10},
	{"tp", 6, 0},	  /* the generic tracepoint's: its raw record, bpftape's rings */
	{"fexit", 3, 0},  /* bpftape's rings, from fexit/do_sys_openat2 */
	{"exit", 4, 0},	  /* bpftape's rings, from tp_btf/sys_exit as bpftape */
	{"tpexit", 5, 0}, /* bpftape's rings, from tp/syscalls/sys_exit_openat */
	/* for runs by hand (bench_record --floor NAME ITERS FILE) */
	{"shared2M", 0, 2u << 20},
	{"shared4M", 0, 4u << 20},
	{"percpu1M", 1, 1u << 20},
	{"percpu2M", 1, 2u << 20},
	{"percpu8M", 1, 8u << 20},
	{"exit1M", 4, 1u << 20},
	{"exit512K", 4, 512u << 10},
	/* `exit` plus the pieces of bpftape's program (FX_* of floor.bpf.c),
	 * one at a time and all: with BENCH_PROG_STATS=1 */
	{"exit+pids", 4, 0, 1},
	{"exit+gate", 4, 0, 2},
	{"exit+query", 4, 0, 4},
	{"exit+copy", 4, 0, 8},
	{"exit+all", 4, 0, 15},
	{"exit+class", 4, 0, 16},
};

/*
 * The floor's recorder: load floor.bpf.c for a storm child, drain the
 * ring(s) every millisecond (no wakeups) counting records, report like
 * bpftape.  The perf buffers are set up as perf record sets up its own: a
 * wakeup only when half a buffer waits, never per record.
 */
static int floor_run(char *self, const char *which, const char *its, const char *path)
{
	char *argv[] = {self, "--storm", (char *)its, (char *)path, NULL};
	const struct floor_variant *v = NULL;
	struct bench_floor_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	int ncpus = libbpf_num_possible_cpus();
	uint64_t n = 0;
	int go[2], status = 1, ret = 1, inner = -1, stats_fd = -1;
	uint32_t bytes;
	pid_t pid;

	for (size_t i = 0; i < sizeof(floor_variants) / sizeof(*floor_variants); i++)
		if (!strcmp(which, floor_variants[i].name))
			v = &floor_variants[i];
	if (!v || ncpus < 1 || pipe(go))
		return 1;
	bytes = v->bytes ? v->bytes : 16u << 20;
	while (!v->bytes && ncpus > 1 && bytes > (1u << 20) &&
	       (uint64_t)bytes * ncpus > (16u << 20))
		bytes >>= 1; /* record_opts__default_ring() */
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) { /* the storm starts once the program is attached */
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		execv(self, argv);
		_exit(127);
	}
	close(go[0]);
	skel = bench_floor_bpf__open();
	if (!skel)
		goto out;
	skel->rodata->target_tgid = pid;
	skel->rodata->variant = v->variant;
	skel->rodata->extras = v->extras;
	bpf_program__set_autoload(skel->progs.floor_openat, v->variant < 3);
	bpf_program__set_autoload(skel->progs.floor_tp, v->variant == 6);
	bpf_program__set_autoload(skel->progs.floor_fexit, v->variant == 3);
	bpf_program__set_autoload(skel->progs.floor_exit, v->variant == 4);
	bpf_program__set_autoload(skel->progs.floor_tpexit, v->variant == 5);
	/* the transports not used keep their least size */
	inner = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "floor_ring", 0, 0,
			       v->variant == 1 || v->variant >= 3 ? bytes : 4096, NULL);
	if (inner < 0 ||
	    bpf_map__set_max_entries(skel->maps.floor_events, v->variant == 0 ? bytes : 4096) ||
	    bpf_map__set_max_entries(skel->maps.floor_rings, ncpus) ||
	    bpf_map__set_inner_map_fd(skel->maps.floor_rings, inner))
		goto out;
	if (bench_floor_bpf__load(skel))
		goto out;
	{ /* what bpftape's filters hold for the command it runs */
		__u32 tgid = pid, zero = 0, open = 1;
		__u8 on = TRACK_ON;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.floor_tracked), &tgid, &on, 0) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.floor_gate), &zero, &open, 0))
			goto out;
	}
	if (bench_floor_bpf__attach(skel))
		goto out;
	/* the program's own time, which load on the machine disturbs less
	 * than the storm's CPU time (it adds ~30 ns per run: opt-in) */
	if (getenv("BENCH_PROG_STATS") && atoi(getenv("BENCH_PROG_STATS")))
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (v->variant == 0) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.floor_events), count_rec, &n, NULL);
		if (!rb)
			goto out;
	} else if (v->variant == 1 || v->variant >= 3) {
		for (int cpu = 0; cpu < ncpus; cpu++) {
			int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "floor_ring", 0, 0, bytes,
						NULL);

			if (fd < 0 ||
			    bpf_map_update_elem(bpf_map__fd(skel->maps.floor_rings), &cpu, &fd, 0))
				goto out;
			if (rb ? ring_buffer__add(rb, fd, count_rec, &n)
			       : !(rb = ring_buffer__new(fd, count_rec, &n, NULL)))
				goto out;
			close(fd); /* the array and the consumer hold it */
		}
	} else {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_type = PERF_SAMPLE_RAW,
			.sample_period = 1,
			.watermark = 1,
			.wakeup_watermark = bytes / 2,
		};

		pb = perf_buffer__new_raw(bpf_map__fd(skel->maps.floor_perf),
					  bytes / sysconf(_SC_PAGESIZE), &attr, count_sample, &n,
					  NULL);
		if (!pb)
			goto out;
	}
	if (write(go[1], "g", 1) != 1)
		goto out;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct timespec ms = {0, 1000000};

		if (rb)
			ring_buffer__consume(rb);
		else
			perf_buffer__consume(pb);
		nanosleep(&ms, NULL);
	}
	if (rb)
		ring_buffer__consume(rb);
	else
		perf_buffer__consume(pb);
	fprintf(stderr, "floor: %llu events, %llu drops\n", (unsigned long long)n,
		(unsigned long long)skel->bss->floor_drops);
	if (stats_fd >= 0) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		struct bpf_program *prog = v->variant == 6   ? skel->progs.floor_tp
					   : v->variant == 5 ? skel->progs.floor_tpexit
					   : v->variant == 4 ? skel->progs.floor_exit
					   : v->variant == 3 ? skel->progs.floor_fexit
							     : skel->progs.floor_openat;

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) && info.run_cnt)
			fprintf(stderr, "floor: program %.1f ns per run, %.1f ns per event\n",
				(double)info.run_time_ns / info.run_cnt,
				n ? (double)info.run_time_ns / n : 0);
		close(stats_fd);
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	pid = 0;
out:
	if (ret && pid > 0) {
		fprintf(stderr, "floor: cannot load or attach tests/bench/floor.bpf.c (%s)\n",
			which);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(go[1]);
	if (inner >= 0)
		close(inner);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bench_floor_bpf__destroy(skel);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

/* The bytes (header and body) of the binary block (docs/FORMAT.md, type 10)
 * whose path ends in @suffix: the symbols a tape carries for that binary.
 * The framing is read as any reader would: 20-byte headers, body length at
 * 12; the body starts with varint id and string path. */
static uint64_t binary_block_bytes(const char *tape, const char *suffix)
{
	FILE *f = fopen(tape, "rb");
	uint8_t h[20], body[4096 + 16];
	uint64_t found = 0;
	long at = 16;

	while (f && !found && !fseek(f, at, SEEK_SET) && fread(h, 1, 20, f) == 20) {
		uint32_t len = h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24;
		size_t got = fread(body, 1, len < sizeof(body) ? len : sizeof(body), f), p = 0;
		uint64_t plen = 0;

		while (p < got && (body[p++] & 0x80)) /* the id */
			;
		for (int shift = 0; p < got && shift < 64; shift += 7) {
			plen |= (uint64_t)(body[p] & 0x7f) << shift;
			if (!(body[p++] & 0x80))
				break;
		}
		if ((h[4] | h[5] << 8) == 10 && plen >= strlen(suffix) && p + plen <= got &&
		    !memcmp(body + p + plen - strlen(suffix), suffix, strlen(suffix)))
			found = 20 + (uint64_t)len;
		at += 20 + (long)len;
	}
	if (f)
		fclose(f);
	return found;
}

enum {
	UNTRACED,
	PERF,
	FLOOR,
	FLOOR_PCPU_DEF,
	FLOOR_1M,
	FLOOR_PCPU,
	FLOOR_PERF,
	FLOOR_TP,
	OPEN,
	OPEN_SMALL,
	FILEEV,
	GENERIC,
	OPEN_G,
	OPEN_G_COPY,
	PERF_G,
	NMODES
};
static const char *const names[NMODES] = {
	"untraced",
	"perf record -e syscalls:sys_enter_openat",
	"floor (tests/bench/floor.bpf.c), 16M shared ring",
	"floor, bpftape's rings (one per CPU)",
	"floor, 1M shared ring",
	"floor, a 512K ring per CPU",
	"floor, 512K perf buffer per CPU",
	"floor of the tracepoint (raw record, no path)",
	"bpftape record -e open",
	"bpftape record -e open --buffer 512K (perf's)",
	"bpftape record -e file (2 events/iter)",
	"bpftape -e tracepoint:syscalls:sys_enter_openat",
	"bpftape record -e open -g",
	"bpftape record -e open -g --stack-copy N",
	"perf record -g -e syscalls:sys_enter_openat",
};
/* events per iteration of each mode */
static const int per_iter[NMODES] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1};

/* One table: ns/iter, extra ns per event, ratios to perf and to the floor. */
static void print_table(const double med[NMODES], const double lo[NMODES], const double hi[NMODES])
{
	double base = med[UNTRACED];
	double perf_x = med[PERF] - base, floor_x = med[FLOOR] - base;

	printf("  %-48s %8s %9s %6s %6s  %s\n", "", "ns/iter", "+ns/event", "/perf", "/floor",
	       "spread (min-max ns/iter)");
	for (int m = 0; m < NMODES; m++) {
		double x = per_iter[m] ? (med[m] - base) / per_iter[m] : 0;

		printf("  %-48s %8.1f", names[m], med[m]);
		if (m == UNTRACED)
			printf(" %9s %6s %6s", "", "", "");
		else
			printf(" %+9.1f %6.2f %6.2f", x, perf_x > 0 ? x / perf_x : 0,
			       floor_x > 0 ? x / floor_x : 0);
		printf("  %.0f-%.0f\n", lo[m], hi[m]);
	}
}

int main(int argc, char **argv)
{
	const char *bpftape = getenv("BPFTAPE"), *outdir = getenv("OUTPUT");
	const char *copy = getenv("BENCH_STACK_COPY") ? getenv("BENCH_STACK_COPY") : "512";
	long iters = getenv("BENCH_ITERS") ? atol(getenv("BENCH_ITERS")) : 1000000;
	int runs = getenv("BENCH_RUNS") ? atoi(getenv("BENCH_RUNS")) : 5;
	char self[4096], its[32], tape[4096], perfdata[4096], both[3 * 4096];
	double ns[NMODES][16], cpu[NMODES][16];
	struct run last[NMODES] = {};
	uint64_t drops = 0, libc_bytes = 0;
	double med[NMODES], lo[NMODES], hi[NMODES], cpu_x[NMODES], g_ratio[16];
	int g_under = 0, g_rounds = 0;
	ssize_t len;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "--storm"))
		return storm(atol(argv[2]), argv[3]);
	if (argc == 5 && !strcmp(argv[1], "--floor"))
		return floor_run(argv[0], argv[2], argv[3], argv[4]);
	if (geteuid() != 0) {
		printf("bench_record: skipped: needs root to load BPF programs and run perf\n");
		return 77;
	}
	if (!bpftape || access(bpftape, X_OK)) {
		printf("bench_record: skipped: BPFTAPE=%s is not an executable bpftape\n",
		       bpftape ? bpftape : "(unset)");
		return 77;
	}
	if (!outdir)
		outdir = "/tmp";
	if (getenv("BENCH_QUICK") && atoi(getenv("BENCH_QUICK")) && !getenv("BENCH_ITERS")) {
		iters = 200000;
		runs = 1;
	}
	if (runs < 1 || runs > 16)
		runs = 5;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return 1;
	self[len] = 0;
	snprintf(its, sizeof(its), "%ld", iters);
	snprintf(tape, sizeof(tape), "%s/bench_record.tape", outdir);
	snprintf(perfdata, sizeof(perfdata), "%s/bench_record.perf.data", outdir);
	fd = open(STORM_FILE, O_CREAT | O_WRONLY, 0644);
	if (fd < 0) {
		perror(STORM_FILE);
		return 1;
	}
	close(fd);

	printf("bench_record: openat storm, %ld iterations (open+close), median of %d "
	       "interleaved rounds\n",
	       iters, runs);
	fflush(stdout);
	for (int r = 0; r < runs; r++) {
		/* interleaved so that drift hits every mode alike */
		for (int m = 0; m < NMODES; m++) {
			char *storm_argv[] = {self, "--storm", its, STORM_FILE, NULL};
			const char *fl =
				m >= FLOOR && m <= FLOOR_TP ? floor_variants[m - FLOOR].name : NULL;
			char *floor_argv[] = {self, "--floor", (char *)fl, its, STORM_FILE, NULL};
			char *pq = m == PERF_G ? "-qg" : "-q";
			char *perf_argv[] = {
				"perf", "record",   pq,	  "-e", "syscalls:sys_enter_openat",
				"-o",	perfdata,   "--", self, "--storm",
				its,	STORM_FILE, NULL};
			const char *ev = m == OPEN || m == OPEN_SMALL || m == OPEN_G ? "open"
					 : m == FILEEV				     ? "file"
						       : "tracepoint:syscalls:sys_enter_openat";
			/* the ring's size is what a record's cost depends on most
			 * (docs/RECORDING.md): the default, and perf's size */
			char *rec_argv[] = {(char *)bpftape,
					    "record",
					    "-v", /* the recorder's CPU */
					    m == OPEN_SMALL ? "--buffer" : "--wakeup",
					    m == OPEN_SMALL ? "512K" : "0", /* 0: the default */
					    m == OPEN_G ? "-ge" : "-e",	    /* -g -e */
					    (char *)ev,
					    "-o",
					    tape,
					    "--",
					    self,
					    "--storm",
					    its,
					    STORM_FILE,
					    NULL};
			/* stacks (issue 12): the storm's open() is libc's, without
			 * frame pointers; -v for the recorder's CPU and ring bytes */
			char *stk_argv[] = {(char *)bpftape,
					    "record",
					    "-v",
					    "-e",
					    "open",
					    "-g",
					    "--stack-copy",
					    m == OPEN_G_COPY ? (char *)copy : "0",
					    "-o",
					    tape,
					    "--",
					    self,
					    "--storm",
					    its,
					    STORM_FILE,
					    NULL};
			char *const *av = m == UNTRACED			    ? storm_argv
					  : m == PERF || m == PERF_G	    ? perf_argv
					  : m <= FLOOR_TP		    ? floor_argv
					  : m == OPEN_G || m == OPEN_G_COPY ? stk_argv
									    : rec_argv;
			struct run res = {};

			if (run_cmd(av, &res)) {
				printf("bench_record: %s failed\n", names[m]);
				return 1;
			}
			ns[m][r] = res.ns_iter;
			cpu[m][r] = res.cpu_iter;
			if (res.drops) /* a consumer the load starved, or a small ring */
				printf("  %s: %llu drops\n", names[m],
				       (unsigned long long)res.drops);
			if (m >= OPEN && m != PERF_G) {
				res.bytes = file_size(tape);
				/* perf's ring size is there for its cost: it drops */
				if (m != OPEN_SMALL)
					drops += res.drops;
			} else if (m == PERF || m == PERF_G) {
				res.bytes = file_size(perfdata);
			}
			if (m == OPEN_G)
				libc_bytes = binary_block_bytes(tape, "/libc.so.6");
			last[m] = res;
		}
	}
	/* -g against perf -g round by round, before the sort below: the
	 * host's phases move a whole round, and a ratio within it does not
	 * move with them */
	for (int r = 0; r < runs; r++) {
		double ours = cpu[OPEN_G][r] - cpu[UNTRACED][r];
		double theirs = cpu[PERF_G][r] - cpu[UNTRACED][r];

		/* a round whose perf -g came out no dearer than untraced
		 * says nothing */
		if (theirs > 0) {
			g_ratio[g_rounds++] = ours / theirs;
			g_under += ours <= theirs;
		}
	}
	qsort(g_ratio, g_rounds, sizeof(double), cmp_double);
	printf("  CPU time of the storm (user+sys: the probes run in its context, so this "
	       "holds their cost and not the consumer's; robust on a busy machine):\n");
	for (int m = 0; m < NMODES; m++) {
		qsort(cpu[m], runs, sizeof(double), cmp_double);
		med[m] = cpu[m][runs / 2];
		lo[m] = cpu[m][0];
		hi[m] = cpu[m][runs - 1];
	}
	print_table(med, lo, hi);
	for (int m = 0; m < NMODES; m++)
		cpu_x[m] = per_iter[m] ? (med[m] - med[UNTRACED]) / per_iter[m] : 0;
	printf("  wall clock of the storm:\n");
	for (int m = 0; m < NMODES; m++) {
		qsort(ns[m], runs, sizeof(double), cmp_double);
		med[m] = ns[m][runs / 2];
		lo[m] = ns[m][0];
		hi[m] = ns[m][runs - 1];
	}
	print_table(med, lo, hi);
	printf("  events: perf.data %.1f B/iter; floor %llu; tape B/event (events): -e open "
	       "%.2f (%llu), -e file %.2f (%llu), tracepoint %.2f (%llu)\n",
	       (double)last[PERF].bytes / iters, (unsigned long long)last[FLOOR].events,
	       last[OPEN].events ? (double)last[OPEN].bytes / last[OPEN].events : 0,
	       (unsigned long long)last[OPEN].events,
	       last[FILEEV].events ? (double)last[FILEEV].bytes / last[FILEEV].events : 0,
	       (unsigned long long)last[FILEEV].events,
	       last[GENERIC].events ? (double)last[GENERIC].bytes / last[GENERIC].events : 0,
	       (unsigned long long)last[GENERIC].events);
	/* the generic tracepoint against the least a program on it costs */
	printf("  generic tracepoint: %.2fx perf, %.2fx its floor (%+.1f ns/event over it)\n",
	       cpu_x[PERF] > 0 ? cpu_x[GENERIC] / cpu_x[PERF] : 0,
	       cpu_x[FLOOR_TP] > 0 ? cpu_x[GENERIC] / cpu_x[FLOOR_TP] : 0,
	       cpu_x[GENERIC] - cpu_x[FLOOR_TP]);
	printf("  drops over all bpftape runs at the default --buffer: %llu (target 0)\n",
	       (unsigned long long)drops);
	/* the recorder's CPU once it started recording: its loading (about
	 * 0.35 s of CPU with -g, mostly the programs' verification) and its
	 * snapshot of /proc left out */
	printf("  recorder CPU per event while recording: -e open %.0f ns (%llu events)\n",
	       last[OPEN].events ? 1e9 * last[OPEN].cpu_rec_s / last[OPEN].events : 0,
	       (unsigned long long)last[OPEN].events);
	for (int m = OPEN_G; m <= OPEN_G_COPY; m++)
		printf("  -e open -g --stack-copy %s: ring %.1f B/record, tape %.2f B/event, "
		       "recorder CPU %.0f ns/event while recording (%.0f with loading; %llu "
		       "events)\n",
		       m == OPEN_G_COPY ? copy : "0", last[m].ring_rec,
		       last[m].events ? (double)last[m].bytes / last[m].events : 0,
		       last[m].events ? 1e9 * last[m].cpu_rec_s / last[m].events : 0,
		       last[m].events ? 1e9 * last[m].cpu_s / last[m].events : 0,
		       (unsigned long long)last[m].events);
	/* -g: the cost of a stack per event, beside perf's (goal: at most
	 * perf's), and what the stacks add to the tape (goal: 2 B/event at
	 * most), libc's symbols included */
	printf("  stacks (-g): CPU +ns/event: -e open -g %+.1f, perf -g %+.1f (%.2fx perf's); "
	       "B/event: tape -g %.2f - without %.2f = %+.2f, perf.data -g %.1f; libc binary "
	       "block %llu B\n",
	       cpu_x[OPEN_G], cpu_x[PERF_G], cpu_x[PERF_G] > 0 ? cpu_x[OPEN_G] / cpu_x[PERF_G] : 0,
	       last[OPEN_G].events ? (double)last[OPEN_G].bytes / last[OPEN_G].events : 0,
	       last[OPEN].events ? (double)last[OPEN].bytes / last[OPEN].events : 0,
	       last[OPEN_G].events ? ((double)last[OPEN_G].bytes - (double)last[OPEN].bytes) /
					     last[OPEN_G].events
				   : 0,
	       (double)last[PERF_G].bytes / iters, (unsigned long long)libc_bytes);
	if (g_rounds)
		printf("  stacks (-g), round by round: -e open -g / perf -g over untraced, median "
		       "%.2fx (%.2f-%.2f), at most perf's in %d of %d rounds\n",
		       g_ratio[g_rounds / 2], g_ratio[0], g_ratio[g_rounds - 1], g_under, g_rounds);

	/* highest rate: one storm per core, the whole `file` family, system-wide
	 * filtering by the command's tree */
	{
		struct run res = {};
		char *argv2[16];
		int k = 0;

		/* one storm per CPU; the consumer has to find time between them */
		snprintf(both, sizeof(both),
			 "BENCH_CPU=0 '%s' --storm %s %s & BENCH_CPU=1 '%s' --storm %s %s & wait",
			 self, its, STORM_FILE, self, its, STORM_FILE);
		argv2[k++] = (char *)bpftape;
		argv2[k++] = "record";
		argv2[k++] = "-v";
		argv2[k++] = "-e";
		argv2[k++] = "file";
		argv2[k++] = "-o";
		argv2[k++] = tape;
		argv2[k++] = "--";
		argv2[k++] = "sh";
		argv2[k++] = "-c";
		argv2[k++] = both;
		argv2[k] = NULL;
		if (run_cmd(argv2, &res)) {
			printf("bench_record: two-core storm failed\n");
			return 1;
		}
		printf("  both cores (2 storms, -e file): %.1f ns/iter each, %.2f M events/s, "
		       "drops %llu, recorder CPU %.0f%% of one core, %.2f B/event\n",
		       res.ns_iter, res.events / res.wall_s / 1e6, (unsigned long long)res.drops,
		       100 * res.cpu_s / res.wall_s,
		       res.events ? (double)file_size(tape) / res.events : 0);
	}
	unlink(tape);
	unlink(perfdata);
	unlink(STORM_FILE);
	return 0;
}
