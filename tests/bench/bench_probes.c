// SPDX-License-Identifier: MIT
/*
 * What generic probes cost, per event, measured inside the traced loop:
 *
 *  - the openat storm under `perf record -e syscalls:sys_enter_openat` and
 *    under `bpftape record -e tracepoint:syscalls:sys_enter_openat` (the
 *    same raw record, decoded offline from the kernel format), side by side
 *    in one run: extra ns per event, their ratio, bytes per event on disk;
 *  - a uprobe with two integer arguments, and a uretprobe;
 *  - a USDT probe with an integer and a string argument.
 *
 * This binary is also the workload: `bench_probes storm|call|usdt N` runs N
 * iterations and prints ns per iteration.
 *
 * Each figure is given as wall time and as the workload's CPU time (which
 * includes the probes' kernel work and is steadier on a shared machine).
 *
 * Env: BPFTAPE (path to bpftape), OUTPUT (scratch dir), BENCH_ITERS (storm
 * iterations, default 1000000), BENCH_RUNS (default 3, the median is kept),
 * BENCH_QUICK=1 (100000 iterations, one run).
 * Needs root; exits 77 with the reason otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STORM_FILE "/tmp/bpftape-bench-probes.file"
#define MAX_RUNS   9

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The uprobe target: noipa keeps the symbol and the call. */
__attribute__((noipa)) uint64_t bench_fn(uint64_t a, uint64_t b)
{
	return a ^ b;
}

static int workload(const char *mode, long n)
{
	uint64_t t0, t1, c0, c1, acc = 0;
	char name[32];

	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		if (!strcmp(mode, "storm")) {
			int fd = open(STORM_FILE, O_RDONLY);

			if (fd < 0) {
				perror(STORM_FILE);
				return 1;
			}
			close(fd);
		} else if (!strcmp(mode, "call")) {
			acc += bench_fn(i, acc);
		} else {
			snprintf(name, sizeof(name), "it-%ld", i & 1023);
			DTRACE_PROBE2(bpftape_bench, tick, i, name);
		}
	}
	c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	t1 = now_ns(CLOCK_MONOTONIC);
	printf("%.2f %.2f\n", (double)(t1 - t0) / n + (acc == 42 ? 1e-9 : 0),
	       (double)(c1 - c0) / n);
	return 0;
}

struct result {
	double ns;	 /* per iteration, in the workload (wall) */
	double cpu;	 /* per iteration, the workload's CPU time (kernel work of
			  * its probes included): steadier on a shared machine */
	uint64_t events; /* recorded, from the tool's summary */
	uint64_t drops;
	uint64_t bytes; /* output file */
};

/* Run @argv; stdout (the workload's ns line) and stderr (the tool's summary)
 * are parsed.  0 or -1. */
