// SPDX-License-Identifier: MIT
/*
 * bpftape summary on a real recording (root, BPF): a shell runs cat on a
 * file that exists and on one that does not; the summary must show the
 * failed open with ENOENT, the syscalls that failed it, and the shell with
 * its two cats in the exec tree.  The JSON is parsed by python3.  Skips
 * (status 77) without root, python3, or a recorder that can load BPF here.
 */
#include <errno.h>
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

static char bpftape[4096], dir[256];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command line; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static void test_real_recording(void **state)
{
	char missing[128];

	(void)state;
	snprintf(missing, sizeof(missing), "/nonexistent-bpftape-summary-%d", (int)getpid());
	if (sh("'%s' record -e syscall,file,proc -o %s/real.tape -- /bin/sh -c "
	       "'cat /etc/hostname >/dev/null; cat %s 2>/dev/null; exit 0' 2>%s/record.err",
	       bpftape, dir, missing, dir)) {
		sh("cat %s/record.err", dir);
		print_message("test_real_recording: skipped: the recorder cannot run here\n");
		skip();
	}
	assert_int_equal(
		sh("'%s' summary --json --top 0 %s/real.tape >%s/all.json", bpftape, dir, dir), 0);
	assert_int_equal(sh("'%s' summary --json --top 0 --comm cat %s/real.tape >%s/cat.json",
			    bpftape, dir, dir),
			 0);
	assert_int_equal(
		sh("python3 - %s/all.json %s/cat.json '%s' <<'EOF'\n"
		   "import json, sys\n"
		   "s = json.load(open(sys.argv[1]))\n"
		   "c = json.load(open(sys.argv[2]))\n"
		   "missing = sys.argv[3]\n"
		   "def need(ok, what):\n"
		   "    if not ok:\n"
		   "        sys.exit('%%s\\n%%s' %% (what, json.dumps(s)[:3000]))\n"
		   "f = [r for r in s['files']['by_failures'] if r['path'] == missing]\n"
		   "need(len(f) == 1 and (f[0]['opens'], f[0]['failures'], f[0]['last_error'])"
		   " == (1, 1, 'ENOENT'), 'the failed open of ' + missing)\n"
		   "sc = {r['syscall']: r for r in s['syscalls']['rows']}\n"
		   "need(sc.get('execve', {}).get('calls', 0) >= 2, 'two execve')\n"
		   "opens = sum(sc.get(n, {}).get('errors', 0) for n in ('open', 'openat'))\n"
		   "need(opens >= 1, 'a failed open syscall')\n"
		   "need(all(r['p50_ns'] <= r['p99_ns'] <= r['max_ns'] for r in sc.values()),"
		   " 'p50 <= p99 <= max')\n"
		   "need(sum(r['calls'] for r in sc.values()) == s['types']['syscall'],"
		   " 'every syscall event in the table')\n"
		   "need(sum(p['events'] for p in s['processes']['by_events'])"
		   " + s['processes']['other_events'] == s['events'], 'every event counted')\n"
		   "def find(nodes):\n"
		   "    for n in nodes:\n"
		   "        if n.get('cmd', '').startswith('/bin/sh -c'):\n"
		   "            return n\n"
		   "        r = find(n['children'])\n"
		   "        if r: return r\n"
		   "shell = find(s['exec_tree'])\n"
		   "need(shell is not None, 'the shell in the exec tree')\n"
		   "cats = [k for k in shell['children'] if k['comm'] == 'cat']\n"
		   "need(len(cats) == 2 and any(k['cmd'] == 'cat ' + missing for k in cats),"
		   " 'its two cats')\n"
		   "need(c['whole'] is False and c['processes']['count'] == 2 and"
		   " all(p['comm'] == 'cat' for p in c['processes']['by_events']), '--comm cat')\n"
		   "EOF",
		   dir, dir, missing),
		0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_recording),
	};
	int ret;

	(void)argc;
	if (geteuid() != 0) {
		printf("test_summary_root: skipped: needs root to record\n");
		return 77;
	}
	if (sh("command -v python3 >/dev/null")) {
		printf("test_summary_root: skipped: no python3 to parse the JSON\n");
		return 77;
	}
	if (getenv("BPFTAPE")) {
		snprintf(bpftape, sizeof(bpftape), "%s", getenv("BPFTAPE"));
	} else {
		const char *slash = strrchr(argv[0], '/');

		snprintf(bpftape, sizeof(bpftape), "%.*s/../bpftape",
			 slash ? (int)(slash - argv[0]) : 1, slash ? argv[0] : ".");
	}
	if (access(bpftape, X_OK)) {
		printf("test_summary_root: skipped: no bpftape at %s (set BPFTAPE)\n", bpftape);
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-summary-root-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		sh("rm -rf '%s'", dir);
	return ret;
}
