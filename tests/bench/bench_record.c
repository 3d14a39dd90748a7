// SPDX-License-Identifier: MIT
/*
 * The openat storm from the brief, side by side in one run: untraced, under
 * `perf record -e syscalls:sys_enter_openat`, and under `bpftape record`
 * (-e open: the same events as perf, with the path; -e file: open and
 * close).  Prints ns per iteration, the extra ns per event over untraced,
 * the ratio to perf's, drops and tape bytes per event; then two storms at
 * once (both cores) with the recorder's drops and CPU.
 *
 * Env: BPFTAPE (path to bpftape), OUTPUT (scratch dir), BENCH_ITERS
 * (default 1000000), BENCH_RUNS (default 3, the median is kept),
 * BENCH_QUICK=1 (200000 iterations, one run), BENCH_CPU (the CPU each storm
 * is pinned to; default the last one, -1 for none).
 * Needs root; exits 77 with the reason otherwise.
 */
#include <errno.h>
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
	double ns_iter;	 /* from the storm(s), averaged */
	double cpu_iter; /* CPU ns per iteration of the storm(s), averaged */
	double cpu_s;	 /* user+sys of the tracer process */
	double wall_s;	 /* of the tracer process */
	uint64_t events; /* bpftape's summary */
	uint64_t drops;	 /* bpftape's summary */
	uint64_t bytes;	 /* output file size */
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

		if (sscanf(line, "bpftape record: %llu events, %llu drops", &ev, &dr) == 2) {
			out->events = ev;
			out->drops = dr;
		} else if (sscanf(line, "bpftape record: recorder CPU %lf s", &cpu) == 1) {
			out->cpu_s = cpu; /* its own, without the recorded commands */
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

int main(int argc, char **argv)
{
	const char *bpftape = getenv("BPFTAPE"), *outdir = getenv("OUTPUT");
	long iters = getenv("BENCH_ITERS") ? atol(getenv("BENCH_ITERS")) : 1000000;
	int runs = getenv("BENCH_RUNS") ? atoi(getenv("BENCH_RUNS")) : 3;
	char self[4096], its[32], tape[4096], perfdata[4096], both[3 * 4096];
	enum { UNTRACED, PERF, OPEN, FILEEV, NMODES };
	static const char *const names[NMODES] = {"untraced", "perf record -e sys_enter_openat",
						  "bpftape record -e open",
						  "bpftape record -e file"};
	double ns[NMODES][16];
	struct run last[NMODES] = {};
	uint64_t drops = 0;
	double med[NMODES], cpu[NMODES][16], cmed[NMODES];
	int fd;

	if (argc == 4 && !strcmp(argv[1], "--storm"))
		return storm(atol(argv[2]), argv[3]);
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
		runs = 3;
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		return 1;
	self[sizeof(self) - 1] = 0;
	self[readlink("/proc/self/exe", self, sizeof(self) - 1)] = 0;
	snprintf(its, sizeof(its), "%ld", iters);
	snprintf(tape, sizeof(tape), "%s/bench_record.tape", outdir);
	snprintf(perfdata, sizeof(perfdata), "%s/bench_record.perf.data", outdir);
	fd = open(STORM_FILE, O_CREAT | O_WRONLY, 0644);
	if (fd < 0) {
		perror(STORM_FILE);
		return 1;
	}
	close(fd);

	printf("bench_record: openat storm, %ld iterations (open+close), median of %d runs\n",
	       iters, runs);
	fflush(stdout);
	for (int r = 0; r < runs; r++) {
		/* interleaved so that drift hits every mode alike */
		for (int m = 0; m < NMODES; m++) {
			char *storm_argv[] = {self, "--storm", its, STORM_FILE, NULL};
			char *perf_argv[] = {
				"perf", "record",   "-q", "-e", "syscalls:sys_enter_openat",
				"-o",	perfdata,   "--", self, "--storm",
				its,	STORM_FILE, NULL};
			char *open_argv[] = {(char *)bpftape,
					     "record",
					     "-e",
					     "open",
					     "-o",
					     tape,
					     "--",
					     self,
					     "--storm",
					     its,
					     STORM_FILE,
					     NULL};
			char *file_argv[] = {(char *)bpftape,
					     "record",
					     "-e",
					     "file",
					     "-o",
					     tape,
					     "--",
					     self,
					     "--storm",
					     its,
					     STORM_FILE,
					     NULL};
			char *const *av = m == UNTRACED ? storm_argv
					  : m == PERF	? perf_argv
					  : m == OPEN	? open_argv
							: file_argv;
			struct run res = {};

			if (run_cmd(av, &res)) {
				printf("bench_record: %s failed\n", names[m]);
				return 1;
			}
			ns[m][r] = res.ns_iter;
			cpu[m][r] = res.cpu_iter;
			if (m == OPEN || m == FILEEV) {
				res.bytes = file_size(tape);
				drops += res.drops;
			} else if (m == PERF) {
				res.bytes = file_size(perfdata);
			}
			last[m] = res;
		}
	}
	for (int m = 0; m < NMODES; m++) {
		qsort(ns[m], runs, sizeof(double), cmp_double);
		qsort(cpu[m], runs, sizeof(double), cmp_double);
		med[m] = ns[m][runs / 2];
		cmed[m] = cpu[m][runs / 2];
	}
	{
		double base = cmed[UNTRACED], perf_x = cmed[PERF] - base;
		double open_x = cmed[OPEN] - base, file_x = (cmed[FILEEV] - base) / 2;

		printf("  CPU time of the storm (user+sys ns/iter; robust on a busy machine):\n");
		for (int m = 0; m < NMODES; m++)
			printf("  %-34s %8.1f ns/iter\n", names[m], cmed[m]);
		printf("  CPU overhead per event: perf +%.1f, -e open +%.1f, -e file +%.1f; "
		       "ratio to perf: -e open %.2f, -e file %.2f (target <= 0.70)\n",
		       perf_x, open_x, file_x, perf_x > 0 ? open_x / perf_x : 0,
		       perf_x > 0 ? file_x / perf_x : 0);
		printf("  wall clock (ns/iter, as the brief measures):\n");
	}

	{
		double base = med[UNTRACED];
		double perf_x = med[PERF] - base;
		double open_x = med[OPEN] - base;
		double file_x = (med[FILEEV] - base) / 2; /* two events per iteration */

		printf("  %-34s %8.1f ns/iter\n", names[UNTRACED], base);
		printf("  %-34s %8.1f ns/iter  +%6.1f ns/event  %6.1f B/event (perf.data)\n",
		       names[PERF], med[PERF], perf_x, (double)last[PERF].bytes / iters);
		printf("  %-34s %8.1f ns/iter  +%6.1f ns/event  %6.2f B/event  %llu events\n",
		       names[OPEN], med[OPEN], open_x,
		       last[OPEN].events ? (double)last[OPEN].bytes / last[OPEN].events : 0,
		       (unsigned long long)last[OPEN].events);
		printf("  %-34s %8.1f ns/iter  +%6.1f ns/event  %6.2f B/event  %llu events\n",
		       names[FILEEV], med[FILEEV], file_x,
		       last[FILEEV].events ? (double)last[FILEEV].bytes / last[FILEEV].events : 0,
		       (unsigned long long)last[FILEEV].events);
		printf("  overhead ratio bpftape/perf: -e open %.2f, -e file %.2f per event, %.2f "
		       "per iteration (target <= 0.70)\n",
		       perf_x > 0 ? open_x / perf_x : 0, perf_x > 0 ? file_x / perf_x : 0,
		       perf_x > 0 ? 2 * file_x / perf_x : 0);
		printf("  drops over all bpftape runs: %llu (target 0)\n",
		       (unsigned long long)drops);
		printf("  tape bytes/event: -e open %.2f, -e file %.2f (target <= 4)\n",
		       last[OPEN].events ? (double)last[OPEN].bytes / last[OPEN].events : 0,
		       last[FILEEV].events ? (double)last[FILEEV].bytes / last[FILEEV].events : 0);
	}

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
