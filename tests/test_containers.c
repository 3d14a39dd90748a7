// SPDX-License-Identifier: MIT
/*
 * Containers recorded for real (issue 14): Debian's podman runs, with
 * runc, a busybox image built here from a local root filesystem (no
 * registry) while bpftape records.  Podman's storage lives in the test's
 * scratch directory, named by a storage.conf that podman and the recorder
 * both read ($CONTAINERS_STORAGE_CONF).
 *
 *  - a whole-system recording: the container's events carry its id, name
 *    and runtime, the host's none; replay --container, -f and SQL count
 *    the same events;
 *  - record --container NAME: the container's events (also of a process
 *    `podman exec` starts during the recording), none of the host's;
 *  - record --container of no container fails with a clear message.
 *
 * Root.  Exits 77, saying why, where podman cannot run a container.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char bpftape[PATH_MAX + 16], dir[128], name[64], id[80], podman[PATH_MAX + 128];

/* Run a shell command (printf-style); its exit status, or -1. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* The standard output of a shell command, trailing newline dropped;
 * malloc'ed (empty if it printed nothing). */
static char *out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *out(const char *fmt, ...)
{
	char cmd[8192], *buf = calloc(1, 1 << 20);
	size_t n = 0, k;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f || !buf) {
		free(buf);
		if (f)
			pclose(f);
		return strdup("");
	}
	while ((k = fread(buf + n, 1, (1 << 20) - 1 - n, f)) > 0)
		n += k;
	pclose(f);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return buf;
}

