// SPDX-License-Identifier: MIT
/*
 * Recorder integration tests (root, BPF): run `bpftape record` over the
 * deterministic workloads tests/work_*.c, then read the tape with format/
 * and check it holds exactly the events the workloads report doing.
 *
 * BPFTAPE names the bpftape binary (default: ../bpftape next to this test);
 * the workloads are found next to this test binary.  Exits 77 with the
 * reason when not root or when the kernel refuses BPF.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <netinet/in.h>

#include <cmocka.h>

#include <bpftape/tape.h>
#include "../bpf/events.h"

static char bpftape[PATH_MAX];
static char helpers[PATH_MAX];
static char tmpdir[PATH_MAX];

/* ---- helpers -------------------------------------------------------------- */

static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
}

/* The child's @setup failed (its reason is on its stderr, after "setup: "). */
#define SETUP_FAILED 125

/*
 * Start @argv with stdout/stderr into files (NULL: /dev/null), after
 * @setup (may be NULL) has prepared the child: its namespace, credentials.
 * Returns the pid.
 */
static pid_t start_setup(char *const argv[], const char *out, const char *err, int (*setup)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		setpgid(0, 0);
		if (setup && setup())
			_exit(SETUP_FAILED);
		execv(argv[0], argv);
		_exit(126);
	}
	return pid;
}

static pid_t start(char *const argv[], const char *out, const char *err)
{
	return start_setup(argv, out, err, NULL);
}

static int finish(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run(char *const argv[], const char *out, const char *err)
{
	return finish(start(argv, out, err));
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(buf);
	if (!f)
		return buf;
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* One event copied out of a cursor, its fields by name. */
#define MAXF 12
struct ev {
	char type[40];
	uint32_t pid, tid;
	uint64_t ts;
	char comm[TAPE_COMM_LEN + 1];
	unsigned nf;
	struct {
		char name[32];
		uint8_t kind;
		int64_t s;
		uint64_t u;
		char b[1536];
		uint32_t len;
	} f[MAXF];
};

struct evs {
	size_t n;
	struct ev *v;
	bool recovered;
	size_t nprocs;
	bool has_hostname;
	char errmsg[512];
	int cursor_err;
	size_t nlosses;
	uint64_t lost;
	bool bad_loss_range;
	uint64_t start_ts; /* record.start_ts, 0 if absent */
};

static void evs_free(struct evs *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Read every event of @path; fails the test if the tape does not open. */
static void load(const char *path, struct evs *out)
{
	char err[512];
	struct tape_reader *r = tape_reader__open(path, err, sizeof(err));
	const struct tape_event *te;
	struct tape_cursor *c;
	size_t cap = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!r)
		fail_msg("opening %s: %s", path, err);
	out->recovered = tape_reader__recovered(r);
	out->nprocs = tape_reader__proc_count(r);
	out->has_hostname = tape_reader__meta(r, "host.name") != NULL;
	if (tape_reader__meta(r, "record.start_ts"))
		out->start_ts = strtoull(tape_reader__meta(r, "record.start_ts"), NULL, 10);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &te)) != 0) {
		struct ev *e;

		if (ret < 0) {
			out->cursor_err = ret;
			snprintf(out->errmsg, sizeof(out->errmsg), "%s", tape_cursor__errmsg(c));
			continue;
		}
		if (te->type == TAPE_TYPE_LOSS) {
			out->nlosses++;
			out->lost += te->values[TAPE_LOSS_COUNT].u;
			if (te->values[TAPE_LOSS_FIRST_TS].u > te->values[TAPE_LOSS_LAST_TS].u)
				out->bad_loss_range = true;
			continue;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 1024;
			out->v = realloc(out->v, cap * sizeof(*out->v));
			assert_non_null(out->v);
		}
		e = &out->v[out->n++];
		memset(e, 0, offsetof(struct ev, f));
		snprintf(e->type, sizeof(e->type), "%s", te->tp->name);
		e->pid = te->pid;
		e->tid = te->tid;
		e->ts = te->ts;
		snprintf(e->comm, sizeof(e->comm), "%s", te->comm);
		e->nf = te->tp->nfields < MAXF ? te->tp->nfields : MAXF;
		for (unsigned i = 0; i < e->nf; i++) {
			const struct tape_field *f = &te->tp->fields[i];

			snprintf(e->f[i].name, sizeof(e->f[i].name), "%s", f->name);
			e->f[i].kind = f->kind;
			e->f[i].s = te->values[i].s;
			e->f[i].u = te->values[i].u;
			if (f->kind == TAPE_STR || f->kind == TAPE_BYTES) {
				uint32_t len = te->values[i].b.len;

				if (len > sizeof(e->f[i].b) - 1)
					len = sizeof(e->f[i].b) - 1;
				memcpy(e->f[i].b, te->values[i].b.ptr, len);
				e->f[i].b[len] = 0;
				e->f[i].len = len;
			}
		}
	}
	tape_cursor__free(c);
	tape_reader__free(r);
}

static int fidx(const struct ev *e, const char *name)
{
	for (unsigned i = 0; i < e->nf; i++)
		if (!strcmp(e->f[i].name, name))
			return (int)i;
	fail_msg("event %s has no field %s", e->type, name);
	return -1;
}

static int64_t fs(const struct ev *e, const char *name)
{
	return e->f[fidx(e, name)].s;
}

static uint64_t fu(const struct ev *e, const char *name)
{
	return e->f[fidx(e, name)].u;
}

static const char *fstr(const struct ev *e, const char *name)
{
	return e->f[fidx(e, name)].b;
}

static uint32_t flen(const struct ev *e, const char *name)
{
	return e->f[fidx(e, name)].len;
}

static bool is(const struct ev *e, const char *type)
{
	return !strcmp(e->type, type);
}

static void mkscratch(char *dir, const char *name)
{
	pathf(dir, "%s/%s", tmpdir, name);
	mkdir(dir, 0755);
}

/* ---- tests ---------------------------------------------------------------- */

/* Every file syscall of work_files is in the tape with its exact values. */
static void test_files(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], err[PATH_MAX], work[PATH_MAX];
	char line[8192], *text, *save = NULL;
	struct evs e;
	size_t nopen = 0, nclose = 0, nunlink = 0, nrename = 0;
	size_t topen = 0, tclose = 0, tunlink = 0, trename = 0;
	struct {
		char sc[16], path[PATH_MAX];
		int dfd, flags, mode, ret;
	} opens[16];
	struct {
		int fd, ret;
	} closes[16];
	struct {
		char path[PATH_MAX];
		int ret;
	} unlinks[4];
	struct {
		char a[PATH_MAX], b[PATH_MAX];
		int ret;
	} renames[4];
	uint32_t wpid = 0;

	(void)state;
	mkscratch(dir, "files");
	pathf(tape, "%s/files.tape", tmpdir);
	pathf(out, "%s/files.out", tmpdir);
	pathf(err, "%s/files.err", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "file", "-o", tape, "--", work, dir, NULL};

		assert_int_equal(run(argv, out, err), 0);
	}
	text = slurp(out);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		snprintf(line, sizeof(line), "%s", l);
		if (!strncmp(line, "open ", 5)) {
			assert_true(nopen < 16);
			assert_int_equal(sscanf(line, "open %15s %d %4095s %d %d %d",
						opens[nopen].sc, &opens[nopen].dfd,
						opens[nopen].path, &opens[nopen].flags,
						&opens[nopen].mode, &opens[nopen].ret),
					 6);
			nopen++;
		} else if (!strncmp(line, "close ", 6)) {
			assert_int_equal(sscanf(line, "close %d %d", &closes[nclose].fd,
						&closes[nclose].ret),
					 2);
			nclose++;
		} else if (!strncmp(line, "unlink ", 7)) {
			assert_int_equal(sscanf(line, "unlink %4095s %d", unlinks[nunlink].path,
						&unlinks[nunlink].ret),
					 2);
			nunlink++;
		} else if (!strncmp(line, "rename ", 7)) {
			assert_int_equal(sscanf(line, "rename %4095s %4095s %d", renames[nrename].a,
						renames[nrename].b, &renames[nrename].ret),
					 3);
			nrename++;
		}
	}
	free(text);
	assert_int_equal(nopen, 7);

	load(tape, &e);
	assert_false(e.recovered);
	assert_int_equal(e.cursor_err, 0);
	assert_true(e.has_hostname);
	assert_true(e.nprocs >= 1);
	/* -- CMD: the exec comes first, nothing of bpftape's code before it */
	assert_true(e.n > 0);
	assert_string_equal(e.v[0].type, "exec");
	/* the opens of our files, in order, with every field */
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];

		if (!wpid)
			wpid = v->pid;
		/* -- CMD: nothing from any other process */
		assert_int_equal(v->pid, wpid);
		assert_int_equal(v->tid, wpid);
		if (is(v, "open") && (!strncmp(fstr(v, "path"), dir, strlen(dir)) ||
				      !strcmp(fstr(v, "path"), "a.txt"))) {
			assert_true(topen < nopen);
			assert_string_equal(fstr(v, "path"), opens[topen].path);
			assert_int_equal(fs(v, "dfd"), opens[topen].dfd);
			assert_int_equal(fu(v, "flags"), (uint32_t)opens[topen].flags);
			assert_int_equal(fu(v, "mode"), (uint32_t)opens[topen].mode);
			assert_int_equal(fs(v, "ret"), opens[topen].ret);
			assert_int_equal(fu(v, "syscall"),
					 !strcmp(opens[topen].sc, "openat2") ? 2 : 1);
			assert_string_equal(v->comm, "work_files");
			topen++;
		} else if (is(v, "unlink")) {
			assert_true(tunlink < nunlink);
			assert_string_equal(fstr(v, "path"), unlinks[tunlink].path);
			assert_int_equal(fs(v, "ret"), unlinks[tunlink].ret);
			tunlink++;
		} else if (is(v, "rename")) {
			assert_true(trename < nrename);
			assert_string_equal(fstr(v, "oldpath"), renames[trename].a);
			assert_string_equal(fstr(v, "newpath"), renames[trename].b);
			assert_int_equal(fs(v, "ret"), renames[trename].ret);
			trename++;
		}
	}
	assert_int_equal(topen, nopen);
	/* -e file still records the process's exec and exit */
	{
		int nexec = 0, nexit = 0;

		for (size_t i = 0; i < e.n; i++) {
			if (is(&e.v[i], "exec")) {
				assert_string_equal(fstr(&e.v[i], "filename"), work);
				nexec++;
			} else if (is(&e.v[i], "exit")) {
				assert_int_equal(fs(&e.v[i], "code"), 0);
				nexit++;
			}
		}
		assert_int_equal(nexec, 1);
		assert_int_equal(nexit, 1);
	}
	assert_int_equal(tunlink, nunlink);
	assert_int_equal(trename, nrename);
	/* the closes main() made are the last closes of the process */
	for (size_t i = 0; i < e.n; i++)
		if (is(&e.v[i], "close"))
			tclose++;
	assert_true(tclose >= nclose);
	for (size_t i = 0, k = 0; i < e.n; i++) {
		if (!is(&e.v[i], "close"))
			continue;
		if (k++ < tclose - nclose)
			continue;
		assert_int_equal(fs(&e.v[i], "fd"), closes[k - 1 - (tclose - nclose)].fd);
		assert_int_equal(fs(&e.v[i], "ret"), closes[k - 1 - (tclose - nclose)].ret);
	}
	evs_free(&e);
}

/*
 * The calls that create or remove a name besides open/unlink/rename:
 * creat (an open event), rmdir (an unlink with AT_REMOVEDIR), mkdir,
 * mknod, link and symlink, each with its *at variant and a failing call,
 * in the order work_files made them, with every field.
 */
static void test_file_names(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], work[PATH_MAX], *text, *save = NULL;
	char *want[32], got[32][3 * PATH_MAX];
	size_t nwant = 0, ngot = 0;
	struct evs e;

	(void)state;
	mkscratch(dir, "names");
	pathf(tape, "%s/names.tape", tmpdir);
	pathf(out, "%s/names.out", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "file",  "-o", tape,
				"--",	 work,	   dir,	 "names", NULL};

		assert_int_equal(run(argv, out, NULL), 0);
	}
	text = slurp(out);
	for (char *l = strtok_r(text, "\n", &save); l && nwant < 32;
	     l = strtok_r(NULL, "\n", &save))
		want[nwant++] = l;
	assert_int_equal(nwant, 13);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];
		char *g = got[ngot < 32 ? ngot : 31];
		size_t len = sizeof(got[0]);

		if (is(v, "open") && fu(v, "syscall") == 3 /* creat */) {
			assert_int_equal(fs(v, "dfd"), AT_FDCWD);
			assert_int_equal(fu(v, "flags"), O_CREAT | O_WRONLY | O_TRUNC);
			snprintf(g, len, "creat %s %u %d", fstr(v, "path"), (unsigned)fu(v, "mode"),
				 (int)fs(v, "ret"));
		} else if (is(v, "unlink") && fu(v, "flags") == AT_REMOVEDIR) {
			assert_int_equal(fs(v, "dfd"), AT_FDCWD);
			snprintf(g, len, "rmdir %s %d", fstr(v, "path"), (int)fs(v, "ret"));
		} else if (is(v, "mkdir")) {
			snprintf(g, len, "mkdir %d %s %u %d", (int)fs(v, "dfd"), fstr(v, "path"),
				 (unsigned)fu(v, "mode"), (int)fs(v, "ret"));
		} else if (is(v, "mknod")) {
			snprintf(g, len, "mknod %d %s %u %u %d", (int)fs(v, "dfd"), fstr(v, "path"),
				 (unsigned)fu(v, "mode"), (unsigned)fu(v, "dev"),
				 (int)fs(v, "ret"));
		} else if (is(v, "link")) {
			snprintf(g, len, "link %d %s %d %s %u %d", (int)fs(v, "olddfd"),
				 fstr(v, "oldpath"), (int)fs(v, "newdfd"), fstr(v, "newpath"),
				 (unsigned)fu(v, "flags"), (int)fs(v, "ret"));
		} else if (is(v, "symlink")) {
			snprintf(g, len, "symlink %s %d %s %d", fstr(v, "target"),
				 (int)fs(v, "newdfd"), fstr(v, "linkpath"), (int)fs(v, "ret"));
		} else {
			continue;
		}
		ngot++;
	}
	for (size_t i = 0; i < nwant && i < ngot; i++)
		assert_string_equal(got[i], want[i]);
	assert_int_equal(ngot, nwant);
	free(text);
	evs_free(&e);
}