static int run(char *const argv[], const char *outfile, struct result *r)
{
	char opath[] = "/tmp/bpftape-bench-pXXXXXX", epath[] = "/tmp/bpftape-bench-eXXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath), status, ret = -1;
	char buf[4096];
	struct stat st;
	ssize_t n;
	pid_t pid;
	char *p;

	memset(r, 0, sizeof(*r));
	if (ofd < 0 || efd < 0)
		goto cleanup;
	pid = fork();
	if (pid < 0)
		goto cleanup;
	if (!pid) {
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_probes: %s failed\n", argv[0]);
		lseek(efd, 0, SEEK_SET);
		n = read(efd, buf, sizeof(buf) - 1);
		if (n > 0)
			fprintf(stderr, "%.*s\n", (int)n, buf);
		goto cleanup;
	}
	lseek(ofd, 0, SEEK_SET);
	n = read(ofd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	r->ns = strtod(buf, &p);
	r->cpu = strtod(p, NULL);
	lseek(efd, 0, SEEK_SET);
	n = read(efd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	p = strstr(buf, "bpftape record: ");
	if (p)
		sscanf(p, "bpftape record: %lu events, %lu drops", &r->events, &r->drops);
	p = strstr(buf, "samples)");
	if (p) {
		while (p > buf && p[-1] != '(')
			p--;
		r->events = strtoull(p, NULL, 10);
	}
	if (outfile && !stat(outfile, &st))
		r->bytes = st.st_size;
	ret = 0;
cleanup:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	unlink(opath);
	unlink(epath);
	return ret;
}

static int cmp_result(const void *a, const void *b)
{
	double x = ((const struct result *)a)->ns, y = ((const struct result *)b)->ns;

	return x < y ? -1 : x > y;
}

/* The median of @runs runs of @argv, by ns per iteration. */
static int median(char *const argv[], const char *outfile, int runs, struct result *r)
{
	struct result rs[MAX_RUNS];

	for (int i = 0; i < runs; i++) {
		if (outfile)
			unlink(outfile);
		if (run(argv, outfile, &rs[i]))
			return -1;
	}
	qsort(rs, runs, sizeof(rs[0]), cmp_result);
	*r = rs[runs / 2];
	return 0;
}

static void report(const char *what, const struct result *base, const struct result *r, long iters)
{
	printf("  %-50s %8.1f ns/iter (cpu %8.1f)  +%7.1f ns/event (cpu +%7.1f)", what, r->ns,
	       r->cpu, r->ns - base->ns, r->cpu - base->cpu);
	if (r->events)
		printf("  %9lu events  %5lu drops  %6.2f B/event", r->events, r->drops,
		       (double)r->bytes / r->events);
	else if (iters)
		printf("  (no event count)");
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *bpftape = getenv("BPFTAPE"), *out = getenv("OUTPUT");
	long iters = getenv("BENCH_ITERS") ? atol(getenv("BENCH_ITERS")) : 1000000;
	int runs = getenv("BENCH_RUNS") ? atoi(getenv("BENCH_RUNS")) : 3;
	char self[PATH_MAX], tape[PATH_MAX], pdata[PATH_MAX], n_storm[32], n_call[32];
	char up[PATH_MAX + 64], uret[PATH_MAX + 64], usdt[PATH_MAX + 64];
	struct result base, perf, gen, r;
	long calls;
	ssize_t n;
	int fd;

	if (argc == 3)
		return workload(argv[1], atol(argv[2]));
	if (geteuid()) {
		printf("bench_probes: needs root (BPF, perf tracepoints)\n");
		return 77;
	}
	if (!bpftape || access(bpftape, X_OK)) {
		printf("bench_probes: set BPFTAPE to the bpftape binary\n");
		return 77;
	}
	if (getenv("BENCH_QUICK") && atoi(getenv("BENCH_QUICK"))) {
		iters = 100000;
		runs = 1;
	}
	if (runs < 1 || runs > MAX_RUNS)
		runs = 3;
	if (iters < 1000)
		iters = 1000;
	calls = iters / 5;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(tape, sizeof(tape), "%s/bench_probes.tape", out ? out : "/tmp");
	snprintf(pdata, sizeof(pdata), "%s/bench_probes.perf.data", out ? out : "/tmp");
	snprintf(n_storm, sizeof(n_storm), "%ld", iters);
	snprintf(n_call, sizeof(n_call), "%ld", calls);
	fd = open(STORM_FILE, O_CREAT | O_WRONLY, 0644);
	if (fd < 0) {
		perror(STORM_FILE);
		return 1;
	}
	close(fd);

	printf("generic probes (median of %d runs)\n", runs);
	printf(" openat storm, %ld iterations:\n", iters);
	{
		char *untraced[] = {self, "storm", n_storm, NULL};
		char *perf_argv[] = {"/usr/bin/perf",
				     "record",
				     "-o",
				     pdata,
				     "-e",
				     "syscalls:sys_enter_openat",
				     "--",
				     self,
				     "storm",
				     n_storm,
				     NULL};
		char *gen_argv[] = {(char *)bpftape,
				    "record",
				    "-o",
				    tape,
				    "-e",
				    "tracepoint:syscalls:sys_enter_openat",
				    "--",
				    self,
				    "storm",
				    n_storm,
				    NULL};

		if (median(untraced, NULL, runs, &base))
			return 1;
		report("untraced", &base, &base, 0);
		if (!access("/usr/bin/perf", X_OK) && !median(perf_argv, pdata, runs, &perf))
			report("perf record -e syscalls:sys_enter_openat", &base, &perf, iters);
		else
			memset(&perf, 0, sizeof(perf));
		if (median(gen_argv, tape, runs, &gen))
			return 1;
		report("bpftape -e tracepoint:syscalls:sys_enter_openat", &base, &gen, iters);
		if (perf.ns > base.ns && perf.cpu > base.cpu)
			printf("  overhead ratio bpftape/perf: %.2fx wall, %.2fx cpu\n",
			       (gen.ns - base.ns) / (perf.ns - base.ns),
			       (gen.cpu - base.cpu) / (perf.cpu - base.cpu));
	}

	printf(" function calls, %ld iterations:\n", calls);
	snprintf(up, sizeof(up), "uprobe:%s:bench_fn(a:u64,b:u64)", self);
	snprintf(uret, sizeof(uret), "uretprobe:%s:bench_fn(u64)", self);
	{
		char *untraced[] = {self, "call", n_call, NULL};
		char *up_argv[] = {(char *)bpftape, "record", "-o", tape, "-e", up, "--", self,
				   "call",	    n_call,   NULL};
		char *ret_argv[] = {(char *)bpftape, "record", "-o", tape, "-e", uret, "--", self,
				    "call",	     n_call,   NULL};

		if (median(untraced, NULL, runs, &base))
			return 1;
		report("untraced", &base, &base, 0);
		if (median(up_argv, tape, runs, &r))
			return 1;
		report("bpftape -e uprobe:SELF:bench_fn(a:u64,b:u64)", &base, &r, calls);
		if (median(ret_argv, tape, runs, &r))
			return 1;
		report("bpftape -e uretprobe:SELF:bench_fn(u64)", &base, &r, calls);
	}

	printf(" USDT probe with a string, %ld iterations:\n", calls);
	snprintf(usdt, sizeof(usdt), "usdt:%s:bpftape_bench:tick(i:s64,name:str)", self);
	{
		char *untraced[] = {self, "usdt", n_call, NULL};
		char *usdt_argv[] = {(char *)bpftape, "record", "-o", tape, "-e", usdt, "--", self,
				     "usdt",	      n_call,	NULL};

		if (median(untraced, NULL, runs, &base))
			return 1;
		report("untraced (probe not enabled)", &base, &base, 0);
		if (median(usdt_argv, tape, runs, &r))
			return 1;
		report("bpftape -e usdt:SELF:bpftape_bench:tick(s64,str)", &base, &r, calls);
	}
	unlink(tape);
	unlink(pdata);
	unlink(STORM_FILE);
	return 0;
}