/* The number a shell command prints. */
static long num(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long num(const char *fmt, ...)
{
	char cmd[8192], *s;
	va_list ap;
	long v;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	s = out("%s", cmd);
	v = strtol(s, NULL, 10);
	print_message("  %s\n  -> %s\n", cmd, s);
	free(s);
	return v;
}

/* A host process that opens its marker while a recording runs. */
static int host_load(void)
{
	return sh("(for i in $(seq 40); do cat %s/host-marker >/dev/null; sleep 0.05; done) &",
		  dir);
}

static void test_whole_system(void **state)
{
	char tape[256];
	long ctr_opens, host_opens, wrong, replay_n, expr_n, sql_n, execs;

	(void)state;
	snprintf(tape, sizeof(tape), "%s/all.tape", dir);
	assert_int_equal(host_load(), 0);
	assert_int_equal(
		sh("%s record -o %s -e proc,file --duration 2 2>%s/rec.err", bpftape, tape, dir),
		0);
	/* the container opens /bt-marker; every one of them is its own */
	ctr_opens =
		num("%s query %s --format csv -c \"SELECT count(*) FROM open o JOIN processes p "
		    "USING (pid) WHERE o.path = '/bt-marker' AND p.container_name = '%s' AND "
		    "p.runtime = 'podman' AND p.container = '%s'\" | tail -1",
		    bpftape, tape, name, id);
	assert_true(ctr_opens > 0);
	/* among processes whose start the tape saw (snapshot, fork or exec):
	 * one that started before the recording and ended before its
	 * snapshot is known only from its exit, with no cgroup to judge */
	wrong = num("%s query %s --format csv -c \"SELECT count(*) FROM open o JOIN processes p "
		    "USING (pid) WHERE o.path = '/bt-marker' AND p.container IS NOT '%s' AND "
		    "p.start_ts IS NOT NULL\" | tail -1",
		    bpftape, tape, id);
	assert_int_equal(wrong, 0);
	/* what ran on the host is in no container */
	host_opens =
		num("%s query %s --format csv -c \"SELECT count(*) FROM open o JOIN processes p "
		    "USING (pid) WHERE o.path LIKE '%%/host-marker' AND p.container = ''\" | "
		    "tail -1",
		    bpftape, tape);
	assert_true(host_opens > 0);
	/* each exec in the container names it (runc's own and the loop's) */
	execs = num(
		"%s query %s --format csv -c \"SELECT count(*) FROM exec WHERE container_name = "
		"'%s' AND runtime = 'podman' AND cgroup LIKE '%%libpod-%%'\" | tail -1",
		bpftape, tape, name);
	assert_true(execs > 0);
	/* replay --container, -f and SQL agree */
	replay_n = num("%s replay --container %s -f 'path == \"/bt-marker\"' %s | wc -l", bpftape,
		       name, tape);
	expr_n = num("%s replay -f 'container_name == \"%s\" && path == \"/bt-marker\"' %s | wc -l",
		     bpftape, name, tape);
	sql_n = ctr_opens;
	assert_int_equal(replay_n, sql_n);
	assert_int_equal(expr_n, sql_n);
	assert_int_equal(num("%s replay --container %s --type open %s | grep -c host-marker",
			     bpftape, name, tape),
			 0);
}

static void test_filtered(void **state)
{
	char tape[256], *filter;
	long ctr_opens, exec_opens, host, procs_out;

	(void)state;
	snprintf(tape, sizeof(tape), "%s/ctr.tape", dir);
	assert_int_equal(host_load(), 0);
	/* a process that enters the container during the recording */
	assert_int_equal(sh("(sleep 0.7; %s exec %s cat /bt-marker2 >/dev/null) &", podman, name),
			 0);
	assert_int_equal(sh("%s record -o %s -e proc,file --container %s --duration 2 "
			    "2>%s/rec.err",
			    bpftape, tape, name, dir),
			 0);
	ctr_opens = num("%s query %s --format csv -c \"SELECT count(*) FROM open WHERE path = "
			"'/bt-marker'\" | tail -1",
			bpftape, tape);
	assert_true(ctr_opens > 0);
	exec_opens = num("%s query %s --format csv -c \"SELECT count(*) FROM open WHERE path = "
			 "'/bt-marker2'\" | tail -1",
			 bpftape, tape);
	assert_true(exec_opens > 0);
	/* in the kernel: nothing of the host's, nothing of podman's own */
	host = num("%s query %s --format csv -c \"SELECT count(*) FROM open WHERE path LIKE "
		   "'%%host-marker'\" | tail -1",
		   bpftape, tape);
	assert_int_equal(host, 0);
	/* (a process that exited between the attach and the snapshot has only
	 * its exit, and no known container) */
	procs_out = num("%s query %s --format csv -c \"SELECT count(*) FROM events e JOIN "
			"processes p USING (pid) WHERE p.container IS NOT NULL AND p.container "
			"!= '%s'\" | tail -1",
			bpftape, tape, id);
	assert_int_equal(procs_out, 0);
	filter = out("%s query %s --format csv -c \"SELECT value FROM meta WHERE key = "
		     "'record.filter'\" | tail -1",
		     bpftape, tape);
	assert_non_null(strstr(filter, "container="));
	free(filter);
}

static void test_unknown(void **state)
{
	char *err;

	(void)state;
	assert_int_equal(sh("%s record -o %s/x.tape --container no-such-container-%d "
			    "--duration 1 2>%s/unknown.err",
			    bpftape, dir, (int)getpid(), dir),
			 2);
	err = out("cat %s/unknown.err", dir);
	print_message("  %s\n", err);
	assert_non_null(strstr(err, "--container 'no-such-container-"));
	assert_non_null(strstr(err, "no running container has this name or id"));
	/* the running one is listed, to pick from */
	assert_non_null(strstr(err, name));
	free(err);
	err = out("ls %s", dir);
	assert_null(strstr(err, "x.tape"));
	free(err);
}

/*
 * A runtime that places its containers in cgroup v1 hierarchies only
 * (docker's cgroupfs driver on a hybrid host): the v2 path names no
 * container, the v1 one does.  A sleeper loop moved into a v1 cgroup named
 * as docker names them stands for the container.
 */
static void test_v1_only(void **state)
{
	static const char hex[] =
		"feedc0de0123456789abcdef0123456789abcdef0123456789abcdef01234567";
	static const char *const ctrl[] = {"pids", "freezer", "cpu", "memory"};
	char cg[256] = "", tape[256];
	long n;

	(void)state;
	for (size_t i = 0; i < sizeof(ctrl) / sizeof(ctrl[0]) && !cg[0]; i++)
		if (!sh("grep -q ' /sys/fs/cgroup/%s cgroup ' /proc/mounts", ctrl[i]))
			snprintf(cg, sizeof(cg), "/sys/fs/cgroup/%s/docker/%s", ctrl[i], hex);
	if (!cg[0]) {
		print_message("no cgroup v1 hierarchy mounted: skipped\n");
		skip();
	}
	snprintf(tape, sizeof(tape), "%s/v1.tape", dir);
	assert_int_equal(sh("mkdir -p %s && echo v1 > %s/v1-marker", cg, dir), 0);
	assert_int_equal(sh("sh -c 'echo $$ > %s/cgroup.procs && exec sh -c \"echo \\$$ > "
			    "%s/v1.pid; while :; do cat %s/v1-marker >/dev/null; sleep 0.05; "
			    "done\"' >/dev/null 2>&1 &",
			    cg, dir, dir),
			 0);
	assert_int_equal(
		sh("%s record -o %s -e proc,file --duration 1.5 2>%s/rec.err", bpftape, tape, dir),
		0);
	sh("kill $(cat %s/v1.pid); sleep 0.3; rmdir %s %s/.. 2>/dev/null", dir, cg, cg);
	/* the loop's own process (snapshot) and each cat it runs (exec) */
	n = num("%s query %s --format csv -c \"SELECT count(*) FROM open o JOIN processes p "
		"USING (pid) WHERE o.path LIKE '%%/v1-marker' AND p.runtime = 'docker' AND "
		"p.container = '%s' AND p.container_name = 'feedc0de0123'\" | tail -1",
		bpftape, tape, hex);
	assert_true(n > 0);
	/* none in another container, nor said to be in none: a cat that
	 * ended before its cgroups were read, and whose fork came before
	 * the recording, is unknown (no cgroup, no container), never wrong */
	n = num("%s query %s --format csv -c \"SELECT count(*) FROM open o JOIN processes p "
		"USING (pid) WHERE o.path LIKE '%%/v1-marker' AND (p.container != '%s' OR "
		"(p.container IS NULL AND COALESCE(p.cgroup, '') != ''))\" | tail -1",
		bpftape, tape, hex);
	assert_int_equal(n, 0);
}

/* Build the image, start the container; a reason in @why when podman
 * cannot. */
static int podman_up(char *why, size_t len)
{
	char *s;

	if (sh("command -v podman >/dev/null && command -v runc >/dev/null")) {
		snprintf(why, len, "podman or runc not installed (apt-get install podman runc)");
		return -1;
	}
	if (access("/bin/busybox", X_OK)) {
		snprintf(why, len, "/bin/busybox missing (apt-get install busybox-static)");
		return -1;
	}
	if (sh("cd %s && mkdir -p rootfs/bin && cp /bin/busybox rootfs/bin/ && "
	       "for a in sh cat sleep seq; do ln -s busybox rootfs/bin/$a; done && "
	       "echo ctr > rootfs/bt-marker && echo ctr2 > rootfs/bt-marker2 && "
	       "echo host > host-marker && tar -C rootfs -cf rootfs.tar . && "
	       "printf '[storage]\\ndriver = \"vfs\"\\ngraphroot = \"%s/root\"\\n"
	       "runroot = \"%s/runroot\"\\n' > storage.conf",
	       dir, dir, dir)) {
		snprintf(why, len, "cannot build the root filesystem in %s", dir);
		return -1;
	}
	if (sh("%s import %s/rootfs.tar localhost/bpftape-busybox >%s/podman.log 2>&1", podman, dir,
	       dir)) {
		s = out("tail -3 %s/podman.log", dir);
		snprintf(why, len, "podman import failed: %s", s);
		free(s);
		return -1;
	}
	if (sh("%s run -d --net none --name %s --ulimit nofile=1024:1024 "
	       "--ulimit nproc=1024:1024 localhost/bpftape-busybox /bin/sh -c "
	       "'while true; do cat /bt-marker >/dev/null; sleep 0.05; done' >%s/podman.log 2>&1",
	       podman, name, dir)) {
		s = out("tail -3 %s/podman.log", dir);
		snprintf(why, len, "podman run failed: %s", s);
		free(s);
		return -1;
	}
	s = out("%s inspect --format '{{.Id}}' %s", podman, name);
	snprintf(id, sizeof(id), "%s", s);
	free(s);
	return strlen(id) == 64 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_system),
		cmocka_unit_test(test_filtered),
		cmocka_unit_test(test_unknown),
	};
	const struct CMUnitTest v1_tests[] = {
		cmocka_unit_test(test_v1_only),
	};
	char self[PATH_MAX], why[1024] = "", conf[256];
	ssize_t n;
	int ret;

	if (geteuid() != 0) {
		printf("test_containers: skipped: needs root to record and to run podman\n");
		return 77;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	if (getenv("BPFTAPE"))
		snprintf(bpftape, sizeof(bpftape), "%s", getenv("BPFTAPE"));
	else
		snprintf(bpftape, sizeof(bpftape), "%s/../bpftape", self);
	if (access(bpftape, X_OK)) {
		printf("test_containers: %s is not executable: build it first (make)\n", bpftape);
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-ctr-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(name, sizeof(name), "bpftape-test-%d", (int)getpid());
	snprintf(conf, sizeof(conf), "%s/storage.conf", dir);
	setenv("CONTAINERS_STORAGE_CONF", conf, 1);
	/* no systemd to place the container, no journald for its events; runc,
	 * as crun does not run on these hosts' cgroup v1/v2 hybrid */
	snprintf(podman, sizeof(podman),
		 "podman --cgroup-manager cgroupfs --events-backend file --runtime runc "
		 "--tmpdir %s/tmp",
		 dir);
	/* needs no runtime: the cgroup stands for the container */
	ret = cmocka_run_group_tests(v1_tests, NULL, NULL);
	if (podman_up(why, sizeof(why))) {
		printf("test_containers: podman tests skipped: %s\n", why);
		sh("%s rm -f %s >/dev/null 2>&1", podman, name);
		if (!ret)
			sh("rm -rf %s", dir);
		return ret;
	}
	print_message("container %s %s\n", name, id);
	ret |= cmocka_run_group_tests(tests, NULL, NULL);
	sh("%s rm -f -t 0 %s >/dev/null 2>&1", podman, name);
	if (!ret)
		sh("rm -rf %s", dir);
	return ret;
}