/*
 * An open record takes the ring only its path's used bytes, not
 * REC_PATH_MAX: fifty opens of a short path average far below the 320
 * bytes of a full struct rec_open (`-v` prints the ring's bytes per record).
 */
static void test_ring_bytes(void **state)
{
	char tape[PATH_MAX], err[PATH_MAX], *msg, *at;
	char *argv[] = {bpftape,
			"record",
			"-v",
			"-e",
			"open",
			"-o",
			tape,
			"--",
			"/bin/sh",
			"-c",
			"i=0; while [ $i -lt 50 ]; do : </etc/hostname; i=$((i+1)); done",
			NULL};
	unsigned long long n = 0;
	double per = 0;

	(void)state;
	pathf(tape, "%s/ring.tape", tmpdir);
	pathf(err, "%s/ring.err", tmpdir);
	assert_int_equal(run(argv, NULL, err), 0);
	msg = slurp(err);
	at = strstr(msg, "ring: ");
	if (!at || sscanf(at, "ring: %llu records, %lf bytes per record", &n, &per) != 2)
		fail_msg("no ring figures in: %s", msg);
	assert_true(n >= 50);
	if (per > 160)
		fail_msg("%.1f ring bytes per record for short paths", per);
	/* a ring of the default size for every online CPU, a page for the others */
	at = strstr(msg, "rings of ");
	assert_non_null(at);
	{
		char want[64];

		snprintf(want, sizeof(want), " (%ld rings of ", sysconf(_SC_NPROCESSORS_ONLN));
		if (!strstr(msg, want))
			fail_msg("not one ring per online CPU: %s", msg);
	}
	free(msg);
}

/*
 * Paths of every length around 64 bytes (where a short ring record of 128
 * would end: docs/RECORDING.md, "Taken apart") and at REC_PATH_MAX (256)
 * come out whole, a longer one cut to REC_PATH_MAX - 1 bytes: an open, a
 * mkdir and an unlink (rmdir) of a relative name of each length, most of
 * which fail (the event is recorded all the same).
 */
static void test_path_lengths(void **state)
{
	static const int lens[] = {8,  62, 63,	64,  65,  66,  70,  71,	 72,
				   73, 74, 127, 128, 200, 254, 255, 256, 300};
	static const char *const types[] = {"open", "mkdir", "unlink"};
	enum { NLENS = sizeof(lens) / sizeof(*lens) };
	char dir[PATH_MAX], tape[PATH_MAX], script[16384], names[NLENS][320];
	int seen[3][NLENS] = {{0}};
	size_t at = 0;
	struct evs e;

	(void)state;
	mkscratch(dir, "pathlen");
	pathf(tape, "%s/pathlen.tape", tmpdir);
	at += snprintf(script + at, sizeof(script) - at, "cd '%s' || exit 1; ", dir);
	for (int i = 0; i < NLENS; i++) {
		/* "p<len>_" then letters: each name says its length */
		int n = snprintf(names[i], sizeof(names[i]), "p%d_", lens[i]);

		for (; n < lens[i]; n++)
			names[i][n] = 'a' + n % 26;
		names[i][lens[i]] = 0;
		at += snprintf(script + at, sizeof(script) - at,
			       "true 2>/dev/null <%s; mkdir %s 2>/dev/null; rmdir %s 2>/dev/null; ",
			       names[i], names[i], names[i]);
	}
	assert_true(at < sizeof(script) - 8);
	{
		char *argv[] = {bpftape, "record", "-e", "open,unlink,mkdir",
				"-o",	 tape,	   "--", "/bin/sh",
				"-c",	 script,   NULL};

		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t k = 0; k < e.n; k++) {
		const struct ev *v = &e.v[k];
		const char *path;
		int len, i, t;

		for (t = 0; t < 3 && !is(v, types[t]); t++)
			;
		if (t == 3)
			continue;
		path = fstr(v, "path");
		if (sscanf(path, "p%d_", &len) != 1)
			continue;
		for (i = 0; i < NLENS && lens[i] != len; i++)
			;
		assert_true(i < NLENS);
		if (strlen(path) != (size_t)(len < REC_PATH_MAX ? len : REC_PATH_MAX - 1) ||
		    strncmp(path, names[i], REC_PATH_MAX - 1))
			fail_msg("%s: the %d-byte path came out as %zu bytes: %s", types[t], len,
				 strlen(path), path);
		seen[t][i]++;
	}
	for (int t = 0; t < 3; t++)
		for (int i = 0; i < NLENS; i++)
			if (seen[t][i] < 1)
				fail_msg("no %s of the %d-byte path", types[t], lens[i]);
	evs_free(&e);
}

/*
 * fork, exec (with argv, and a failing one), exit codes and signals.  *@state
 * is the -e list: with `file` the file family's sys_exit program reports
 * the failed exec, without it the proc family's own tracepoint does.
 */
static void test_exec(void **state)
{
	char *events = *state;
	char tape[PATH_MAX], out[PATH_MAX], work[PATH_MAX], *text;
	int child_exec = 0, child_exit = 0, child_kill = 0, failed = 0;
	bool seen_main_exec = false, seen_true = false, seen_failed = false;
	int exits = 0, forks = 0, kills = 0, sleeps = 0;
	uint32_t mainpid = 0;
	struct evs e;

	pathf(tape, "%s/exec.tape", tmpdir);
	pathf(out, "%s/exec.out", tmpdir);
	pathf(work, "%s/work_exec", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", events, "-o", tape, "--", work, NULL};

		assert_int_equal(run(argv, out, NULL), 0);
	}
	text = slurp(out);
	assert_int_equal(sscanf(text, "child_exec %d\nchild_exit %d\nchild_kill %d\nfailed_exec %d",
				&child_exec, &child_exit, &child_kill, &failed),
			 4);
	free(text);
	assert_int_equal(failed, -ENOENT);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];

		/* the command's own pid comes first: before its exec it may
		 * already switch out while it waits to be released */
		if (!mainpid)
			mainpid = v->pid;
		if (is(v, "exec") && fs(v, "ret") == 0 && v->pid == mainpid && !seen_main_exec) {
			assert_string_equal(fstr(v, "filename"), work);
			assert_int_equal(flen(v, "argv"), strlen(work));
			assert_string_equal(fstr(v, "argv"), work);
			seen_main_exec = true;
			continue;
		}
		assert_true(v->pid == mainpid || v->pid == (uint32_t)child_exec ||
			    v->pid == (uint32_t)child_exit || v->pid == (uint32_t)child_kill);
		if (is(v, "fork")) {
			assert_int_equal(fu(v, "parent_pid"), mainpid);
			assert_true(fu(v, "child_pid") == (uint32_t)child_exec ||
				    fu(v, "child_pid") == (uint32_t)child_exit ||
				    fu(v, "child_pid") == (uint32_t)child_kill);
			assert_int_equal(fu(v, "child_tid"), fu(v, "child_pid"));
			forks++;
		} else if (is(v, "exec") && v->pid == (uint32_t)child_exec) {
			static const char args[] = "true\0first arg\0--second";

			assert_string_equal(fstr(v, "filename"), "/bin/true");
			assert_int_equal(fs(v, "ret"), 0);
			assert_int_equal(flen(v, "argv"), sizeof(args) - 1);
			assert_memory_equal(e.v[i].f[fidx(v, "argv")].b, args, sizeof(args) - 1);
			assert_string_equal(v->comm, "true");
			seen_true = true;
		} else if (is(v, "exec") && v->pid == mainpid) {
			static const char args[] = "no-such-program\0x";

			assert_string_equal(fstr(v, "filename"), "/nonexistent/no-such-program");
			assert_int_equal(fs(v, "ret"), -ENOENT);
			assert_int_equal(flen(v, "argv"), sizeof(args) - 1);
			assert_memory_equal(e.v[i].f[fidx(v, "argv")].b, args, sizeof(args) - 1);
			seen_failed = true;
		} else if (is(v, "signal") && fs(v, "sig") == SIGKILL) {
			/* kill(child_kill, SIGKILL) from main */
			assert_int_equal(v->pid, mainpid);
			assert_int_equal(fu(v, "target_pid"), child_kill);
			assert_int_equal(fs(v, "code"), 0 /* SI_USER */);
			assert_int_equal(fs(v, "ret"), 0 /* delivered */);
			kills++;
		} else if (is(v, "sched_switch")) {
			assert_int_equal(fu(v, "prev_pid"), v->tid);
			assert_string_equal(fstr(v, "prev_comm"), v->comm);
			/* main sleeps in waitpid() at least three times */
			if (v->pid == mainpid && fu(v, "prev_state") == 1 /* S */)
				sleeps++;
		} else if (is(v, "exit")) {
			exits++;
			if (v->pid == (uint32_t)child_exec) {
				assert_int_equal(fs(v, "code"), 0);
				assert_int_equal(fs(v, "signal"), 0);
			} else if (v->pid == (uint32_t)child_exit) {
				assert_int_equal(fs(v, "code"), 7);
				assert_int_equal(fs(v, "signal"), 0);
			} else if (v->pid == (uint32_t)child_kill) {
				assert_int_equal(fs(v, "signal"), SIGKILL);
			} else {
				assert_int_equal(v->pid, mainpid);
				assert_int_equal(fs(v, "code"), 3);
				assert_int_equal(fs(v, "signal"), 0);
			}
		}
	}
	assert_true(seen_main_exec);
	assert_true(seen_true);
	assert_true(seen_failed);
	assert_int_equal(forks, 3);
	assert_int_equal(kills, 1);
	assert_true(sleeps >= 1);
	assert_int_equal(exits, 4);
	evs_free(&e);
}

/* The argument lists of `work_exec argv`. */
#include "exec_cases.h"

/*
 * One argv rule for successful and failed execs: the first 1024 bytes of
 * the NUL-joined list, and `truncated` has "argv" (1) exactly when more
 * was passed: lists of 40 long arguments, of 64 short ones (once cut at
 * 32 arguments when the exec failed), of exactly 1024 and 1025 bytes.
 */
static void test_exec_argv(void **state)
{
	char *events = *state;
	char tape[PATH_MAX], out[PATH_MAX], work[PATH_MAX], *text, *p;
	static char store[8192], joined[8192];
	int child[EXEC_CASES], nfailed = 0, nok = 0;
	struct evs e;

	pathf(tape, "%s/argv.tape", tmpdir);
	pathf(out, "%s/argv.out", tmpdir);
	pathf(work, "%s/work_exec", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", events, "-o",
				tape,	 "--",	   work, "argv", NULL};

		assert_int_equal(run(argv, out, NULL), 0);
	}
	text = slurp(out);
	p = text;
	for (int n = 0; n < EXEC_CASES; n++) {
		int k, off;

		assert_int_equal(sscanf(p, "case %d %d\n%n", &k, &child[n], &off), 2);
		assert_int_equal(k, n);
		p += off;
	}
	free(text);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];
		char *args[80];
		size_t len = 0;
		int n = -1;

		if (!is(v, "exec"))
			continue;
		if (fs(v, "ret") == -ENOENT && !strcmp(fstr(v, "filename"), "/nonexistent/argv"))
			n = nfailed++;
		for (int k = 0; k < EXEC_CASES; k++)
			if (fs(v, "ret") == 0 && v->pid == (uint32_t)child[k])
				n = k, nok++;
		if (n < 0)
			continue;
		assert_true(n < EXEC_CASES);
		exec_case(n, args, store);
		for (int k = 0; args[k]; k++) {
			memcpy(joined + len, args[k], strlen(args[k]) + 1);
			len += strlen(args[k]) + 1;
		}
		len--; /* no trailing NUL */
		if (len > 1024) {
			assert_int_equal(flen(v, "argv"), 1024);
			assert_int_equal(fu(v, "truncated"), 1 /* argv */);
		} else {
			assert_int_equal(flen(v, "argv"), len);
			assert_int_equal(fu(v, "truncated"), 0);
		}
		assert_memory_equal(v->f[fidx(v, "argv")].b, joined, flen(v, "argv"));
	}
	assert_int_equal(nfailed, EXEC_CASES);
	assert_int_equal(nok, EXEC_CASES);
	evs_free(&e);
}

/* -e syscall -- CMD: CMD's own execve is its first syscall event. */
static void test_cmd_syscall_exec(void **state)
{
	char tape[PATH_MAX], work[PATH_MAX];
	uint32_t mainpid = 0;
	bool seen = false;
	struct evs e;

	(void)state;
	pathf(tape, "%s/sysexec.tape", tmpdir);
	pathf(work, "%s/work_exec", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "syscall", "-o", tape, "--", work, NULL};

		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n && !mainpid; i++)
		if (is(&e.v[i], "exec") && fs(&e.v[i], "ret") == 0 &&
		    !strcmp(fstr(&e.v[i], "filename"), work))
			mainpid = e.v[i].pid;
	assert_int_not_equal(mainpid, 0);
	for (size_t i = 0; i < e.n && !seen; i++) {
		const struct ev *v = &e.v[i];

		if (v->pid != mainpid || !is(v, "syscall"))
			continue;
		/* the first syscall recorded of CMD is the execve that started it */
		assert_int_equal(fu(v, "nr"), SYS_execve);
		assert_int_equal(fs(v, "ret"), 0);
		assert_string_equal(v->comm, "work_exec");
		seen = true;
	}
	assert_true(seen);
	evs_free(&e);
}

static uint16_t sa_port(const struct ev *v, const char *field)
{
	const struct sockaddr_in *sin = (const void *)v->f[fidx(v, field)].b;

	assert_true(flen(v, field) >= sizeof(*sin));
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	return ntohs(sin->sin_port);
}

/* connect/accept/bind with their addresses; TCP states of the connection.
 * *@state is the -e list, with and without the file family (see test_exec). */
static void test_connect(void **state)
{
	char *events = *state;
	char tape[PATH_MAX], out[PATH_MAX], work[PATH_MAX], *text;
	int lfd, port, cfd, cport, cret, afd, newfd, peer, rfd, rport, rret;
	int nconnect = 0, naccept = 0, nbind = 0;
	bool syn_sent = false, established = false;
	struct evs e;

	pathf(tape, "%s/net.tape", tmpdir);
	pathf(out, "%s/net.out", tmpdir);
	pathf(work, "%s/work_connect", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", events, "-o", tape, "--", work, NULL};

		assert_int_equal(run(argv, out, NULL), 0);
	}
	text = slurp(out);
	assert_int_equal(
		sscanf(text, "listen %d %d\nconnect %d %d %d\naccept %d %d %d\nrefused %d %d %d",
		       &lfd, &port, &cfd, &cport, &cret, &afd, &newfd, &peer, &rfd, &rport, &rret),
		11);
	free(text);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];

		if (is(v, "bind")) {
			assert_int_equal(fs(v, "fd"), lfd);
			assert_int_equal(sa_port(v, "addr"), 0);
			assert_int_equal(fs(v, "ret"), 0);
			nbind++;
		} else if (is(v, "connect")) {
			if (nconnect == 0) {
				assert_int_equal(fs(v, "fd"), cfd);
				assert_int_equal(sa_port(v, "addr"), port);
				assert_int_equal(fs(v, "ret"), cret);
			} else {
				assert_int_equal(fs(v, "fd"), rfd);
				assert_int_equal(sa_port(v, "addr"), rport);
				assert_int_equal(fs(v, "ret"), -ECONNREFUSED);
			}
			nconnect++;
		} else if (is(v, "accept")) {
			assert_int_equal(fs(v, "fd"), afd);
			assert_int_equal(fs(v, "ret"), newfd);
			assert_int_equal(sa_port(v, "addr"), peer);
			naccept++;
		} else if (is(v, "tcp_state")) {
			/* the client socket: CLOSE -> SYN_SENT -> ESTABLISHED */
			if (fu(v, "newstate") == 2 /* SYN_SENT */ && sa_port(v, "daddr") == port) {
				assert_int_equal(fu(v, "oldstate"), 7 /* CLOSE */);
				syn_sent = true;
			}
			if (fu(v, "newstate") == 1 /* ESTABLISHED */ && fu(v, "oldstate") == 2 &&
			    sa_port(v, "daddr") == port) {
				assert_int_equal(sa_port(v, "saddr"), peer);
				established = true;
			}
		}
	}
	assert_int_equal(nbind, 1);
	assert_int_equal(nconnect, 2);
	assert_int_equal(naccept, 1);
	assert_true(syn_sent);
	assert_true(established);
	evs_free(&e);
}

/*
 * tcp_state belongs to the socket's owner, not to the task a softirq
 * interrupted: a traced server's handshake and close, driven from an
 * untraced client's context over loopback, are all there under the
 * server's pid, with its local port also on the move to CLOSE; the
 * client's own socket, whose state changes partly run in the server's
 * context, is absent.  *@state: "cmd" records the server as -- CMD; "pid"
 * starts it first and records it with -p, so that its listener predates
 * the recording.
 */
static void test_tcp_owner(void **state)
{
	bool by_pid = !strcmp(*state, "pid");
	char tape[PATH_MAX], work[PATH_MAX], file[PATH_MAX], pidarg[16];
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t alen = sizeof(addr);
	bool syn_recv = false, established = false, close_wait = false, closed = false;
	unsigned port = 0, cport;
	int server = 0, fd, tries;
	pid_t rec, srv = 0;
	FILE *f = NULL;
	struct evs e;

	pathf(tape, "%s/owner-%s.tape", tmpdir, (char *)*state);
	pathf(work, "%s/work_connect", helpers);
	pathf(file, "%s/owner.port", tmpdir);
	unlink(file);
	unlink(tape);
	if (by_pid) {
		char *argv[] = {work, "serve", file, NULL};

		srv = start(argv, NULL, NULL);
	} else {
		char *argv[] = {bpftape, "record", "-e",    "net", "-o", tape,
				"--",	 work,	   "serve", file,  NULL};

		rec = start(argv, NULL, NULL);
	}
	for (tries = 0; tries < 200 && !(f = fopen(file, "r")); tries++)
		sleep_ms(50);
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u %d", &port, &server), 2);
	fclose(f);
	if (by_pid) {
		char *argv[] = {bpftape, "record", "-e", "net", "-p", pidarg, "-o", tape, NULL};

		snprintf(pidarg, sizeof(pidarg), "%d", server);
		rec = start(argv, NULL, NULL);
		/* the tape is created once every probe is live */
		for (tries = 0; tries < 200 && access(tape, F_OK); tries++)
			sleep_ms(50);
		assert_int_equal(access(tape, F_OK), 0);
	}

	/* the client: this process, outside the recording */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
	cport = ntohs(addr.sin_port);
	close(fd);
	if (srv)
		assert_int_equal(finish(srv), 0);
	assert_int_equal(finish(rec), 0);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];
		unsigned o, n;

		if (!is(v, "tcp_state"))
			continue;
		o = fu(v, "oldstate");
		n = fu(v, "newstate");
		if (v->pid != (uint32_t)server || sa_port(v, "saddr") == cport)
			fail_msg("tcp_state %u -> %u of pid %u, local port %u: not the server's "
				 "(pid %d, port %u; client port %u)",
				 o, n, v->pid, sa_port(v, "saddr"), server, port, cport);
		assert_int_equal(v->tid, (uint32_t)server);
		assert_string_equal(v->comm, "work_connect");
		/* the server's own port in every state, CLOSE included */
		assert_int_equal(sa_port(v, "saddr"), port);
		if (n == 3 /* SYN_RECV */)
			syn_recv = true;
		if (o == 3 && n == 1 /* ESTABLISHED */) {
			assert_int_equal(sa_port(v, "daddr"), cport);
			established = true;
		}
		if (o == 1 && n == 8 /* CLOSE_WAIT */)
			close_wait = true;
		if (o == 9 /* LAST_ACK */ && n == 7 /* CLOSE */)
			closed = true;
	}
	assert_true(syn_recv);
	assert_true(established);
	assert_true(close_wait);
	assert_true(closed);
	evs_free(&e);
}

/*
 * A process that opens files until killed, outside the recording: a copy of
 * work_files named noise_files, so that its comm differs too.
 */
static pid_t start_noise(const char *dir)
{
	char work[PATH_MAX], noise[PATH_MAX], *buf;
	char *argv[] = {noise, (char *)dir, "100000000", NULL};
	int in, out;
	ssize_t n;

	pathf(work, "%s/work_files", helpers);
	pathf(noise, "%s/noise_files", tmpdir);
	if (access(noise, X_OK)) {
		buf = malloc(1 << 20);
		assert_non_null(buf);
		in = open(work, O_RDONLY);
		out = open(noise, O_WRONLY | O_CREAT | O_TRUNC, 0755);
		assert_true(in >= 0 && out >= 0);
		while ((n = read(in, buf, 1 << 20)) > 0)
			assert_int_equal(write(out, buf, n), n);
		close(in);
		close(out);
		free(buf);
	}
	return start(argv, NULL, NULL);
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* -- CMD: other processes' events are absent, even a busy one. */
static void test_cmd_filter(void **state)
{
	char dir[PATH_MAX], ndir[PATH_MAX], tape[PATH_MAX], work[PATH_MAX];
	struct evs e;
	pid_t noise;
	size_t opens = 0;

	(void)state;
	mkscratch(dir, "cmdf");
	mkscratch(ndir, "cmdf-noise");
	pathf(tape, "%s/cmdf.tape", tmpdir);
	pathf(work, "%s/work_files", helpers);
	noise = start_noise(ndir);
	sleep_ms(100);
	{
		char *argv[] = {bpftape, "record", "-e", "file,proc", "-o", tape,
				"--",	 work,	   dir,	 "1000",      NULL};

		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	stop(noise);
	load(tape, &e);
	for (size_t i = 0; i < e.n; i++) {
		assert_int_not_equal(e.v[i].pid, (uint32_t)noise);
		if (is(&e.v[i], "open") && strstr(fstr(&e.v[i], "path"), "/cmdf/loop"))
			opens++;
	}
	/* the loop's 1000 opens plus the one that created the file */
	assert_int_equal(opens, 1001);
	evs_free(&e);
}

/*
 * No event from before every probe is attached: with a process opening
 * files all along, the families attached first used to record its events
 * up to a second before record.start_ts.
 */
static void test_start_gate(void **state)
{
	char ndir[PATH_MAX], tape[PATH_MAX];
	size_t noise_opens = 0;
	struct evs e;
	pid_t noise;

	(void)state;
	mkscratch(ndir, "gate-noise");
	pathf(tape, "%s/gate.tape", tmpdir);
	noise = start_noise(ndir);
	sleep_ms(100);
	{
		char *argv[] = {bpftape,      "record",
				"-e",	      "proc,file,net,signal",
				"-e",	      "tracepoint:syscalls:sys_enter_openat",
				"-o",	      tape,
				"--duration", "0.5",
				NULL};

		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	stop(noise);
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	assert_true(e.start_ts > 0);
	for (size_t i = 0; i < e.n; i++) {
		if (e.v[i].ts < e.start_ts)
			fail_msg("%s event of pid %u at %llu, before record.start_ts %llu",
				 e.v[i].type, e.v[i].pid, (unsigned long long)e.v[i].ts,
				 (unsigned long long)e.start_ts);
		if (e.v[i].pid == (uint32_t)noise && is(&e.v[i], "open"))
			noise_opens++;
	}
	/* the noise ran all along: the tape is complete from its start */
	assert_true(noise_opens > 0);
	evs_free(&e);
}

/* -p PID: the process and the children it forks later, nothing else. */
static void test_pid_filter(void **state)
{
	char dir[PATH_MAX], ndir[PATH_MAX], tape[PATH_MAX], go[PATH_MAX], script[5 * PATH_MAX];
	char pidarg[16];
	struct evs e;
	pid_t target, noise, rec;
	bool parent_open = false, child_open = false;
	uint32_t child = 0, allowed[256];
	size_t nallowed = 0;

	(void)state;
	mkscratch(dir, "pidf");
	mkscratch(ndir, "pidf-noise");
	pathf(tape, "%s/pidf.tape", tmpdir);
	pathf(go, "%s/go", dir);
	/* waits for the go file, opens it itself, then runs work_files as a
	 * child.  The wait forks nothing: a `sleep` forked before recording
	 * began could exit after it and leave an exit event whose parent the
	 * tape cannot show. */
	snprintf(script, sizeof(script),
		 "while [ ! -e %s ]; do :; done; exec 3<%s; %s/work_files %s; exit 0", go, go,
		 helpers, dir);
	{
		char *argv[] = {"/bin/sh", "-c", script, NULL};

		target = start(argv, NULL, NULL);
	}
	noise = start_noise(ndir);
	snprintf(pidarg, sizeof(pidarg), "%d", target);
	{
		char *argv[] = {bpftape, "record", "-e", "file,proc", "-p",
				pidarg,	 "-o",	   tape, NULL};

		rec = start(argv, NULL, NULL);
	}
	for (int i = 0; i < 100 && file_size(tape) == 0; i++)
		sleep_ms(50);
	sleep_ms(200);
	close(open(go, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(finish(target), 0);
	kill(rec, SIGINT);
	assert_int_equal(finish(rec), 0);
	stop(noise);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	allowed[nallowed++] = target;
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];
		bool ok = false;

		/* every event comes from the target or a process it forked */
		for (size_t k = 0; k < nallowed; k++)
			ok = ok || v->pid == allowed[k];
		if (!ok)
			print_message("event %zu of %zu from pid %u (%s, type %s, ts %llu) not in "
				      "the target's tree\n",
				      i, e.n, v->pid, v->comm, v->type, (unsigned long long)v->ts);
		assert_true(ok);
		if (is(v, "fork") && fu(v, "child_pid") != v->pid && nallowed < 256)
			allowed[nallowed++] = fu(v, "child_pid");
		if (is(v, "exec") && strstr(fstr(v, "filename"), "work_files"))
			child = v->pid;
		if (is(v, "open") && v->pid == (uint32_t)target && !strcmp(fstr(v, "path"), go))
			parent_open = true;
		if (is(v, "open") && child && v->pid == child &&
		    strstr(fstr(v, "path"), "/pidf/a.txt"))
			child_open = true;
	}
	assert_int_not_equal(child, (uint32_t)target);
	assert_true(parent_open);
	assert_true(child != 0);
	assert_true(child_open);
	evs_free(&e);
}

/* What a filtered workload does before it execs work_files. */
struct jail {
	uid_t uid;	    /* 0: stay root */
	const char *cgroup; /* cgroup v2 dir to join, or NULL */
};

/* Start work_files DIR in @j, held until a byte arrives on *@go. */
static pid_t start_held(const struct jail *j, const char *dir, int *go)
{
	char work[PATH_MAX], procs[PATH_MAX];
	int p[2];
	pid_t pid;

	pathf(work, "%s/work_files", helpers);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		char c, *argv[] = {work, (char *)dir, NULL};
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		close(p[1]);
		if (j->cgroup) {
			FILE *f;

			pathf(procs, "%s/cgroup.procs", j->cgroup);
			f = fopen(procs, "w");
			if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
				_exit(120);
		}
		if (j->uid && setuid(j->uid))
			_exit(121);
		if (read(p[0], &c, 1) != 1)
			_exit(122);
		execv(work, argv);
		_exit(126);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* Record system-wide with @filter, run one held workload and a noise
 * process; the tape holds the workload's opens and nothing of the noise. */
static void filtered_run(const char *name, char *const filter[], const struct jail *j)
{
	char dir[PATH_MAX], ndir[PATH_MAX], tape[PATH_MAX], sub[PATH_MAX];
	char *argv[16];
	struct evs e;
	pid_t rec, work, noise;
	size_t k = 0, mine = 0;
	int go;

	pathf(sub, "filt-%s", name);
	mkscratch(dir, sub);
	chmod(dir, 0777);
	pathf(sub, "filt-%s-noise", name);
	mkscratch(ndir, sub);
	pathf(tape, "%s/filt-%s.tape", tmpdir, name);
	argv[k++] = bpftape;
	argv[k++] = "record";
	argv[k++] = "-e";
	argv[k++] = "file,proc";
	argv[k++] = "-o";
	argv[k++] = tape;
	for (int i = 0; filter[i]; i++)
		argv[k++] = filter[i];
	argv[k] = NULL;
	work = start_held(j, dir, &go);
	noise = start_noise(ndir);
	rec = start(argv, NULL, NULL);
	for (int i = 0; i < 100 && file_size(tape) == 0; i++)
		sleep_ms(50);
	sleep_ms(200);
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	assert_int_equal(finish(work), 0);
	sleep_ms(100);
	kill(rec, SIGINT);
	assert_int_equal(finish(rec), 0);
	stop(noise);

	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];

		assert_int_not_equal(v->pid, (uint32_t)noise);
		assert_string_not_equal(v->comm, "noise_files");
		if (is(v, "open") && !strncmp(fstr(v, "path"), dir, strlen(dir))) {
			assert_int_equal(v->pid, (uint32_t)work);
			mine++;
		}
	}
	assert_int_equal(mine, 5); /* work_files' opens by absolute path under its directory */
	evs_free(&e);
}

static void test_comm_filter(void **state)
{
	char *filter[] = {"--comm", "work_files", NULL};
	struct jail j = {0};

	(void)state;
	filtered_run("comm", filter, &j);
}

static void test_uid_filter(void **state)
{
	char *filter[] = {"--uid", "65534", NULL};
	struct jail j = {.uid = 65534};

	(void)state;
	filtered_run("uid", filter, &j);
}

static void test_cgroup_filter(void **state)
{
	char cg[PATH_MAX], *filter[] = {"--cgroup", cg, NULL};
	static const char *const mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	struct jail j = {0};
	bool made = false;

	(void)state;
	for (size_t i = 0; i < 2 && !made; i++) {
		pathf(cg, "%s/bpftape-test-%d", mounts[i], getpid());
		made = mkdir(cg, 0755) == 0 && access(cg, F_OK) == 0;
		if (made) {
			char procs[PATH_MAX];

			pathf(procs, "%s/cgroup.procs", cg);
			if (access(procs, W_OK)) {
				rmdir(cg);
				made = false;
			}
		}
	}
	if (!made) {
		print_message("no writable cgroup v2 hierarchy: skipped\n");
		skip();
	}
	j.cgroup = cg;
	filtered_run("cgroup", filter, &j);
	rmdir(cg);
}

/* --rotate SIZE --keep N: a ring of complete tapes. */
static void test_rotate(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], t1[PATH_MAX], t2[PATH_MAX], t3[PATH_MAX];
	char work[PATH_MAX], err[PATH_MAX], *msg;
	struct evs e0, e1, e2;

	(void)state;
	mkscratch(dir, "rot");
	pathf(tape, "%s/rot.tape", tmpdir);
	pathf(t1, "%s/rot.1.tape", tmpdir);
	pathf(t2, "%s/rot.2.tape", tmpdir);
	pathf(t3, "%s/rot.3.tape", tmpdir);
	pathf(err, "%s/rot.err", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "file",   "--rotate",
				"48K",	 "--keep", "3",	 "-o",	   tape,
				"--",	 work,	   dir,	 "400000", NULL};

		assert_int_equal(run(argv, NULL, err), 0);
	}
	msg = slurp(err);
	assert_non_null(strstr(msg, "rotated"));
	free(msg);
	assert_true(file_size(tape) > 0);
	assert_true(file_size(t1) > 0);
	assert_true(file_size(t2) > 0);
	assert_int_equal(file_size(t3), 0);
	load(tape, &e0);
	load(t1, &e1);
	load(t2, &e2);
	/* each reads alone: finished, with metadata, schema and a snapshot */
	assert_false(e0.recovered);
	assert_false(e1.recovered);
	assert_false(e2.recovered);
	assert_true(e1.has_hostname && e2.has_hostname && e0.has_hostname);
	assert_true(e1.nprocs >= 1 && e2.nprocs >= 1);
	assert_true(e1.n > 0 && e2.n > 0);
	assert_int_equal(e1.cursor_err, 0);
	/* oldest first: .2 ends before .1 starts */
	assert_true(e2.v[e2.n - 1].ts <= e1.v[0].ts + 1000000000ull);
	assert_true(e1.v[e1.n - 1].ts <= e0.v[e0.n ? e0.n - 1 : 0].ts || !e0.n);
	evs_free(&e0);
	evs_free(&e1);
	evs_free(&e2);
}

/* --max-size: stops cleanly near the limit with a finished tape. */
static void test_max_size(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], err[PATH_MAX], work[PATH_MAX], *msg;
	struct evs e;

	(void)state;
	mkscratch(dir, "max");
	pathf(tape, "%s/max.tape", tmpdir);
	pathf(err, "%s/max.err", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "file", "--max-size", "64K", "-o",
				tape,	 "--",	   work, dir,	 "3000000",    NULL};
		pid_t rec = start(argv, NULL, err);

		assert_int_equal(finish(rec), 0);
	}
	msg = slurp(err);
	assert_non_null(strstr(msg, "max-size"));
	free(msg);
	assert_true(file_size(tape) >= 32 * 1024);
	assert_true(file_size(tape) <= 64 * 1024 + 48 * 1024);
	load(tape, &e);
	assert_false(e.recovered);
	assert_int_equal(e.cursor_err, 0);
	assert_true(e.n > 1000);
	evs_free(&e);
	{
		/* the recorder stopped the workload: it does not go on unrecorded */
		char *argv[] = {"/usr/bin/pkill", "-KILL", "-f", dir, NULL};

		assert_int_equal(run(argv, NULL, NULL), 1); /* no process matched */
	}
}

/* SIGKILL mid-recording leaves a tape the reader recovers. */
static void test_sigkill(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], work[PATH_MAX];
	struct evs e;
	pid_t rec;

	(void)state;
	mkscratch(dir, "kill");
	pathf(tape, "%s/kill.tape", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "file",      "-o", tape,
				"--",	 work,	   dir,	 "100000000", NULL};

		rec = start(argv, NULL, NULL);
	}
	for (int i = 0; i < 200 && file_size(tape) < 200 * 1024; i++)
		sleep_ms(50);
	assert_true(file_size(tape) >= 200 * 1024);
	kill(rec, SIGKILL);
	finish(rec);
	/* the recorder's process group holds the workload too */
	kill(-rec, SIGKILL);
	load(tape, &e);
	assert_true(e.recovered);
	assert_int_equal(e.cursor_err, 0);
	assert_true(e.n > 10000);
	assert_true(e.has_hostname);
	evs_free(&e);
}

/* Opens of paths that start with @prefix in @path, which may still be
 * recorded: -1 while the tape cannot be opened yet. */
static long opens_under(const char *path, const char *prefix)
{
	struct tape_reader *r = tape_reader__open(path, NULL, 0);
	const struct tape_select sel = {
		.sz = sizeof(sel), .types = (const char *[]){"open"}, .ntypes = 1};
	const struct tape_event *ev;
	struct tape_cursor *c;
	long n = 0;
	int idx;

	if (!r)
		return -1;
	c = tape_cursor__new(&r, 1, &sel);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		const void *p;
		uint32_t len;

		idx = tape_type__field_index(ev->tp, "path");
		if (idx >= 0 && !tape_event__bytes(ev, (unsigned)idx, &p, &len) &&
		    len >= strlen(prefix) && !memcmp(p, prefix, strlen(prefix)))
			n++;
	}
	tape_cursor__free(c);
	tape_reader__free(r);
	return n;
}

/*
 * A burst, then nothing: its events reach the file within the flush
 * interval (1 s by default) though no later event cuts their chunk, so a
 * SIGKILL then loses none of them.  Waits up to 15 s, far beyond it.
 */
static void test_idle_flush(void **state)
{
	char dir[PATH_MAX], loop[PATH_MAX], tape[PATH_MAX], script[3 * PATH_MAX];
	long n = -1;
	pid_t rec;

	(void)state;
	mkscratch(dir, "idle");
	pathf(loop, "%s/loop", dir);
	pathf(tape, "%s/idle.tape", tmpdir);
	snprintf(script, sizeof(script), "%s/work_files %s 200 >/dev/null; exec sleep 600", helpers,
		 dir);
	{
		char *argv[] = {bpftape, "record",  "-e", "file,proc", "-o", tape,
				"--",	 "/bin/sh", "-c", script,      NULL};

		rec = start(argv, NULL, NULL);
	}
	/* the loop's 200 opens plus the one that created the file */
	for (int i = 0; i < 300 && n < 201; i++) {
		sleep_ms(50);
		n = opens_under(tape, loop);
	}
	/* the recorder still runs: the file holds them, not its end */
	assert_int_equal(waitpid(rec, NULL, WNOHANG), 0);
	kill(rec, SIGKILL);
	finish(rec);
	kill(-rec, SIGKILL);
	if (n != 201)
		fail_msg("%ld of 201 opens in the tape 15 s after the burst", n);
	assert_int_equal(opens_under(tape, loop), 201);
}

/*
 * `replay --follow` of a tape being recorded shows a burst while the host
 * is idle after it, and ends by itself once the recorder finishes the tape.
 */
static void test_follow_live(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], script[3 * PATH_MAX], *text = NULL;
	pid_t rec, fol;
	int seen = 0, rc = -1;

	(void)state;
	mkscratch(dir, "follow");
	pathf(tape, "%s/follow.tape", tmpdir);
	pathf(out, "%s/follow.out", tmpdir);
	snprintf(script, sizeof(script), "%s/work_files %s 50 >/dev/null; exec sleep 600", helpers,
		 dir);
	{
		char *argv[] = {bpftape, "record",  "-e", "file,proc", "-o", tape,
				"--",	 "/bin/sh", "-c", script,      NULL};

		rec = start(argv, NULL, NULL);
	}
	for (int i = 0; i < 200 && access(tape, F_OK); i++)
		sleep_ms(50);
	{
		char *argv[] = {bpftape, "replay", "--follow", tape, NULL};

		fol = start(argv, out, NULL);
	}
	for (int i = 0; i < 300 && seen < 51; i++) {
		const char *p;

		sleep_ms(50);
		free(text);
		text = slurp(out);
		seen = 0;
		for (p = text; (p = strstr(p, "/follow/")); p++)
			seen += !strncmp(p, "/follow/loop", 12) || !strncmp(p, "/follow/a.txt", 13);
	}
	free(text);
	kill(rec, SIGTERM);
	assert_int_equal(finish(rec), 0);
	for (int i = 0; i < 400 && rc < 0; i++) {
		int status;

		if (waitpid(fol, &status, WNOHANG) == fol)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		else
			sleep_ms(50);
	}
	if (rc < 0) {
		kill(fol, SIGKILL);
		finish(fol);
	}
	kill(-rec, SIGKILL);
	assert_true(seen >= 51);
	if (rc != 0)
		fail_msg("replay --follow: %s", rc < 0 ? "still running 20 s after the recorder "
							 "finished the tape"
						       : "failed");
}

/* The pid of the exec of @what in @e, 0 if none. */
static uint32_t exec_pid(const struct evs *e, const char *what)
{
	for (size_t i = 0; i < e->n; i++)
		if (is(&e->v[i], "exec") && strstr(fstr(&e->v[i], "filename"), what))
			return e->v[i].pid;
	return 0;
}

/* The signal that ended @pid according to @e, -1 without an exit event. */
static int exit_signal(const struct evs *e, uint32_t pid)
{
	for (size_t i = 0; i < e->n; i++)
		if (is(&e->v[i], "exit") && e->v[i].pid == pid && e->v[i].tid == pid)
			return (int)fs(&e->v[i], "signal");
	return -1;
}

/*
 * SIGTERM to `record -- CMD`: CMD gets it too, its exit is in the finished
 * tape, and it is gone.  CMD that ignores SIGTERM is killed after the
 * grace period.  Neither outlives the recording.
 */
static void test_cmd_stopped(void **state)
{
	static const struct {
		const char *script;
		int sig;
	} cases[] = {
		{"exec sleep 600", SIGTERM},
		{"trap '' TERM; exec sleep 600", SIGKILL},
	};
	char tape[PATH_MAX], err[PATH_MAX], *msg;
	struct evs e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = {bpftape, "record", "-e",      "proc", "-o",
				tape,	 "--",	   "/bin/sh", "-c",   (char *)cases[i].script,
				NULL};
		uint32_t pid;
		pid_t rec;
		int rc;

		pathf(tape, "%s/stopped-%zu.tape", tmpdir, i);
		pathf(err, "%s/stopped-%zu.err", tmpdir, i);
		rec = start(argv, NULL, err);
		for (int k = 0; k < 200 && access(tape, F_OK); k++)
			sleep_ms(50);
		sleep_ms(500); /* sh has exec'd sleep */
		kill(rec, SIGTERM);
		rc = finish(rec);
		load(tape, &e);
		pid = exec_pid(&e, "sleep");
		/* whatever the recorder left behind is ours to end */
		kill(-rec, SIGKILL);
		msg = slurp(err);
		if (rc != 0 || !pid || e.recovered || exit_signal(&e, pid) != cases[i].sig)
			fail_msg("'%s': exit %d, sleep pid %u, tape %s, its exit signal %d (want "
				 "%d); stderr:\n%s",
				 cases[i].script, rc, pid, e.recovered ? "unfinished" : "finished",
				 pid ? exit_signal(&e, pid) : -1, cases[i].sig, msg);
		if (cases[i].sig == SIGKILL)
			assert_non_null(strstr(msg, "did not exit within 5 s; killing it"));
		free(msg);
		/* reaped by the recorder: no such process any more */
		assert_int_equal(kill((pid_t)pid, 0), -1);
		evs_free(&e);
	}
}

/* The first process of group @pgrp whose comm is @comm, or 0. */
static pid_t find_in_pgrp(pid_t pgrp, const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	assert_non_null(d);
	while (!found && (de = readdir(d))) {
		char path[PATH_MAX], buf[512], name[64] = "";
		FILE *f;
		char *p;
		int pg = 0;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%*c %*d %d", &pg) == 1 && pg == pgrp) {
			*p = 0;
			snprintf(name, sizeof(name), "%s", strchr(buf, '(') + 1);
			if (!strcmp(name, comm))
				found = atoi(de->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Whether @pid still runs (an unreaped zombie does not). */
static bool running(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool ret = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		ret = p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return ret;
}

/*
 * A recorder killed with SIGKILL can neither signal CMD nor wait for it:
 * CMD dies with it (docs/USAGE.md, Stopping CMD) instead of running on
 * unrecorded.
 */
static void test_cmd_recorder_killed(void **state)
{
	char tape[PATH_MAX];
	char *argv[] = {bpftape, "record", "-e",	 "proc", "-o",
			tape,	 "--",	   "/bin/sleep", "600",	 NULL};
	pid_t rec, cmd = 0;
	bool gone = false;

	(void)state;
	pathf(tape, "%s/rec-killed.tape", tmpdir);
	rec = start(argv, NULL, NULL);
	/* CMD runs sleep once the probes are attached */
	for (int k = 0; k < 400 && !cmd; k++) {
		cmd = find_in_pgrp(rec, "sleep");
		if (!cmd)
			sleep_ms(50);
	}
	assert_true(cmd > 0);
	kill(rec, SIGKILL);
	finish(rec);
	for (int k = 0; k < 100 && !gone; k++) {
		gone = !running(cmd);
		if (!gone)
			sleep_ms(50);
	}
	kill(-rec, SIGKILL); /* whatever was left behind */
	if (!gone)
		fail_msg("CMD (pid %d) still runs after its recorder was killed", (int)cmd);
}

/*
 * Two recorders on one -o: the second refuses, naming the first, before it
 * touches the file; the first keeps its tape, and its events.
 */
static void test_two_recorders(void **state)
{
	char tape[PATH_MAX], err[PATH_MAX], want[64], *msg;
	char *first[] = {bpftape, "record", "-e", "exit", "-o", tape, "--duration", "60", NULL};
	/* -v: libbpf tells of every object it loads */
	char *second[] = {bpftape, "record", "-v",	   "-e", "exit",
			  "-o",	   tape,     "--duration", "1",	 NULL};
	struct stat a, b;
	struct evs e;
	pid_t rec;

	(void)state;
	pathf(tape, "%s/two.tape", tmpdir);
	pathf(err, "%s/two.err", tmpdir);
	unlink(tape);
	rec = start(first, NULL, NULL);
	for (int i = 0; i < 400 && file_size(tape) == 0; i++)
		sleep_ms(50);
	assert_int_equal(stat(tape, &a), 0);
	assert_int_equal(run(second, NULL, err), 1);
	msg = slurp(err);
	snprintf(want, sizeof(want), "being written by process %d", (int)rec);
	if (!strstr(msg, want))
		fail_msg("the second recorder said: %s", msg);
	/* refused before it loaded or attached anything */
	if (strstr(msg, "libbpf:") || strstr(msg, "recording to"))
		fail_msg("the second recorder loaded BPF before it refused: %s", msg);
	free(msg);
	assert_int_equal(stat(tape, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* an exit the first one records, after the second gave up */
	assert_int_equal(system("/bin/true"), 0);
	sleep_ms(300);
	kill(rec, SIGINT);
	assert_int_equal(finish(rec), 0);
	assert_int_equal(stat(tape, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	load(tape, &e);
	assert_false(e.recovered);
	assert_true(e.n >= 1);
	evs_free(&e);
}

/* Same event: type, time, task, comm and every field value. */
static bool same_event(const struct tape_event *a, const struct tape_event *b)
{
	if (a->ts != b->ts || a->pid != b->pid || a->tid != b->tid || a->cpu != b->cpu ||
	    strcmp(a->tp->name, b->tp->name) || strcmp(a->comm, b->comm) ||
	    a->tp->nfields != b->tp->nfields)
		return false;
	for (unsigned i = 0; i < a->tp->nfields; i++) {
		const union tape_value *x = &a->values[i], *y = &b->values[i];

		if (a->tp->fields[i].kind != b->tp->fields[i].kind)
			return false;
		if (a->tp->fields[i].kind == TAPE_STR || a->tp->fields[i].kind == TAPE_BYTES) {
			if (x->b.len != y->b.len || memcmp(x->b.ptr, y->b.ptr, x->b.len))
				return false;
		} else if (x->u != y->u) {
			return false;
		}
	}
	return true;
}

/*
 * @killed as the reader scans it and @fixed as `recover` rewrote it hold
 * the same events, in non-decreasing time; @fixed is a clean, finalized
 * tape.  Streams both (a busy tape has too many events to copy).  Returns
 * the number of events.
 */
static uint64_t same_tapes(const char *killed, const char *fixed)
{
	char err[512];
	struct tape_reader *rk = tape_reader__open(killed, err, sizeof(err)), *rf;
	struct tape_cursor *ck, *cf;
	const struct tape_event *ek, *ef;
	uint64_t n = 0, last = 0, chunk_events = 0;
	int a, b;

	if (!rk)
		fail_msg("opening the killed tape %s: %s", killed, err);
	rf = tape_reader__open(fixed, err, sizeof(err));
	if (!rf)
		fail_msg("opening the recovered tape %s: %s", fixed, err);
	assert_false(tape_reader__recovered(rf));
	assert_int_equal(tape_reader__verify(rf, NULL, NULL), 0);
	assert_int_equal(tape_reader__chunk_count(rf), tape_reader__chunk_count(rk));
	for (size_t i = 0; i < tape_reader__chunk_count(rk); i++) {
		struct tape_chunk_info ci;

		assert_int_equal(tape_reader__chunk(rk, i, &ci), 0);
		chunk_events += ci.count;
	}
	ck = tape_cursor__new(&rk, 1, NULL);
	cf = tape_cursor__new(&rf, 1, NULL);
	assert_non_null(ck);
	assert_non_null(cf);
	for (;;) {
		a = tape_cursor__next(ck, &ek);
		b = tape_cursor__next(cf, &ef);
		if (a < 0)
			fail_msg("%s: %s", killed, tape_cursor__errmsg(ck));
		if (b < 0)
			fail_msg("%s: %s", fixed, tape_cursor__errmsg(cf));
		if (!a || !b)
			break;
		if (!same_event(ek, ef))
			fail_msg("event %llu differs between %s and %s", (unsigned long long)n,
				 killed, fixed);
		if (ef->ts < last)
			fail_msg("%s: event %llu goes back in time", fixed, (unsigned long long)n);
		last = ef->ts;
		if (ef->type != TAPE_TYPE_LOSS)
			n++;
	}
	if (a != b)
		fail_msg("%s has %s events than %s", fixed, a ? "fewer" : "more", killed);
	/* every event of every complete chunk, nothing else */
	assert_int_equal(n, chunk_events);
	assert_int_equal(n, tape_reader__event_count(rf));
	tape_cursor__free(ck);
	tape_cursor__free(cf);
	tape_reader__free(rk);
	tape_reader__free(rf);
	return n;
}

/*
 * Kill process group @pgid and wait until it is empty.  Its members are
 * orphans of the killed recorder; as their subreaper we reap them here.
 */
static bool pgrp_gone(pid_t pgid)
{
	for (int i = 0; i < 400; i++) {
		kill(-pgid, SIGKILL);
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) && errno == ESRCH)
			return true;
		sleep_ms(5);
	}
	return false;
}

/*
 * SIGKILL at 50 random moments of a busy recording (execs and opens), from
 * right after start to two seconds in: each time the tape opens,
 * `recover` makes a clean tape of exactly its complete chunks' events, and
 * neither the recorder nor its workload is left behind.
 */
static void test_sigkill_random(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], fixed[PATH_MAX], work[PATH_MAX], loop[3 * PATH_MAX];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	unsigned no_tape = 0, empty = 0;
	uint64_t total = 0, most = 0;

	(void)state;
	if (getenv("BPFTAPE_KILL_SEED"))
		seed = (unsigned)strtoul(getenv("BPFTAPE_KILL_SEED"), NULL, 0);
	print_message("test_sigkill_random: seed %u (BPFTAPE_KILL_SEED to repeat)\n", seed);
	srand(seed);
	/* the workload's orphans come to us, so that we can tell they are gone */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	mkscratch(dir, "kill50");
	pathf(work, "%s/work_files", helpers);
	snprintf(loop, sizeof(loop), "while :; do %s %s 300 >/dev/null; /bin/true; done", work,
		 dir);
	for (int i = 0; i < 50; i++) {
		double r = rand() / (double)RAND_MAX;
		/* one in five while it starts, the rest while it records: counted
		 * from the moment the tape exists, since how long the start takes
		 * depends on the machine and its load */
		int delay = i % 5 ? 200 + (int)(r * 1800) : (int)(r * 200);
		struct tape_recover_stats st;
		char err[512];
		pid_t rec;
		uint64_t n;

		pathf(tape, "%s/kill50-%d.tape", tmpdir, i);
		pathf(fixed, "%s/kill50-%d.fixed.tape", tmpdir, i);
		{
			/* chunks cut often: kills land between many chunk writes */
			char *argv[] = {bpftape, "record", "-e", "file,proc", "--flush-interval",
					"100ms", "-o",	   tape, "--",	      "/bin/sh",
					"-c",	 loop,	   NULL};

			rec = start(argv, NULL, NULL);
		}
		for (int w = 0; i % 5 && w < 1000 && access(tape, F_OK); w++)
			sleep_ms(10);
		sleep_ms(delay);
		kill(rec, SIGKILL);
		assert_int_equal(finish(rec), 128 + SIGKILL);
		/* the recorder's process group holds the workload and its children */
		if (!pgrp_gone(rec))
			fail_msg("kill %d: processes of group %d are still running", i, rec);
		if (access(tape, F_OK)) {
			no_tape++; /* killed before it created the tape */
			continue;
		}
		if (tape_recover(tape, fixed, &st, err, sizeof(err)))
			fail_msg("kill %d after %d ms: recover %s: %s", i, delay, tape, err);
		n = same_tapes(tape, fixed);
		if (!n)
			empty++;
		total += n;
		if (n > most)
			most = n;
		unlink(tape);
		unlink(fixed);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	print_message("test_sigkill_random: 50 kills: %u before the tape existed, %u with no "
		      "complete chunk, %llu events recovered in all, at most %llu\n",
		      no_tape, empty, (unsigned long long)total, (unsigned long long)most);
	/* most kills land in the recording, not before it */
	assert_true(no_tape + empty < 40);
	assert_true(most > 10000);
}

/* A ring buffer too small for the storm: every drop is in the tape. */
static void test_losses(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], err[PATH_MAX], work[PATH_MAX], *msg;
	unsigned long long events = 0, drops = 0;
	const char *line;
	struct evs e;

	(void)state;
	mkscratch(dir, "loss");
	pathf(tape, "%s/loss.tape", tmpdir);
	pathf(err, "%s/loss.err", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "file", "--buffer", "4K", "-o",
				tape,	 "--",	   work, dir,	 "100000",   NULL};

		assert_int_equal(run(argv, NULL, err), 0);
	}
	msg = slurp(err);
	line = strstr(msg, "bpftape record: ");
	while (line &&
	       sscanf(line, "bpftape record: %llu events, %llu drops", &events, &drops) != 2)
		line = strstr(line + 1, "bpftape record: ");
	free(msg);
	assert_true(drops > 0);
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	assert_false(e.bad_loss_range);
	assert_true(e.nlosses > 0);
	/* the summary, the loss records and the events account for every call */
	assert_int_equal(e.lost, drops);
	assert_int_equal(e.n, events);
	assert_true(e.n + e.lost >= 200000);
	assert_true(e.n + e.lost < 200000 + 200);
	evs_free(&e);
}

/*
 * Each CPU has its own ring (--buffer each): a storm that overflows CPU 0's
 * ring costs CPU 1 nothing.  A small workload pinned to CPU 1, run while
 * the storm floods CPU 0, has every call in the tape and no loss on CPU 1;
 * with one ring for all CPUs the storm keeps it full and CPU 1 loses too.
 * 64K holds the small workload's 13 KB whole even if the reader cannot run
 * meanwhile (its CPU is the small workload's), so a loss on CPU 1 can only
 * come from the storm; and the reader takes each ring in turn
 * (consume_rings()), so the storm cannot keep it from CPU 1's.
 */
static void test_ring_per_cpu(void **state)
{
	char flood[PATH_MAX], small[PATH_MAX], tape[PATH_MAX], err[PATH_MAX], out[PATH_MAX];
	char work[PATH_MAX], script[6 * PATH_MAX], *msg, *line;
	unsigned long long events = 0, drops = 0;
	size_t want = 0, got = 0, lost_cpu1 = 0;
	const struct tape_event *te;
	struct tape_reader *r;
	struct tape_cursor *c;
	int ret;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access("/usr/bin/taskset", X_OK)) {
		print_message("needs two online CPUs and taskset (util-linux): skipped\n");
		skip();
	}
	mkscratch(flood, "flood");
	mkscratch(small, "small");
	pathf(tape, "%s/percpu.tape", tmpdir);
	pathf(err, "%s/percpu.err", tmpdir);
	pathf(out, "%s/percpu.out", tmpdir);
	pathf(work, "%s/work_files", helpers);
	snprintf(script, sizeof(script),
		 "taskset -c 0 '%s' '%s' 300000 >/dev/null & sleep 0.3; "
		 "taskset -c 1 '%s' '%s' > '%s'; wait",
		 work, flood, work, small, out);
	{
		char *argv[] = {bpftape, "record", "-e",      "file", "--buffer", "64K", "-o",
				tape,	 "--",	   "/bin/sh", "-c",   script,	  NULL};

		assert_int_equal(run(argv, NULL, err), 0);
	}
	msg = slurp(err);
	line = strstr(msg, "bpftape record: ");
	while (line &&
	       sscanf(line, "bpftape record: %llu events, %llu drops", &events, &drops) != 2)
		line = strstr(line + 1, "bpftape record: ");
	free(msg);
	/* the storm must overflow CPU 0's ring for the test to say anything;
	 * a machine whose reader keeps up with it has nothing to compare */
	if (!drops) {
		print_message("the storm did not overflow CPU 0's 64K ring here: skipped\n");
		skip();
	}
	msg = slurp(out);
	snprintf(script, sizeof(script), "open openat -100 %s/", small);
	for (line = msg; (line = strstr(line, script)); line++)
		want++;
	free(msg);
	assert_true(want > 0);

	r = tape_reader__open(tape, err, sizeof(err));
	assert_non_null(r);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &te)) > 0) {
		if (te->type == TAPE_TYPE_LOSS) {
			if (te->values[TAPE_LOSS_CPU].u == 1)
				lost_cpu1 += te->values[TAPE_LOSS_COUNT].u;
			continue;
		}
		if (strcmp(te->tp->name, "open"))
			continue;
		for (unsigned i = 0; i < te->tp->nfields; i++)
			if (!strcmp(te->tp->fields[i].name, "path") &&
			    te->values[i].b.len > strlen(small) &&
			    !memcmp(te->values[i].b.ptr, small, strlen(small)))
				got++;
	}
	assert_int_equal(ret, 0);
	tape_cursor__free(c);
	tape_reader__free(r);
	assert_int_equal(lost_cpu1, 0);
	assert_int_equal(got, want);
}

/*
 * The reader is woken when a ring's waiting data crosses --wakeup, not
 * only by its poll (every 100 ms at most): a steady stream of opens, 100
 * (about 9 KB of ring) every 3 ms or so, puts some 300 KB between two
 * polls into a 128K ring, which only a reader woken at each 8K crossing
 * keeps from overflowing; it has some 40 ms to run before the ring is
 * full.  A loaded machine can keep the reader off its CPU that long, so
 * the stream is tried up to three times for one run without a drop: a
 * reader that only polls drops in every run.
 */
static void test_ring_wakeup(void **state)
{
	char dir[PATH_MAX], tape[PATH_MAX], err[PATH_MAX], work[PATH_MAX], script[3 * PATH_MAX];
	unsigned long long events = 0, drops = 0;
	const char *line;
	char *msg;

	(void)state;
	mkscratch(dir, "wakeup");
	pathf(tape, "%s/wakeup.tape", tmpdir);
	pathf(err, "%s/wakeup.err", tmpdir);
	pathf(work, "%s/work_files", helpers);
	snprintf(script, sizeof(script), "'%s' '%s' 20000 3000 >/dev/null", work, dir);
	for (int attempt = 0; attempt < 3; attempt++) {
		char *argv[] = {bpftape, "record",   "-e", "open", "--buffer",
				"128K",	 "--wakeup", "8K", "-o",   tape,
				"--",	 "/bin/sh",  "-c", script, NULL};

		assert_int_equal(run(argv, NULL, err), 0);
		msg = slurp(err);
		line = strstr(msg, "bpftape record: ");
		while (line && sscanf(line, "bpftape record: %llu events, %llu drops", &events,
				      &drops) != 2)
			line = strstr(line + 1, "bpftape record: ");
		free(msg);
		assert_non_null(line);
		if (!drops)
			break;
		print_message("attempt %d: %llu events, %llu drops\n", attempt + 1, events, drops);
	}
	assert_int_equal(drops, 0);
	assert_true(events >= 20000);
}

/* A missing binary after -- is a clear error and no tape. */
static void test_missing_binary(void **state)
{
	char tape[PATH_MAX], err[PATH_MAX], *msg;
	char *argv[] = {bpftape, "record", "-o", tape, "--", "no-such-binary-xyz", NULL};

	(void)state;
	pathf(tape, "%s/missing.tape", tmpdir);
	pathf(err, "%s/missing.err", tmpdir);
	assert_int_not_equal(run(argv, NULL, err), 0);
	msg = slurp(err);
	assert_non_null(strstr(msg, "cannot run 'no-such-binary-xyz'"));
	free(msg);
	assert_int_equal(access(tape, F_OK), -1);
}

/* Bad -e names and options fail before anything is loaded. */
static void test_bad_args(void **state)
{
	char err[PATH_MAX], *msg;
	char *argv1[] = {bpftape, "record", "-e", "file,nosuchevent", NULL};
	char *argv2[] = {bpftape, "record", "--max-size", "lots", NULL};
	char *argv3[] = {bpftape, "record", "--buffer", "3M", NULL};
	char *argv4[] = {bpftape, "record", "--buffer", "64K", "--wakeup", "40K", NULL};
	char *argv5[] = {bpftape, "record", "--help", NULL};
	char *argv6[] = {bpftape, "record", "--bogus", NULL};
	char *argv7[] = {bpftape, "record", "-o", "/no/such/dir/x.tape", "--", "/bin/true", NULL};

	(void)state;
	pathf(err, "%s/bad.err", tmpdir);
	assert_int_equal(run(argv1, NULL, err), 2);
	msg = slurp(err);
	assert_non_null(strstr(msg, "unknown event 'nosuchevent'"));
	free(msg);
	assert_int_equal(run(argv2, NULL, err), 2);
	msg = slurp(err);
	assert_non_null(strstr(msg, "--max-size 'lots'"));
	free(msg);
	/* a bad ring size: the nearest valid one is offered */
	assert_int_equal(run(argv3, NULL, err), 2);
	msg = slurp(err);
	assert_string_equal(msg, "bpftape record: --buffer '3M': the ring buffer size is a power "
				 "of two from 4K to 1G; give e.g. --buffer 4M\n");
	free(msg);
	assert_int_equal(run(argv4, NULL, err), 2);
	msg = slurp(err);
	assert_non_null(strstr(msg, "--wakeup '40K': more than half the ring buffer (64K)"));
	assert_non_null(strstr(msg, "give at most 32K"));
	free(msg);
	/* --help lists every option, --wakeup too, under the usual heading */
	assert_int_equal(run(argv5, err, NULL), 0);
	msg = slurp(err);
	assert_non_null(strstr(msg, "\n      --wakeup SIZE "));
	assert_non_null(strstr(msg, "\nExamples:\n"));
	free(msg);
	assert_int_equal(run(argv6, NULL, err), 2);
	msg = slurp(err);
	assert_string_equal(msg, "bpftape record: unknown option '--bogus'; see 'bpftape record "
				 "--help'\n");
	free(msg);
	/* the output directory is checked before loading */
	assert_int_equal(run(argv7, NULL, err), 2);
	msg = slurp(err);
	assert_string_equal(msg, "bpftape record: -o /no/such/dir/x.tape: directory /no/such/dir: "
				 "No such file or directory; give -o a path in an existing, "
				 "writable directory\n");
	free(msg);
}

/*
 * Values that once were taken for something else (nan for forever,
 * 4294967297 for pid 1, ../../.. for a cgroup no task is in) are refused,
 * naming the option and the value.  Each run has an end even where a value
 * would be accepted: --duration 1, or a command that exits.
 */
static void test_bad_values(void **state)
{
	static const struct bad_value {
		const char *opt, *val, *msg;
	} cases[] = {
		{"--duration", "nan", "--duration 'nan': not a duration"},
		{"--duration", "inf", "--duration 'inf': not a duration"},
		{"--duration", "-2", "--duration '-2': not a duration"},
		{"--duration", "1e300", "--duration '1e300': too long"},
		{"--duration", "0", "--duration '0': zero"},
		{"--flush-interval", "nan", "--flush-interval 'nan': not a duration"},
		{"--flush-interval", "0", "--flush-interval '0': zero"},
		{"-p", "4294967297", "-p '4294967297': too large"},
		{"-p", "-1", "-p '-1': not a process id"},
		{"--uid", "4294967297", "--uid '4294967297': too large"},
		{"--cgroup", "../../..", "--cgroup '../../..': not a directory of the cgroup2"},
		{"--max-size", "nan", "--max-size 'nan': not a size"},
		{"--max-size", "1e30G", "--max-size '1e30G': too large"},
		{"--keep", "4294967297", "--keep '4294967297'"},
	};
	static const char *const mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	char err[PATH_MAX], tape[PATH_MAX], *msg;
	char procs[PATH_MAX] = "", procs_msg[PATH_MAX + 64];
	struct bad_value extra;
	struct statfs sfs;

	(void)state;
	pathf(err, "%s/badval.err", tmpdir);
	pathf(tape, "%s/badval.tape", tmpdir);
	/* a file of the cgroup2 file system, named by its absolute path, is no
	 * cgroup either: its inode number is no cgroup id and matches no task */
	for (size_t m = 0; m < sizeof(mounts) / sizeof(mounts[0]) && !procs[0]; m++)
		if (!statfs(mounts[m], &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
			pathf(procs, "%s/cgroup.procs", mounts[m]);
	snprintf(procs_msg, sizeof(procs_msg), "--cgroup '%s': Not a directory", procs);
	extra = (struct bad_value){"--cgroup", procs, procs_msg};
	for (size_t i = 0; i < ncases + (procs[0] != 0); i++) {
		const struct bad_value *c = i < ncases ? &cases[i] : &extra;
		bool pid = !strcmp(c->opt, "-p");
		char *with_cmd[] = {bpftape,	    "record",	 (char *)c->opt,
				    (char *)c->val, "-o",	 tape,
				    "--",	    "/bin/true", NULL};
		char *with_dur[] = {bpftape,	    "record",	  (char *)c->opt,
				    (char *)c->val, "--duration", "1",
				    "-o",	    tape,	  NULL};
		int rc = run(pid ? with_dur : with_cmd, NULL, err);

		msg = slurp(err);
		if (rc != 2 || !strstr(msg, c->msg))
			fail_msg("%s %s: exit %d, stderr '%s'; want 2 and '%s'", c->opt, c->val, rc,
				 msg, c->msg);
		free(msg);
	}
	assert_int_equal(access(tape, F_OK), -1);
}

/* System-wide for a second: stops on time and never records itself. */
static void test_duration_self(void **state)
{
	char tape[PATH_MAX], err[PATH_MAX];
	struct evs e;
	struct timespec t0, t1;
	pid_t rec;
	double secs;

	(void)state;
	pathf(tape, "%s/dur.tape", tmpdir);
	pathf(err, "%s/dur.err", tmpdir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	{
		char *argv[] = {bpftape, "record", "-e", "file,proc", "--duration",
				"1",	 "-o",	   tape, NULL};

		rec = start(argv, NULL, err);
		assert_int_equal(finish(rec), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 1.0 && secs < 5.0);
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++)
		assert_int_not_equal(e.v[i].pid, (uint32_t)rec);
	evs_free(&e);
}

/*
 * A full disk stops the recording with a clear message and a readable tape,
 * and the summary counts the events in it; those read but not written are
 * said apart.
 */
static void test_full_disk(void **state)
{
	char dir[PATH_MAX], mnt[PATH_MAX], tape[PATH_MAX], err[PATH_MAX], work[PATH_MAX], *msg;
	char fixed[PATH_MAX];
	unsigned long long events = 0, drops = 0, unwritten = 0;
	struct tape_recover_stats st;
	struct evs e;
	int rc;

	(void)state;
	mkscratch(dir, "full");
	mkscratch(mnt, "small");
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k")) {
		print_message("cannot mount a small tmpfs (%s): skipped\n", strerror(errno));
		skip();
	}
	pathf(tape, "%s/full.tape", mnt);
	pathf(err, "%s/full.err", tmpdir);
	pathf(work, "%s/work_files", helpers);
	{
		/* syscall events with six distinct arguments compress poorly */
		char *argv[] = {bpftape, "record", "-e", "file,syscall", "-o", tape,
				"--",	 work,	   dir,	 "3000000",	 NULL};
		pid_t rec = start(argv, NULL, err);

		rc = finish(rec);
		kill(-rec, SIGKILL);
	}
	msg = slurp(err);
	assert_int_equal(rc, 1);
	/* one line names the file and the error, and says what to do */
	{
		char want[PATH_MAX + 64];
		const char *line;

		snprintf(want, sizeof(want), "%s: No space left on device", tape);
		line = strstr(msg, want);
		assert_non_null(line);
		assert_non_null(strstr(line, "bpftape recover"));
		line = strstr(msg, "\nbpftape record: ");
		if (!line || sscanf(line + 1,
				    "bpftape record: %llu events, %llu drops, %llu not written (No "
				    "space left on device)",
				    &events, &drops, &unwritten) != 3)
			fail_msg("no summary line with what was not written in:\n%s", msg);
	}
	free(msg);
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	assert_true(e.n > 1000);
	/* "N events" are the events in the tape */
	assert_int_equal(e.n, events);
	assert_true(e.has_hostname);
	assert_true(e.recovered);
	evs_free(&e);
	/* and recover, elsewhere, makes it a clean tape of the same events */
	pathf(fixed, "%s/full.fixed.tape", tmpdir);
	assert_int_equal(tape_recover(tape, fixed, &st, err, sizeof(err)), 0);
	assert_true(same_tapes(tape, fixed) > 1000);
	umount2(mnt, MNT_DETACH);
}

/*
 * Record `sh -c 'id -u; id -g; id -G' > FILE` launched by @pre (env
 * assignments and bpftape options) and return what the command wrote;
 * the tape must be root's, 0600, and hold the command's exec.
 */
static char *run_as(const char *name, char *const pre_env[], char *const opts[], int *rc, char *err)
{
	char tape[PATH_MAX], out[PATH_MAX], script[PATH_MAX + 64], *argv[32];
	struct stat st;
	struct evs e;
	size_t n = 0, execs = 0;

	pathf(tape, "%s/%s.tape", tmpdir, name);
	pathf(out, "/tmp/bpftape-runas-%d-%s.out", (int)getpid(), name);
	pathf(err, "%s/%s.err", tmpdir, name);
	/* a world-writable place: the command may no longer be root */
	snprintf(script, sizeof(script), "(id -u; id -g; id -G) > %s", out);
	unlink(out);
	argv[n++] = "/usr/bin/env";
	for (size_t i = 0; pre_env && pre_env[i]; i++)
		argv[n++] = pre_env[i];
	argv[n++] = bpftape;
	argv[n++] = "record";
	argv[n++] = "-e";
	argv[n++] = "proc";
	argv[n++] = "-o";
	argv[n++] = tape;
	for (size_t i = 0; opts && opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	*rc = run(argv, NULL, err);
	if (*rc)
		return NULL;
	assert_int_equal(stat(tape, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	load(tape, &e);
	for (size_t i = 0; i < e.n; i++)
		if (is(&e.v[i], "exec") && !strcmp(fstr(&e.v[i], "filename"), "/bin/sh"))
			execs++;
	assert_int_equal(execs, 1);
	evs_free(&e);
	{
		char *text = slurp(out);

		unlink(out);
		return text;
	}
}

/* Under sudo CMD runs as the invoking user; --user chooses; --user root keeps root. */
static void test_user(void **state)
{
	char err[PATH_MAX], *text, *msg;
	char *sudo[] = {"SUDO_UID=65534", "SUDO_GID=65534", "SUDO_USER=nobody", NULL};
	char *sudo_uid_only[] = {"SUDO_UID=65534", NULL};
	char *user_num[] = {"--user", "65534", NULL};
	char *user_root[] = {"--user", "root", NULL};
	char *user_bad[] = {"--user", "no-such-user-xyz", NULL};
	char *user_free[] = {"--user", "54321", NULL};
	int rc;

	(void)state;
	text = run_as("sudo", sudo, NULL, &rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "65534\n65534\n65534\n");
	free(text);
	/* SUDO_GID missing: the user's own group from the passwd entry */
	text = run_as("sudo-uid", sudo_uid_only, NULL, &rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "65534\n65534\n65534\n");
	free(text);
	/* no sudo: unchanged */
	text = run_as("nosudo", NULL, NULL, &rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "0\n0\n0\n");
	free(text);
	text = run_as("user-num", NULL, user_num, &rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "65534\n65534\n65534\n");
	free(text);
	/* --user wins over sudo */
	text = run_as("user-root", sudo, user_root, &rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "0\n0\n0\n");
	free(text);
	/* a number without a passwd entry: its own group, no other */
	if (!getpwuid(54321)) {
		text = run_as("user-free", NULL, user_free, &rc, err);
		assert_int_equal(rc, 0);
		assert_string_equal(text, "54321\n54321\n54321\n");
		free(text);
	}
	text = run_as("user-bad", sudo, user_bad, &rc, err);
	assert_null(text);
	assert_int_equal(rc, 2);
	msg = slurp(err);
	assert_non_null(strstr(msg, "--user 'no-such-user-xyz': no such user"));
	free(msg);
}

/* ---- what the machine lacks: said up front, with what to do ---------------- */

static char btf_stash[PATH_MAX]; /* where hide_tracefs() keeps /sys/kernel/btf */

/* Child setups: 0, or -1 with "setup: why" on stderr. */
static int setup_fail(const char *what)
{
	dprintf(2, "setup: %s: %s\n", what, strerror(errno));
	return -1;
}

/*
 * A real recording of every event group, exported for Perfetto: protoc
 * decodes it with the project's .proto and tests/perfetto_check.py finds
 * its structure sound (tracks described, interned ids defined, slices
 * paired, switch bundles well formed), with work_exec's processes named,
 * its syscalls as slices and its switches on CPU tracks.
 */
static void test_export_perfetto(void **state)
{
	char tape[PATH_MAX], out[PATH_MAX], trace[PATH_MAX], work[PATH_MAX],
		cmd[4 * PATH_MAX + 1024];
	const char *src = __FILE__; /* tests/test_record.c, relative to the top */
	int srclen = (int)(strrchr(src, '/') ? strrchr(src, '/') - src : 1);
	int mainpid;
	char *text;

	(void)state;
	if (system("command -v protoc >/dev/null 2>&1")) {
		printf("protoc absent (Debian's protobuf-compiler): cannot decode the trace\n");
		skip();
	}
	pathf(tape, "%s/pf.tape", tmpdir);
	pathf(out, "%s/pf.out", tmpdir);
	pathf(trace, "%s/pf.pftrace", tmpdir);
	pathf(work, "%s/work_exec", helpers);
	{
		char *argv[] = {bpftape, "record", "-e", "all", "-o", tape, "--", work, NULL};

		assert_int_equal(run(argv, out, NULL), 0);
	}
	{
		char *argv[] = {bpftape, "export", "--format", "perfetto", "-o", trace, tape, NULL};

		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	/* work_exec's main process: the one that forked the others */
	{
		char *argv[] = {bpftape,
				"query",
				"--format",
				"csv",
				tape,
				"-c",
				"SELECT pid FROM events WHERE type = 'fork' ORDER BY ts LIMIT 1",
				NULL};
		char qout[PATH_MAX];

		pathf(qout, "%s/pf.pid", tmpdir);
		assert_int_equal(run(argv, qout, NULL), 0);
		text = slurp(qout);
		assert_non_null(text);
		mainpid = atoi(text + strcspn(text, "0123456789"));
		free(text);
	}
	assert_true(mainpid > 0);
	snprintf(cmd, sizeof(cmd),
		 "python3 %.*s/perfetto_check.py %.*s/../docs/perfetto %s > %s.json && "
		 "python3 -c 'import json,sys\n"
		 "d=json.load(open(sys.argv[1]))\n"
		 "p=d[\"processes\"][\"%d\"]\n"
		 "assert p[0]==\"work_exec\", p\n"
		 "names={x[0] for x in d[\"instants\"]}\n"
		 "assert {\"fork\",\"exec\",\"exit\",\"signal\"}<=names, names\n"
		 "assert any(x[0]==\"wait4\" for x in d[\"slices\"]), d[\"slices\"][:5]\n"
		 "assert d[\"switches\"]>0 and d[\"cpus\"], d[\"switches\"]\n"
		 "n=len(d[\"slices\"])+len(d[\"instants\"])+d[\"switches\"]\n"
		 "print(\"perfetto: %%d events, %%.1f bytes/event\" %% (n, d[\"bytes\"]/n))\n"
		 "' %s.json",
		 srclen, src, srclen, src, trace, trace, mainpid, trace);
	assert_int_equal(system(cmd), 0);
}

/* A mount namespace of the child's own: what it hides stays visible to the rest. */
static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS))
		return setup_fail("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return setup_fail("making / private");
	return 0;
}

/* /sys/kernel/btf empty, as on a kernel without CONFIG_DEBUG_INFO_BTF. */
static int hide_btf(void)
{
	if (private_mounts())
		return -1;
	if (mount("none", "/sys/kernel/btf", "tmpfs", 0, "size=16k"))
		return setup_fail("tmpfs over /sys/kernel/btf");
	return 0;
}

/*
 * No tracefs and no way to mount one: /sys/kernel becomes a tmpfs holding
 * only the real btf directory, so neither /sys/kernel/tracing nor
 * /sys/kernel/debug exists to mount tracefs on.
 */
static int hide_tracefs(void)
{
	if (private_mounts())
		return -1;
	if (mount("/sys/kernel/btf", btf_stash, NULL, MS_BIND, NULL))
		return setup_fail("keeping /sys/kernel/btf");
	if (mount("none", "/sys/kernel", "tmpfs", 0, "size=16k"))
		return setup_fail("tmpfs over /sys/kernel");
	if (mkdir("/sys/kernel/btf", 0755) ||
	    mount(btf_stash, "/sys/kernel/btf", NULL, MS_BIND, NULL))
		return setup_fail("putting /sys/kernel/btf back");
	return 0;
}

static int as_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return setup_fail("becoming uid 65534");
	return 0;
}

/* Root without the capabilities BPF needs, as in a container without them. */
static int without_bpf_caps(void)
{
	static const int caps[] = {21 /* SYS_ADMIN */, 38 /* PERFMON */, 39 /* BPF */};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) && errno != EINVAL)
			return setup_fail("dropping a capability from the bounding set");
	return 0;
}

/*
 * `bpftape @args...` in a child prepared by @setup exits @want_rc with
 * exactly one line on stderr that names each of @needles, and leaves no
 * @tape (may be NULL).  Skips, saying why, when @setup cannot be done here.
 */
/*
 * Run @argv in a child prepared by @setup, its stderr to @err: its exit
 * status, and *@msg what it said (to free).  The test is skipped, saying
 * why, when the child cannot be prepared here.
 */
static int run_setup(char *const argv[], const char *err, int (*setup)(void), char **msg)
{
	int rc = finish(start_setup(argv, NULL, err, setup));

	*msg = slurp(err);
	if (rc == SETUP_FAILED && !strncmp(*msg, "setup: ", 7)) {
		print_message("skipped: cannot prepare the child here: %s", *msg + 7);
		free(*msg);
		skip();
	}
	return rc;
}

static void expect_refusal(int (*setup)(void), const char *const *args, int want_rc,
			   const char *tape, const char *const *needles)
{
	char err[PATH_MAX], *argv[32], *msg;
	size_t n = 0;
	int rc;

	pathf(err, "%s/refusal.err", tmpdir);
	argv[n++] = bpftape;
	for (; *args; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	rc = run_setup(argv, err, setup, &msg);
	if (rc != want_rc)
		fail_msg("'%s %s' exited %d, not %d:\n%s", argv[1], argv[2], rc, want_rc, msg);
	if (strncmp(msg, "bpftape ", 8) || !*msg || strchr(msg, '\n') != msg + strlen(msg) - 1)
		fail_msg("not one 'bpftape ...' line on stderr:\n%s", msg);
	for (; *needles; needles++)
		if (!strstr(msg, *needles))
			fail_msg("the message lacks '%s':\n%s", *needles, msg);
	free(msg);
	if (tape && !access(tape, F_OK))
		fail_msg("%s was left behind", tape);
}

/* Not root, no capabilities: one line that says to use sudo. */
static void test_not_root(void **state)
{
	char tape[PATH_MAX];
	const char *args[] = {"record", "-o", tape, "--", "/bin/true", NULL};
	const char *says[] = {"bpftape record: ", "needs root",	      "CAP_BPF",
			      "uid 65534",	  "run it with sudo", NULL};

	(void)state;
	/* a tape dir uid 65534 may write to: only the check may stop it */
	pathf(tape, "/tmp/bpftape-notroot-%d.tape", (int)getpid());
	expect_refusal(as_nobody, args, 1, tape, says);
}

/* Root without CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN: names them. */
static void test_no_caps(void **state)
{
	char tape[PATH_MAX];
	const char *args[] = {"record", "-o", tape, "--", "/bin/true", NULL};
	const char *says[] = {"bpftape record: ", "CAP_BPF and CAP_PERFMON",
			      "this root process lacks them", "--cap-add BPF", NULL};

	(void)state;
	pathf(tape, "%s/nocaps.tape", tmpdir);
	expect_refusal(without_bpf_caps, args, 1, tape, says);
}

/* No /sys/kernel/btf/vmlinux: names it and the kernel option, before loading. */
static void test_no_btf(void **state)
{
	char tape[PATH_MAX];
	const char *args[] = {"record", "-o", tape, "--", "/bin/true", NULL};
	const char *says[] = {"bpftape record: no kernel BTF: /sys/kernel/btf/vmlinux",
			      "CONFIG_DEBUG_INFO_BTF=y", NULL};
	static const char *const alts[] = {
		"/boot/vmlinux-%1$s",
		"/lib/modules/%1$s/vmlinux-%1$s",
		"/lib/modules/%1$s/build/vmlinux",
		"/usr/lib/modules/%1$s/kernel/vmlinux",
		"/usr/lib/debug/boot/vmlinux-%1$s",
		"/usr/lib/debug/boot/vmlinux-%1$s.debug",
		"/usr/lib/debug/lib/modules/%1$s/vmlinux",
	};
	struct utsname u;

	(void)state;
	pathf(tape, "%s/nobtf.tape", tmpdir);
	/* libbpf finds BTF in these too (and the recorder rightly goes on) */
	uname(&u);
	for (size_t i = 0; i < sizeof(alts) / sizeof(alts[0]); i++) {
		char alt[PATH_MAX];

		pathf(alt, alts[i], u.release);
		if (!access(alt, R_OK)) {
			print_message("skipped: %s holds kernel BTF too\n", alt);
			skip();
		}
	}
	expect_refusal(hide_btf, args, 1, tape, says);
}

/* /proc/kallsyms empty, as it reads without addresses under kptr_restrict. */
static int hide_kallsyms(void)
{
	if (private_mounts())
		return -1;
	if (mount("/dev/null", "/proc/kallsyms", NULL, MS_BIND, NULL))
		return setup_fail("/dev/null over /proc/kallsyms");
	return 0;
}

/*
 * -g without the kernel's symbols: said once, before the recording starts
 * (they are read then, not at the first kernel frame: the consumer's stall
 * there cost a storm's events), and the events are recorded all the same.
 */
static void test_no_kallsyms(void **state)
{
	char tape[PATH_MAX], err[PATH_MAX], *msg, *warn, *summary;
	char *argv[] = {bpftape, "record", "-g", "-e", "exec", "-o", tape, "--", "/bin/true", NULL};
	struct evs e;
	size_t nexec = 0;
	int rc;

	(void)state;
	pathf(tape, "%s/nokallsyms.tape", tmpdir);
	pathf(err, "%s/nokallsyms.err", tmpdir);
	rc = run_setup(argv, err, hide_kallsyms, &msg);
	if (rc != 0)
		fail_msg("record -g without kallsyms exited %d:\n%s", rc, msg);
	warn = strstr(msg, "bpftape record: warning: kernel frames will be [unknown]: "
			   "/proc/kallsyms gives no addresses");
	summary = strstr(msg, " events, ");
	if (!warn || !summary || warn > summary)
		fail_msg("no warning before the summary:\n%s", msg);
	free(msg);
	load(tape, &e);
	assert_int_equal(e.cursor_err, 0);
	for (size_t i = 0; i < e.n; i++)
		if (is(&e.v[i], "exec") && !strcmp(fstr(&e.v[i], "filename"), "/bin/true"))
			nexec++;
	assert_int_equal(nexec, 1);
	evs_free(&e);
}

/*
 * No tracefs: whatever needs it says so and gives the mount command; what
 * does not (the default events) records a valid tape.
 */
static void test_no_tracefs(void **state)
{
	char tape[PATH_MAX], err[PATH_MAX];
	const char *mount_cmd = "mount -t tracefs nodev /sys/kernel/tracing";
	const char *proc[] = {"record", "-e", "proc", "-o", tape, "--", "/bin/true", NULL};
	const char *proc_says[] = {"bpftape record: tracefs is mounted at neither", mount_cmd,
				   "adding -e file avoids them", NULL};
	const char *tp[] = {"record",	 "-e", "tracepoint:sched:sched_process_fork",
			    "-o",	 tape, "--",
			    "/bin/true", NULL};
	const char *tp_says[] = {"bpftape record: tracepoint:sched:sched_process_fork: tracefs",
				 mount_cmd, NULL};
	const char *kp[] = {"record",	 "-e", "kprobe:do_sys_openat2", "-o", tape, "--",
			    "/bin/true", NULL};
	const char *kp_says[] = {"bpftape record: kprobe:do_sys_openat2: no kprobe PMU", mount_cmd,
				 NULL};
	const char *list[] = {"list-events", "sched:*", NULL};
	const char *list_says[] = {"bpftape list-events: kernel tracepoints: tracefs", mount_cmd,
				   NULL};

	(void)state;
	pathf(btf_stash, "%s/btf-stash", tmpdir);
	mkdir(btf_stash, 0755);
	pathf(tape, "%s/notracefs.tape", tmpdir);
	expect_refusal(hide_tracefs, proc, 1, tape, proc_says);
	expect_refusal(hide_tracefs, tp, 2, tape, tp_says);
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		expect_refusal(hide_tracefs, kp, 2, tape, kp_says);
	else
		print_message("a kprobe PMU here: kprobes need no tracefs, not tested\n");
	expect_refusal(hide_tracefs, list, 1, NULL, list_says);

	/* the default events need no tracefs: a tape with /bin/true's exec */
	pathf(err, "%s/notracefs.err", tmpdir);
	{
		char *argv[] = {bpftape, "record", "-o", tape, "--", "/bin/true", NULL};
		struct evs e;
		size_t execs = 0;
		char *msg;
		int rc = run_setup(argv, err, hide_tracefs, &msg);

		if (rc)
			fail_msg("the default events without tracefs: exit %d:\n%s", rc, msg);
		free(msg);
		load(tape, &e);
		assert_int_equal(e.cursor_err, 0);
		assert_false(e.recovered);
		for (size_t i = 0; i < e.n; i++)
			if (is(&e.v[i], "exec") && !strcmp(fstr(&e.v[i], "filename"), "/bin/true"))
				execs++;
		assert_int_equal(execs, 1);
		evs_free(&e);
	}
}

static int bpf_available(char *why, size_t len)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		snprintf(why, len, "the kernel refuses BPF (%s)", strerror(errno));
		return 0;
	}
	close(fd);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, len, "no kernel BTF at /sys/kernel/btf/vmlinux");
		return 0;
	}
	return 1;
}

/* Whether uid 65534 may run @path (every directory above it searchable). */
static bool nobody_can_run(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(setgroups(0, NULL) || setgid(65534) || setuid(65534) || access(path, X_OK));
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st);
}

static int copy_exe(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		n = -1;
	return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

/*
 * Some tests run bpftape and the work_* helpers as uid 65534.  A build in
 * a directory that user cannot enter (a clone made under `mktemp -d` is
 * 0700) would fail them at exec: copies go where anyone may run them, in
 * @stage.  0, or -1 with a message.
 */
static int stage_for_nobody(char *stage, size_t len)
{
	static const char *const work[] = {"work_files", "work_exec", "work_connect"};
	char from[PATH_MAX], to[PATH_MAX];

	stage[0] = 0;
	pathf(from, "%s/work_files", helpers);
	if (geteuid() || (nobody_can_run(bpftape) && nobody_can_run(from)))
		return 0;
	snprintf(stage, len, "/tmp/bpftape-test-bin-XXXXXX");
	if (!mkdtemp(stage) || chmod(stage, 0755)) {
		perror("test_record: staging the binaries for uid 65534");
		return -1;
	}
	pathf(to, "%s/bpftape", stage);
	if (copy_exe(bpftape, to)) {
		fprintf(stderr, "test_record: copying %s to %s: %s\n", bpftape, to,
			strerror(errno));
		return -1;
	}
	snprintf(bpftape, sizeof(bpftape), "%s", to);
	for (size_t i = 0; i < sizeof(work) / sizeof(work[0]); i++) {
		pathf(from, "%s/%s", helpers, work[i]);
		pathf(to, "%s/%s", stage, work[i]);
		if (copy_exe(from, to)) {
			fprintf(stderr, "test_record: copying %s to %s: %s\n", from, to,
				strerror(errno));
			return -1;
		}
	}
	snprintf(helpers, sizeof(helpers), "%s", stage);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_missing_binary),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_ring_bytes),
		cmocka_unit_test(test_path_lengths),
		cmocka_unit_test_prestate(test_exec, "proc,signal,sched"),
		cmocka_unit_test_prestate(test_exec, "proc,file,signal,sched"),
		cmocka_unit_test(test_export_perfetto),
		cmocka_unit_test_prestate(test_exec_argv, "proc"),
		cmocka_unit_test_prestate(test_exec_argv, "proc,file"),
		cmocka_unit_test(test_cmd_syscall_exec),
		cmocka_unit_test_prestate(test_connect, "net"),
		cmocka_unit_test_prestate(test_connect, "net,file"),
		cmocka_unit_test_prestate(test_tcp_owner, "cmd"),
		cmocka_unit_test_prestate(test_tcp_owner, "pid"),
		cmocka_unit_test(test_cmd_filter),
		cmocka_unit_test(test_start_gate),
		cmocka_unit_test(test_pid_filter),
		cmocka_unit_test(test_comm_filter),
		cmocka_unit_test(test_uid_filter),
		cmocka_unit_test(test_cgroup_filter),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_sigkill),
		cmocka_unit_test(test_two_recorders),
		cmocka_unit_test(test_sigkill_random),
		cmocka_unit_test(test_idle_flush),
		cmocka_unit_test(test_follow_live),
		cmocka_unit_test(test_cmd_stopped),
		cmocka_unit_test(test_cmd_recorder_killed),
		cmocka_unit_test(test_losses),
		cmocka_unit_test(test_ring_per_cpu),
		cmocka_unit_test(test_ring_wakeup),
		cmocka_unit_test(test_duration_self),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_no_caps),
		cmocka_unit_test(test_no_btf),
		cmocka_unit_test(test_no_kallsyms),
		cmocka_unit_test(test_no_tracefs),
	};
	char self[PATH_MAX], why[256], cmd[PATH_MAX + 16], stage[PATH_MAX];
	ssize_t n;
	int ret;

	(void)argc;
	if (geteuid() != 0) {
		printf("test_record: skipped: needs root to load BPF programs\n");
		return 77;
	}
	if (!bpf_available(why, sizeof(why))) {
		printf("test_record: skipped: %s\n", why);
		return 77;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	snprintf(helpers, sizeof(helpers), "%s", self);
	*strrchr(helpers, '/') = 0;
	if (getenv("BPFTAPE"))
		snprintf(bpftape, sizeof(bpftape), "%s", getenv("BPFTAPE"));
	else
		pathf(bpftape, "%s/../bpftape", helpers);
	if (access(bpftape, X_OK)) {
		printf("test_record: %s is not executable: build it first (make)\n", bpftape);
		return 1;
	}
	if (stage_for_nobody(stage, sizeof(stage)))
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpftape-test-record-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	(void)argv;
	/* run under sudo, the workloads would drop to the user and lose tmpdir */
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	/* TEST_FILTER=test_sigkill* runs the matching tests only */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			fprintf(stderr, "test_record: could not remove %s\n", tmpdir);
	}
	if (stage[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", stage);
		if (system(cmd))
			fprintf(stderr, "test_record: could not remove %s\n", stage);
	}
	return ret;
}
