// SPDX-License-Identifier: MIT
/*
 * bpftape record: load the probes, drain the ring buffer into a tape.
 *
 * One thread: the ring buffer absorbs the time a chunk takes to compress
 * (a 16 MiB ring holds tens of milliseconds of the openat storm; a chunk
 * compresses in a few), so a second writer thread would only add a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "builtin.h"
#include "../cli/cli.h"
#include "container.h"
#include "families.h"
#include "generic.h"
#include "host.h"
#include "maps_rec.h"
#include "options.h"
#include "record.h"
#include "ringrd.h"
#include "preflight.h"
#include "session.h"
#include "sink.h"
#include "stack.h"
#include "../cli/verbs.h"

#define PFX "bpftape record: "
/* the consumer wakes at least this often, events or not */
#define POLL_MAX_MS 100
/* how long CMD has to exit once the recording stops, before SIGKILL */
#define CMD_GRACE_NS (5 * 1000000000ull)

/*
 * Who CMD runs as.  Resolved in the parent, before fork: the child of a
 * recorder only calls setgroups/setgid/setuid, never NSS.
 */
struct run_as {
	bool drop; /* false: CMD keeps bpftape's credentials */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char name[64]; /* for messages: "alice (uid 1000)" */
};

struct drops_seen {
	uint64_t count;
	uint64_t last_ts;
};

struct recorder {
	const struct record_opts *o;
	struct record_session s;
	struct families *fam;
	struct generic *gen;
	struct maps_rec *mr; /* executable mappings, for user stacks */
	/* one reader per CPU's ring, visited in turn (consume_rings()) */
	struct ringrd **rbs;
	int nrbs;
	int epfd;
	int cur_ring;	  /* the ring being read, -1: none */
	bool catching_up; /* in catch_up(): nothing nests, nothing rotates */
	bool rings_left;  /* the last round left records in a ring */
	struct sink *sink;
	struct record_meta meta;
	struct builtin_ids ids;
	struct stacks *stacks; /* -g */
	struct ctr_cache *ctr;
	char ctr_dir[PATH_MAX]; /* --container: its cgroup v2 path */
	pid_t child;
	int child_status;
	bool child_done;
	struct run_as as;
	int go_fd;  /* write end: releases the stopped child */
	int err_fd; /* read end: errno of a failed exec */

	int write_err; /* first fatal writer error */
	char write_msg[PATH_MAX + 512];
	bool limit_hit;	    /* --max-size reached */
	uint64_t unwritten; /* events read after a write error */
	bool rb_failed;	    /* reading the ring buffer failed (said once) */
	int poll_ms;
	uint64_t bad_records;
	uint64_t ring_records, ring_bytes; /* as read from the ring, for -v */
	double cpu_at_start;		   /* CPU seconds once recording began (-1: never) */
	uint64_t last_bytes;

	int ncpus;
	struct drop_stat *drop_vals;
	struct drops_seen *seen;
	uint64_t drops;
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stop_count;
static volatile sig_atomic_t stop_from_tty; /* sent to the whole foreground group */
static volatile sig_atomic_t child_signal;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGCHLD) {
		child_signal = 1;
		return;
	}
	stop_signal = sig;
	stop_count++;
	/* Ctrl-C and the like come from the kernel (the tty), kill(2) from a user */
	stop_from_tty = si && si->si_code == SI_KERNEL;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpftape record [-o FILE] [-e EVENTS]... [-p PID] [--comm NAME]\n"
		"                      [--cgroup PATH] [--container ID|NAME] [--uid UID]\n"
		"                      [--duration SECS]\n"
		"                      [--max-size SIZE] [--rotate SIZE --keep N]\n"
		"                      [--buffer SIZE] [--wakeup SIZE] [--flush-interval SECS]\n"
		"                      [-g] [--stacks TYPES] [--stack-depth N]\n"
		"                      [-v] [--user USER]\n"
		"                      [-- CMD [ARGS...]]\n"
		"\n"
		"Record kernel events with eBPF into a tape.  Without -p or -- CMD the\n"
		"whole system is recorded (never bpftape itself) until SIGINT/SIGTERM,\n"
		"--duration or --max-size.  fork, exec and exit are always recorded.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE    tape to write (default bpftape.tape); - is standard\n"
		"                       output (CMD's own output then goes to stderr)\n"
		"  -e, --events LIST    comma-separated events (default " RECORD_DEFAULT_EVENTS
		"):\n"
		"                       groups proc, file, net, syscall, sched, signal, all;\n"
		"                       single events fork exec exit open close unlink rename\n"
		"                       mkdir mknod link symlink read write connect accept\n"
		"                       bind tcp_state syscall sched_switch signal; or one\n"
		"                       generic probe per -e:\n"
		"                       tracepoint:SUBSYS:NAME  uprobe:PATH:FUNC[+OFF](ARGS)\n"
		"                       uretprobe:PATH:FUNC  usdt:PATH:PROVIDER:NAME(ARGS)\n"
		"                       kprobe:FUNC(ARGS)  kretprobe:FUNC\n"
		"  -p, --pid PID        only PID and its descendants (also those forked later)\n"
		"      --comm NAME      only tasks whose comm is NAME\n"
		"      --cgroup PATH    only tasks in this cgroup v2 (path in the cgroup2 mount)\n"
		"      --container ID|NAME\n"
		"                       only tasks in this container (docker, podman, cri-o,\n"
		"                       containerd, nspawn, LXC; a name, an id or a unique id\n"
		"                       prefix) and those that enter it later\n"
		"      --uid UID        only tasks of this user (number or name)\n"
		"  -d, --duration SECS  stop after SECS (suffixes ms, s, m, h)\n"
		"      --max-size SIZE  stop once SIZE bytes are written (suffixes K, M, G)\n"
		"      --rotate SIZE    start a new tape every SIZE bytes, keeping --keep N\n"
		"      --keep N         tapes kept under --rotate: FILE, FILE.1, ... (default 4)\n"
		"      --buffer SIZE    each CPU's kernel ring buffer, a power of two (default\n"
		"                       16M shared out among the CPUs, at least 1M each)\n"
		"      --wakeup SIZE    wake the reader once SIZE bytes wait in a CPU's ring\n"
		"                       (default --buffer/16; 0 keeps the default)\n"
		"      --flush-interval SECS\n"
		"                       write every event to the file at most SECS after it\n"
		"                       happened (default 1s): what a SIGKILL can lose, and how\n"
		"                       far 'replay --follow' lags\n"
		"  -g, --call-graph     the kernel and user call stack of every event, innermost\n"
		"                       first (user stacks by frame pointers, see --stack-copy);\n"
		"                       each distinct stack is stored once.  Events taken at\n"
		"                       syscall exit (file, net, syscall) keep their user stack\n"
		"                       only\n"
		"      --stacks TYPES   stacks for these event types only (comma-separated\n"
		"                       built-in names like open,exit or generic probe type\n"
		"                       names); implies -g\n"
		"      --stack-depth N  frames kept of each of the two stacks (1-127, default "
		"127)\n"
		"      --stack-copy BYTES\n"
		"                       with each stack, the user registers and this much of\n"
		"                       the user stack (at most 2047; default 0, none): the\n"
		"                       recorder unwinds code without frame pointers by its\n"
		"                       CFI and names its callers (Debian 12's libc: use\n"
		"                       256); what the copy does not reach is a marked gap.\n"
		"                       Costs BYTES of ring per event\n"
		"  -v, --verbose        libbpf's log and attach details\n"
		"  -h, --help           this help\n"
		"  -- CMD [ARGS...]     run CMD, record only it and its descendants, stop when\n"
		"                       it exits (it starts once the probes are attached).\n"
		"                       If the recording stops first (SIGINT, SIGTERM, a limit),\n"
		"                       CMD gets the signal (SIGTERM for a limit), its exit is\n"
		"                       recorded, and it is killed after 5 s or a second signal\n"
		"      --user USER      run CMD as USER (name or number; 'root' keeps root).\n"
		"                       Under sudo CMD runs as the invoking user (SUDO_UID,\n"
		"                       SUDO_GID), not as root; the tape stays root's, mode 0600\n"
		"\n"
		"At the end one line sums up: events, drops, bytes written, duration, output.\n"
		"\n"
		"Examples:\n"
		"  bpftape record -o incident.tape --duration 5m\n"
		"  bpftape record -e file,net -- make -j2\n"
		"  sudo bpftape record -o build.tape -- make     # make runs as you\n"
		"  bpftape record --user www-data -- ./serve.sh\n"
		"  bpftape record -e exec,open -p 4242 -o app.tape\n"
		"  bpftape record -e all --rotate 256M --keep 8 -o ring.tape\n"
		"  bpftape record -g -e open,exit -- ./app          # who opened what\n"
		"  bpftape record -e 'usdt:/usr/bin/python3.11:python:function__entry(str,str,s32)'"
		" -- python3 x.py\n");
}

/*
 * Find @file the way execvp() would, into @out: the recorded command then
 * starts with one successful exec instead of a failed one per PATH entry.
 */
static bool find_in_path(const char *file, char *out, size_t outlen, char *why, size_t len)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(file, '/')) {
		snprintf(out, outlen, "%s", file);
		if (access(file, X_OK) == 0)
			return true;
		snprintf(why, len, "%s", strerror(errno));
		return false;
	}
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", file);
		if (access(buf, X_OK) == 0) {
			struct stat st;

			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
				snprintf(out, outlen, "%s", buf);
				return true;
			}
		}
		path += n + (colon ? 1 : 0);
	}
	snprintf(why, len, "not found in PATH");
	return false;
}

/*
 * Can -o @path be created: its directory exists and is writable?  Checked
 * before loading so that a typo costs no attach.  0, or -errno with @why.
 */
static int check_output_dir(const char *path, char *why, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n = slash ? (slash == path ? 1 : (int)(slash - path)) : 1;
	const char *dir = slash ? path : ".";
	char buf[PATH_MAX];
	int e;

	if (snprintf(buf, sizeof(buf), "%.*s", n, dir) >= (int)sizeof(buf))
		return 0; /* too long to check here: creating it will say */
	if (!access(buf, W_OK | X_OK))
		return 0;
	e = errno;
	snprintf(why, len,
		 "-o %s: directory %.*s: %s; give -o a path in an existing, writable directory",
		 path, n, dir, strerror(e));
	return -e;
}

/*
 * Decide who CMD runs as: --user if given, else the user sudo ran us for
 * (a recording of `make` should not leave root-owned files in the build
 * tree), else bpftape's own credentials.  0, or -errno with @why set.
 */
static int run_as__resolve(struct run_as *as, const char *user, char *why, size_t len)
{
	const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
	struct passwd *pw = NULL;
	bool have_gid = false;
	uint64_t id;
	int n = 16;

	memset(as, 0, sizeof(*as));
	if (user) {
		if (!record_opts__parse_id(user, &id)) {
			pw = getpwuid(id);
			as->uid = id;
		} else {
			pw = getpwnam(user);
			if (!pw) {
				snprintf(why, len,
					 "--user '%s': no such user (give a name from "
					 "/etc/passwd or a number)",
					 user);
				return -ENOENT;
			}
			as->uid = pw->pw_uid;
		}
	} else if (sudo_uid && geteuid() == 0) {
		if (record_opts__parse_id(sudo_uid, &id)) {
			snprintf(why, len, "SUDO_UID='%s' is not a user id; give --user", sudo_uid);
			return -EINVAL;
		}
		as->uid = id;
		pw = getpwuid(id);
		if (sudo_gid) {
			if (record_opts__parse_id(sudo_gid, &id)) {
				snprintf(why, len, "SUDO_GID='%s' is not a group id; give --user",
					 sudo_gid);
				return -EINVAL;
			}
			as->gid = id;
			have_gid = true;
		}
	} else {
		return 0;
	}
	if (as->uid == 0)
		return 0; /* --user root, or sudo from root: nothing to drop */
	if (!have_gid)
		as->gid = pw ? pw->pw_gid : as->uid; /* a bare number: its own group */
	if (pw)
		snprintf(as->name, sizeof(as->name), "%s (uid %u)", pw->pw_name, (unsigned)as->uid);
	else
		snprintf(as->name, sizeof(as->name), "uid %u", (unsigned)as->uid);
	/* the supplementary groups the user has at login, not root's */
	for (;;) {
		gid_t *g = realloc(as->groups, n * sizeof(*g));
		int want = n;

		if (!g) {
			snprintf(why, len, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		as->groups = g;
		if (!pw) {
			g[0] = as->gid;
			n = 1;
			break;
		}
		if (getgrouplist(pw->pw_name, as->gid, g, &n) >= 0)
			break;
		if (n <= want)
			n = want * 2;
	}
	as->ngroups = n;
	as->drop = true;
	return 0;
}

/*
 * Fork CMD stopped: it waits for a byte on a pipe, sent once the probes are
 * attached and its pid is armed in `tracked` (TRACK_EXEC), so its exec is
 * the first thing recorded and nothing of bpftape's code before it is.
 */
static int spawn_stopped(struct recorder *r, const char *file, char **cmd)
{
	pid_t pid, parent = getpid();
	int go[2], ex[2];

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(ex, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		close(ex[0]);
		close(ex[1]);
		return err;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(ex[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* the recorder gave up */
		/* groups first: after setuid the child may no longer change them */
		if (r->as.drop && (setgroups(r->as.ngroups, r->as.groups) || setgid(r->as.gid) ||
				   setuid(r->as.uid))) {
			e = -errno; /* negative: switching user failed, not exec */
			if (write(ex[1], &e, sizeof(e)) < 0)
				_exit(127);
			_exit(127);
		}
		/* CMD does not outlive a recorder killed with SIGKILL either: set
		 * last, as a change of credentials clears it; a recorder already
		 * gone is seen as a new parent */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		/* -o -: standard output carries the tape, so CMD writes what it
		 * prints to standard error (as perf record -o - does) */
		if (!strcmp(r->o->output, "-") && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execv(file, cmd);
		e = errno;
		if (write(ex[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ex[1]);
	r->child = pid;
	r->go_fd = go[1];
	r->err_fd = ex[0];
	return 0;
}

/* ---- the tape head and the consumer --------------------------------------- */

static bool proc_wanted(struct recorder *r, const struct tape_proc *p)
{
	const struct record_opts *o = r->o;
	__u32 pid = p->pid;
	__u8 v;

	if ((r->s.filter_flags & FILTER_PIDS) && bpf_map_lookup_elem(r->s.tracked_fd, &pid, &v))
		return false;
	if (o->uid >= 0 && p->uid != (uint32_t)o->uid)
		return false;
	if (o->comm && strcmp(p->comm, o->comm))
		return false;
	if (o->container) {
		size_t l = strlen(r->ctr_dir);

		if (!p->cgroup || strncmp(p->cgroup, r->ctr_dir, l) ||
		    (p->cgroup[l] && p->cgroup[l] != '/'))
			return false;
	}
	return true;
}

/* Kinds whose events are taken deep in the kernel, where the kernel stack
 * says how they came about; the others are taken at syscall exit, where it
 * is only the exit path (docs/RECORDING.md, "Stacks"). */
#define KERNEL_STACK_KINDS                                                                         \
	((1u << REC_FORK) | (1u << REC_EXEC) | (1u << REC_EXIT) | (1u << REC_TCP_STATE) |          \
	 (1u << REC_SCHED_SWITCH) | (1u << REC_SIGNAL) | (1u << REC_GENERIC))

/* -g / --stacks: which kinds and generic probes take stacks.  0, or -1
 * with @why naming a type no recorded event has. */
static int select_stacks(struct recorder *r, char *why, size_t len)
{
	const struct record_opts *o = r->o;
	const struct record_builtin *b;
	char *list, *word, *save = NULL;
	size_t nb;
	int ret = 0;

	b = builtin__table(&nb);
	if (!o->stack_types) {
		for (size_t i = 0; i < nb; i++)
			if (o->want[b[i].family] & b[i].want)
				r->s.stack_kinds |= 1u << b[i].kind;
		if (generic__stacks(r->gen, NULL) > 0)
			r->s.stack_kinds |= 1u << REC_GENERIC;
		r->s.stack_kernel_kinds = r->s.stack_kinds & KERNEL_STACK_KINDS;
		return 0;
	}
	list = strdup(o->stack_types);
	if (!list) {
		snprintf(why, len, "%s", strerror(ENOMEM));
		return -1;
	}
	for (word = strtok_r(list, ",", &save); word && !ret; word = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < nb; i++)
			if (!strcmp(word, b[i].name))
				break;
		if (i < nb && (o->want[b[i].family] & b[i].want)) {
			r->s.stack_kinds |= 1u << b[i].kind;
		} else if (generic__stacks(r->gen, word) > 0) {
			r->s.stack_kinds |= 1u << REC_GENERIC;
		} else {
			snprintf(why, len,
				 "--stacks: '%s' is not an event type of this recording; give "
				 "the name of a built-in event recorded with -e (open, exit, ...) "
				 "or the type name of a generic probe",
				 word);
			ret = -1;
		}
	}
	free(list);
	r->s.stack_kernel_kinds = r->s.stack_kinds & KERNEL_STACK_KINDS;
	return ret;
}

static int tape_start(void *ctx, struct tape_writer *w)
{
	struct recorder *r = ctx;
	struct proc_snapshot snap = {};
	struct tape_proc *keep = NULL;
	size_t n = 0;
	int err;

	if (r->stacks)
		stacks__new_tape(r->stacks);
	err = record_meta__write(&r->meta, w);
	if (!err)
		err = builtin__add_types(w, r->o->want, &r->ids);
	for (size_t i = 0; !err && i < r->s.nsources; i++)
		err = r->s.sources[i].ops->add_types(r->s.sources[i].ctx, w);
	if (err)
		return err;
	/* the snapshot is read now, after attaching: no process falls between */
	err = proc_snapshot__read(&snap);
	if (err)
		goto cleanup;
	keep = calloc(snap.n ? snap.n : 1, sizeof(*keep));
	if (!keep) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < snap.n; i++) {
		struct tape_proc *p = &keep[n];
		struct ctr_info ci;

		if (!proc_wanted(r, &snap.procs[i]))
			continue;
		*p = snap.procs[i];
		err = ctr_cache__by_path(r->ctr, p->cgroup ? p->cgroup : "", &ci);
		if (!err && !ci.id[0] && ctr_cache__v1(r->ctr, p->pid, &ci) == -ENOMEM)
			err = -ENOMEM;
		if (err)
			goto cleanup;
		p->container = ci.id;
		p->container_name = ci.name;
		p->runtime = ci.runtime;
		p->pod = ci.pod;
		n++;
	}
	err = tape_writer__add_procs(w, keep, n);
	if (!err && r->mr) {
		uint32_t *pids = malloc((n ? n : 1) * sizeof(*pids));
		struct timespec now;

		if (!pids) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < n; i++)
			pids[i] = keep[i].pid;
		clock_gettime(CLOCK_BOOTTIME, &now);
		err = maps_rec__start(r->mr, w, pids, n,
				      (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec);
		free(pids);
	}
	r->last_bytes = tape_writer__bytes(w);
cleanup:
	free(keep);
	proc_snapshot__free(&snap);
	return err;
}

static void fail_write(struct recorder *r, int err, const char *what)
{
	struct tape_writer *w = r->sink ? sink__writer(r->sink) : NULL;
	const char *detail = w ? tape_writer__errmsg(w) : "";

	if (r->write_err)
		return;
	r->write_err = err;
	snprintf(r->write_msg, sizeof(r->write_msg), "%s %s: %s%s%s", what, r->o->output,
		 strerror(-err), *detail ? " (" : "", *detail ? detail : "");
	if (*detail)
		strncat(r->write_msg, ")", sizeof(r->write_msg) - strlen(r->write_msg) - 1);
}

/* After the file grew: rotate or stop at the size limit. */
static int check_size(struct recorder *r)
{
	struct tape_writer *w = sink__writer(r->sink);
	int err;

	/* inside another record's stack (catch_up()): its writer must stay
	 * the one it holds; the next record rotates */
	if (r->catching_up)
		return 0;
	if (tape_writer__bytes(w) == r->last_bytes)
		return 0;
	r->last_bytes = tape_writer__bytes(w);
	if (r->o->max_size && sink__bytes(r->sink) >= r->o->max_size) {
		r->limit_hit = true;
		return 1;
	}
	err = sink__maybe_rotate(r->sink);
	if (err < 0) {
		if (!r->write_err) {
			r->write_err = err;
			snprintf(r->write_msg, sizeof(r->write_msg), "%s", sink__errmsg(r->sink));
		}
		return err;
	}
	if (err > 0)
		r->last_bytes = tape_writer__bytes(sink__writer(r->sink));
	return 0;
}

static int handle_one(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	struct tape_writer *w = sink__writer(r->sink);
	const struct rec_hdr *h = data;
	uint32_t stack_id = 0;
	bool stack = false;
	int err = 0;

	if (r->write_err || r->limit_hit) {
		/* stopping: the rest is not written, and said so */
		if (r->write_err)
			r->unwritten++;
		return 0;
	}
	r->ring_records++;
	r->ring_bytes += size;
	if (size < sizeof(*h)) {
		r->bad_records++;
		return 0;
	}
	stack = h->kind & REC_F_STACK;
	if (stack && size > h->size) {
		/* the stack came inside the event's record, after its own
		 * bytes: held as if it had come before, and the event seen
		 * as it was built */
		size_t off = ((size_t)h->size + 7) & ~(size_t)7;
		/* the stack's header is the event's: put back before it */
		uint64_t buf[(sizeof(struct rec_stack) + (2 * REC_STACK_MAX + 8) * 8 +
			      sizeof(struct rec_stack_regs) + REC_STACK_COPY) /
			     8];
		struct rec_stack *rs = (struct rec_stack *)buf;
		size_t n = size - off;

		if (h->size < sizeof(*h) || off >= size || n > sizeof(buf) - sizeof(*h) ||
		    !r->stacks) {
			r->bad_records++;
			stack = false;
		} else {
			rs->hdr = *h;
			rs->hdr.kind = REC_STACK;
			rs->hdr.size = (uint32_t)(n + sizeof(*h));
			memcpy((char *)buf + sizeof(*h), (const char *)data + off, n);
			if (stacks__hold(r->stacks, rs, n + sizeof(*h))) {
				r->bad_records++;
				stack = false;
			}
		}
		size = h->size;
	}
	if (r->mr) {
		err = maps_rec__handle(r->mr, data, size);
		if (err == -EBADMSG)
			r->bad_records++;
		if (err == 1 || err == -EBADMSG)
			return 0;
		if (err) {
			fail_write(r, err, "writing mappings to");
			return err;
		}
	}
	if (h->kind == REC_STACK) {
		if (!r->stacks || stacks__hold(r->stacks, data, size))
			r->bad_records++;
		return 0;
	}
	if (stack) {
		int64_t id = r->stacks ? stacks__take(r->stacks, w, h) : 0;

		if (id < 0) {
			fail_write(r, (int)id, "writing");
			return (int)id;
		}
		stack_id = (uint32_t)id;
	}
	if ((h->kind & ~REC_F_STACK) == REC_EXEC && r->stacks)
		stacks__exec(r->stacks, h->pid);
	if ((h->kind & ~REC_F_STACK) == REC_GENERIC) {
		err = -ENOENT;
		if (size >= sizeof(struct rec_generic))
			for (size_t i = 0; i < r->s.nsources && err == -ENOENT; i++)
				err = r->s.sources[i].ops->emit(r->s.sources[i].ctx, w, data, size,
								stack_id);
	} else {
		err = builtin__emit(&r->ids, w, data, size, stack_id);
	}
	if (err == -ENOENT || err == -EBADMSG || err == -EINVAL) {
		r->bad_records++;
		err = 0;
	}
	if (err) {
		fail_write(r, err, "writing");
		return err;
	}
	return check_size(r) < 0 ? -EIO : 0;
}

/* A ring's visit ends after this many records, so that a storm on one CPU
 * cannot keep the reader from the other CPUs' rings. */
#define RING_VISIT_RECORDS 512

/*
 * A user frame of a stack taken at @ts resolved to nothing: its process
 * may have exec'd or mapped the code on another CPU, whose ring holds
 * those records still (the rings are read in turn).  Handle the other
 * rings' records up to @ts, so the tracker has what the stack needs: a
 * ring is in time order, and its first later record stays for its turn
 * (taken now, it would be resolved before the earlier records of this
 * ring, such as the mmap of the library its stack runs through).  Not
 * nested, and never the ring being read (its visit gives the records
 * back only when it ends).
 */
static unsigned catch_up(void *ctx, uint64_t ts)
{
	struct recorder *r = ctx;
	unsigned n = 0;
	int cur = r->cur_ring;

	if (r->catching_up || cur < 0)
		return 0;
	r->catching_up = true;
	for (int i = 0; i < r->nrbs; i++) {
		const struct rec_hdr *h;
		size_t size;
		int more;

		if (i == cur)
			continue;
		r->cur_ring = i;
		while ((h = ringrd__peek(r->rbs[i], &size)) && !r->write_err) {
			/* a record too short for a header goes to handle_one(),
			 * which counts it as malformed */
			if (size >= sizeof(*h) && h->ts > ts)
				break;
			if (ringrd__consume(r->rbs[i], 1, &more) != 1)
				break; /* an error stays in write_err */
			n++;
		}
	}
	r->cur_ring = cur;
	r->catching_up = false;
	return n;
}

/*
 * Read every CPU's ring in turn, at most RING_VISIT_RECORDS at a visit,
 * for at most @rounds rounds (0: until all are empty): a ring that a
 * storm keeps filling is never empty, and the other rings would overflow
 * meanwhile.  0, 1 if records were left after @rounds, or a negative errno.
 */
static int consume_rings(struct recorder *r, unsigned rounds)
{
	int more = 0;

	for (unsigned k = 0; !rounds || k < rounds; k++) {
		more = 0;

		for (int i = 0; i < r->nrbs; i++) {
			int m, e;

			r->cur_ring = i;
			e = ringrd__consume(r->rbs[i], RING_VISIT_RECORDS, &m);
			r->cur_ring = -1;
			if (e < 0)
				return e;
			more |= m;
		}
		if (!more)
			break;
	}
	return more;
}

/* Turn new kernel-side drops into loss records, per CPU. */
static int collect_drops(struct recorder *r)
{
	__u32 zero = 0;
	int err;

	if (bpf_map_lookup_elem(r->s.drops_fd, &zero, r->drop_vals))
		return -errno;
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		struct drop_stat *d = &r->drop_vals[cpu];
		struct drops_seen *seen = &r->seen[cpu];
		struct tape_loss loss;

		if (d->count <= seen->count)
			continue;
		/* all drops since the last record lie in [previous last, last] */
		loss.cpu = cpu;
		loss.count = d->count - seen->count;
		loss.first_ts = seen->count ? seen->last_ts : d->first_ts;
		loss.last_ts = d->last_ts;
		r->drops += loss.count;
		seen->count = d->count;
		seen->last_ts = d->last_ts;
		if (r->write_err)
			continue;
		err = tape_writer__add_loss(sink__writer(r->sink), &loss);
		if (err)
			fail_write(r, err, "writing a loss record to");
	}
	return 0;
}

/* This process's user+sys CPU seconds so far. */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ull << 30))
		snprintf(buf, len, "%.2f GiB", b / (double)(1ull << 30));
	else if (b >= (1u << 20))
		snprintf(buf, len, "%.2f MiB", b / (double)(1u << 20));
	else if (b >= 1024)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

/* Let the stopped command exec.  0, or -1 (and *@ret set) if it could not. */
static int release_child(struct recorder *r, int *ret)
{
	int child_errno = 0;
	ssize_t n;

	if (write(r->go_fd, "g", 1) != 1) {
		fprintf(stderr, PFX "starting '%s': %s\n", r->o->cmd[0], strerror(errno));
		*ret = 1;
		return -1;
	}
	close(r->go_fd);
	r->go_fd = -1;
	/* EOF: exec succeeded (the pipe is close-on-exec) */
	do
		n = read(r->err_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(child_errno) && child_errno < 0) {
		fprintf(stderr, PFX "cannot run '%s' as %s: %s\n", r->o->cmd[0], r->as.name,
			strerror(-child_errno));
		*ret = 127;
	} else if (n == sizeof(child_errno)) {
		fprintf(stderr, PFX "cannot run '%s'%s%s: %s\n", r->o->cmd[0],
			r->as.drop ? " as " : "", r->as.name, strerror(child_errno));
		*ret = 127;
	}
	return 0;
}

/*
 * One round of the consumer: wait up to poll_ms for records and take them,
 * turn new drops into loss records, and write the chunk whose first event
 * has waited for --flush-interval.  It runs at least every poll_ms, events
 * or not: an idle host must not keep a burst only in memory.
 */
static void recorder__step(struct recorder *r)
{
	int e;

	if (r->rb_failed) {
		usleep(r->poll_ms * 1000);
		return;
	}
	{
		struct epoll_event ev[16];

		/* woken by a ring crossing its wakeup threshold, or by the
		 * timeout: either way every ring is read (some hold less).
		 * The wakeups are edge-triggered: records left behind are
		 * taken at once, not at the next crossing or timeout. */
		e = epoll_wait(r->epfd, ev, 16, r->rings_left ? 0 : r->poll_ms);
		e = e < 0 ? -errno : consume_rings(r, 64);
		r->rings_left = e > 0;
	}
	if (e < 0 && e != -EINTR && !r->write_err) {
		fprintf(stderr, PFX "reading the ring buffer: %s\n", strerror(-e));
		r->rb_failed = true;
		return;
	}
	collect_drops(r);
	if (r->write_err || r->limit_hit)
		return;
	e = tape_writer__tick(sink__writer(r->sink));
	if (e < 0)
		fail_write(r, e, "writing");
	else if (e > 0)
		check_size(r);
}

/* Has CMD exited?  Reaps it. */
static bool child_gone(struct recorder *r)
{
	if (!r->child_done && waitpid(r->child, &r->child_status, WNOHANG) == r->child)
		r->child_done = true;
	return r->child_done;
}

/*
 * The recording stops while CMD runs (a signal, --duration, --max-size, a
 * write error): CMD does not go on unrecorded.  It gets the signal the
 * recorder got (SIGTERM when a limit stopped it) unless the terminal sent
 * that signal to CMD too (Ctrl-C); its exit is recorded while it takes at
 * most CMD_GRACE_NS (a second signal cuts that short); then it is killed.
 */
static void stop_child(struct recorder *r)
{
	int sig = stop_signal ? stop_signal : SIGTERM, count = stop_count;
	uint64_t until = mono_ns() + CMD_GRACE_NS;

	if (child_gone(r))
		return;
	if (!(stop_signal && stop_from_tty && getpgid(r->child) == getpgrp()))
		kill(r->child, sig);
	while (!child_gone(r) && stop_count == count && mono_ns() < until)
		recorder__step(r);
	if (r->child_done)
		return;
	fprintf(stderr, PFX "%s did not exit %s; killing it\n", r->o->cmd[0],
		stop_count == count ? "within 5 s" : "before a second signal");
	kill(r->child, SIGKILL);
	while (waitpid(r->child, &r->child_status, 0) < 0 && errno == EINTR)
		;
	r->child_done = true;
}

/* Detach, drain, finalize, and print the summary.  Returns the exit status. */
/* Stop the probes, drain what is left, close the tape and take the
 * figures of the recording into @res. */
static int recorder__finish(struct recorder *r, uint64_t t0, int ret, struct record_result *res)
{
	uint64_t now;
	int e;

	/* detach first so that the drain has an end, then take what is left */
	generic__free(r->gen);
	r->gen = NULL;
	families__free(r->fam);
	r->fam = NULL;
	maps_rec__detach(r->mr);
	if (!r->rb_failed && !r->limit_hit)
		consume_rings(r, 0); /* after a write error: counts what is lost */
	collect_drops(r);
	if (!r->write_err) {
		e = sink__finish(r->sink);
		if (e) {
			r->write_err = e;
			snprintf(r->write_msg, sizeof(r->write_msg), "%s", sink__errmsg(r->sink));
		}
	}
	now = mono_ns();
	res->ran = true;
	res->tapes = sink__tapes(r->sink);
	res->bytes = sink__bytes(r->sink);
	/* the events in the tape; those read but not written after a write
	 * error (the chunk in memory, the rest of the ring) apart */
	r->unwritten += sink__events_pending(r->sink);
	res->unwritten = r->unwritten;
	res->events = sink__events(r->sink);
	res->drops = r->drops;
	res->bad_records = r->bad_records;
	res->write_err = r->write_err;
	snprintf(res->write_msg, sizeof(res->write_msg), "%s", r->write_msg);
	res->limit_hit = r->limit_hit;
	res->seconds = (now - t0) / 1e9;
	res->cpu_seconds = cpu_seconds();
	/* without the loading of the programs and the snapshot of /proc at
	 * the start: what the events cost the recorder (and its teardown) */
	res->cpu_recording = r->cpu_at_start >= 0 ? res->cpu_seconds - r->cpu_at_start : 0;
	res->ring_records = r->ring_records;
	res->ring_bytes = r->ring_bytes;
	res->child_done = r->child_done;
	if (r->stacks) {
		res->has_stacks = true;
		res->stacks_distinct = stacks__distinct(r->stacks);
		res->stacks_lost = stacks__lost(r->stacks);
		res->stacks_caught_up = stacks__caught_up(r->stacks);
		stacks__unwind_stats(r->stacks, &res->stacks_unwound, &res->stacks_gaps);
		stacks__ref_stats(r->stacks, &res->stacks_referred, &res->stacks_unknown,
				  &res->stacks_collisions);
	}
	if (r->mr) {
		res->has_maps = true;
		maps__stats(maps_rec__maps(r->mr), &res->maps);
	}
	res->child_status = r->child_status;
	return r->write_err ? 1 : ret;
}

int record__report(const struct record_opts *o, const struct record_result *res, int ret)
{
	if (!res->ran) {
		if (res->err[0])
			fprintf(stderr, PFX "%s\n", res->err);
		return ret;
	}
	{
		char bytes[32], out[PATH_MAX + 64], lost[128] = "";

		human_bytes(res->bytes, bytes, sizeof(bytes));
		if (res->tapes > 1)
			snprintf(out, sizeof(out), "%s (+%u rotated, %u kept)", o->output,
				 res->tapes - 1, o->keep);
		else
			snprintf(out, sizeof(out), "%s", o->output);
		if (res->write_err)
			fprintf(stderr,
				PFX "%s; recording stopped.  The tape keeps every chunk written "
				    "before the error: read it with 'bpftape replay' or repair it "
				    "with 'bpftape recover'.\n",
				res->write_msg);
		if (res->limit_hit)
			fprintf(stderr, PFX "stopped: --max-size %llu bytes reached\n",
				(unsigned long long)o->max_size);
		if (res->bad_records)
			fprintf(stderr, PFX "warning: %llu malformed records skipped\n",
				(unsigned long long)res->bad_records);
		if (res->has_stacks && (o->verbose || res->stacks_lost))
			fprintf(stderr,
				PFX "stacks: %llu distinct, %llu events without theirs, %llu "
				    "resolved again after reading the other CPUs' rings\n",
				(unsigned long long)res->stacks_distinct,
				(unsigned long long)res->stacks_lost,
				(unsigned long long)res->stacks_caught_up);
		/* what the kernel's memory of sent stacks saved the ring */
		if (res->has_stacks && o->verbose && !o->stack_copy)
			fprintf(stderr,
				PFX "stacks: %llu sent as the hash of one sent before on their "
				    "CPU, %llu of those unknown\n",
				(unsigned long long)res->stacks_referred,
				(unsigned long long)res->stacks_unknown);
		if (res->has_stacks && res->stacks_collisions)
			fprintf(stderr,
				PFX "warning: %llu stack hashes stood for two stacks: some "
				    "events may name another stack's frames\n",
				(unsigned long long)res->stacks_collisions);
		/* how far the copies reach: what --stack-copy is tuned by */
		if (res->has_stacks && o->verbose && o->stack_copy)
			fprintf(stderr,
				PFX "stacks: %llu unwound from their copy, %llu of them "
				    "with a gap\n",
				(unsigned long long)res->stacks_unwound,
				(unsigned long long)res->stacks_gaps);
		if (res->write_err)
			snprintf(lost, sizeof(lost), ", %llu not written (%s)",
				 (unsigned long long)res->unwritten, strerror(-res->write_err));
		fprintf(stderr,
			"bpftape record: %llu events, %llu drops%s, %s written, %.2f s, output "
			"%s\n",
			(unsigned long long)res->events, (unsigned long long)res->drops, lost,
			bytes, res->seconds, out);
	}
	if (o->verbose) {
		fprintf(stderr,
			PFX "recorder CPU %.3f s user+sys; %.3f s after the start (programs "
			    "loaded, /proc read): %.0f%% of one core while recording\n",
			res->cpu_seconds, res->cpu_recording,
			res->seconds > 0 ? 100 * res->cpu_recording / res->seconds : 0);
		/* what each event costs the ring, hence the probes (docs/RECORDING.md) */
		fprintf(stderr, PFX "ring: %llu records, %.1f bytes per record\n",
			(unsigned long long)res->ring_records,
			res->ring_records ? (double)res->ring_bytes / res->ring_records : 0.0);
	}
	if (res->has_maps) {
		const struct maps_stats *mst = &res->maps;

		if (o->verbose)
			fprintf(stderr,
				PFX "mappings: %zu processes, %zu executable mappings, %zu "
				    "binaries held; %llu /proc/PID/maps read\n",
				mst->procs, mst->mappings, mst->binaries,
				(unsigned long long)mst->snapshots);
		if (mst->procs_dropped || mst->mappings_dropped || mst->binaries_dropped)
			fprintf(stderr,
				PFX "warning: mapping limits reached: %llu processes, %llu "
				    "mappings, %llu binaries not tracked (their user frames are "
				    "unknown)\n",
				(unsigned long long)mst->procs_dropped,
				(unsigned long long)mst->mappings_dropped,
				(unsigned long long)mst->binaries_dropped);
	}
	if (res->child_done && WIFSIGNALED(res->child_status))
		fprintf(stderr, PFX "%s was killed by signal %d (%s)\n", o->cmd[0],
			WTERMSIG(res->child_status), strsignal(WTERMSIG(res->child_status)));
	else if (res->child_done && WEXITSTATUS(res->child_status) && ret != 127)
		fprintf(stderr, PFX "%s exited with status %d\n", o->cmd[0],
			WEXITSTATUS(res->child_status));
	if (res->write_err)
		ret = 1;
	return ret;
}

/* Track -p PID and its current descendants. */
static int track_tree(struct recorder *r, uint32_t root)
{
	struct proc_snapshot snap = {};
	int err;

	err = proc_snapshot__read(&snap);
	if (err)
		goto cleanup;
	if (!proc_snapshot__find(&snap, root)) {
		err = -ESRCH;
		goto cleanup;
	}
	for (size_t i = 0; i < snap.n; i++) {
		__u32 pid = snap.procs[i].pid;

		if (proc_snapshot__descends(&snap, pid, root)) {
			err = record_session__track(&r->s, pid, TRACK_ON);
			if (err)
				goto cleanup;
		}
	}
cleanup:
	proc_snapshot__free(&snap);
	return err;
}

/*
 * -p: the TCP sockets the followed processes hold already (a server's
 * listener) get their owner now, as if they had been connected or
 * listened on during the recording (bpf/net.bpf.c); the connections a
 * listener accepts from now on inherit it.  A socket that cannot be
 * borrowed stays unowned, and a filtered recording leaves its state
 * changes out.  Not under --cgroup: the owner's cgroup is not checked
 * here.
 */
static void claim_sockets(struct recorder *r)
{
	struct proc_snapshot snap = {};
	size_t n = 0;

	if (proc_snapshot__read(&snap))
		return;
	for (size_t i = 0; i < snap.n; i++) {
		const struct tape_proc *p = &snap.procs[i];
		struct sock_owner ow = {.pid = p->pid, .tid = p->pid, .want = 1};
		int e;

		if (!proc_wanted(r, p))
			continue;
		if (p->comm)
			memcpy(ow.comm, p->comm, strnlen(p->comm, sizeof(ow.comm) - 1));
		e = families__claim_sockets(r->fam, p->pid, &ow);
		if (e > 0)
			n += e;
	}
	proc_snapshot__free(&snap);
	if (r->o->verbose)
		fprintf(stderr, PFX "%zu TCP socket(s) of the followed processes claimed\n", n);
}

#define fail(res, ...) snprintf((res)->err, sizeof((res)->err), __VA_ARGS__)

int record__run(const struct record_opts *o, struct record_result *res)
{
	struct recorder r = {
		.o = o, .go_fd = -1, .err_fd = -1, .epfd = -1, .cur_ring = -1, .cpu_at_start = -1};
	struct sigaction sa = {};
	char err[1024], why[320], exe[PATH_MAX];
	uint64_t t0, deadline = 0, now;
	bool running, mappings;
	int ret = 1, e;

	memset(res, 0, sizeof(*res));
	record_session__init(&r.s);
	libbpf_set_print(o->verbose ? libbpf_print : libbpf_quiet);

	/* what the kernel would refuse later, said with what to do about it */
	if (preflight__privileges(err, sizeof(err)) || preflight__btf(err, sizeof(err))) {
		fail(res, "%s", err);
		goto cleanup;
	}

	if (strcmp(o->output, "-") && check_output_dir(o->output, err, sizeof(err))) {
		fail(res, "%s", err);
		ret = 2;
		goto cleanup;
	}
	/* what the sink's open would refuse (another recorder writing -o),
	 * refused before any BPF is loaded, by the same rule */
	e = tape_out__check(o->output,
			    &(struct tape_out_opts){.sz = sizeof(struct tape_out_opts),
						    .flags = TAPE_OUT_BINARY},
			    err, sizeof(err));
	if (e) {
		fail(res, "%s", *err ? err : strerror(-e));
		ret = e == -EBUSY ? 1 : 2;
		goto cleanup;
	}
	if (o->cmd && !find_in_path(o->cmd[0], exe, sizeof(exe), why, sizeof(why))) {
		fail(res, "cannot run '%s': %s", o->cmd[0], why);
		ret = 127;
		goto cleanup;
	}
	if (o->cmd) {
		e = run_as__resolve(&r.as, o->user, why, sizeof(why));
		if (e) {
			fail(res, "%s", why);
			ret = 2;
			goto cleanup;
		}
	}
	/* filters, as every skeleton's rodata will see them */
	r.s.self_tgid = getpid();
	r.s.buffer_bytes = o->buffer;
	r.s.wakeup_bytes = o->wakeup ? o->wakeup : o->buffer / 16;
	r.s.verbose = o->verbose;
	if (o->pid > 0 || o->cmd)
		r.s.filter_flags |= FILTER_PIDS;
	if (o->comm) {
		r.s.filter_flags |= FILTER_COMM;
		strncpy(r.s.filter_comm, o->comm, sizeof(r.s.filter_comm) - 1);
	}
	if (o->uid >= 0) {
		r.s.filter_flags |= FILTER_UID;
		r.s.filter_uid = (__u32)o->uid;
	}
	if (o->stacks) {
		r.stacks = stacks__new(o->stack_depth);
		if (!r.stacks) {
			fail(res, "%s", strerror(errno));
			goto cleanup;
		}
		r.s.stack_depth = o->stack_depth;
		r.s.stack_copy = o->stack_copy;
		/* an unpredictable seed: a traced program cannot then build a
		 * stack whose hash is that of another's (bpf/stack.bpf.h) */
		if (getrandom(&r.s.stack_seed, sizeof(r.s.stack_seed), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(r.s.stack_seed))
			r.s.stack_seed = mono_ns() ^ ((uint64_t)getpid() << 32);
	}
	r.ctr = ctr_cache__new();
	if (!r.ctr) {
		fail(res, "%s", strerror(errno));
		goto cleanup;
	}
	r.ids.ctr = r.ctr;
	if (o->cgroup && o->container) {
		fail(res, "--cgroup and --container: give one of them");
		ret = 2;
		goto cleanup;
	}
	if (o->container) {
		char desc[1024] = "";
		uint64_t cgid = 0;

		e = ctr_cache__find(r.ctr, o->container, r.ctr_dir, sizeof(r.ctr_dir),
				    &r.s.filter_cgroup_level, desc, sizeof(desc));
		if (!e)
			e = host__cgroup_id(r.ctr_dir, &cgid);
		if (e == -ENOENT) {
			fail(res,
			     "--container '%s': no running container has this name or id "
			     "(running: %s)",
			     o->container, desc[0] ? desc : "none");
			ret = 2;
			goto cleanup;
		}
		if (e == -ENOTUNIQ) {
			fail(res, "--container '%s': ambiguous, it could be %s", o->container,
			     desc);
			ret = 2;
			goto cleanup;
		}
		if (e == -ENOTSUP) {
			fail(res,
			     "--container '%s': no cgroup2 file system is mounted, and the "
			     "kernel matches containers by their cgroup v2 id",
			     o->container);
			ret = 2;
			goto cleanup;
		}
		if (e) {
			fail(res, "--container '%s': %s", o->container, strerror(-e));
			ret = 2;
			goto cleanup;
		}
		if (o->verbose)
			fprintf(stderr, PFX "--container '%s': %s, cgroup %s (id %llu)\n",
				o->container, desc, r.ctr_dir, (unsigned long long)cgid);
		r.s.filter_cgroup = cgid;
		r.s.filter_flags |= FILTER_CGROUP;
	}
	if (o->cgroup) {
		uint64_t cgid = 0;

		e = host__cgroup_id(o->cgroup, &cgid);
		r.s.filter_cgroup = cgid;
		if (e) {
			fail(res,
			     "--cgroup '%s': %s (give a cgroup v2 directory, absolute or "
			     "relative to the cgroup2 mount)",
			     o->cgroup,
			     e == -EXDEV ? "not a directory of the cgroup2 file system"
					 : strerror(-e));
			ret = 2;
			goto cleanup;
		}
		r.s.filter_flags |= FILTER_CGROUP;
	}

	/* generic probe specs are checked before anything is loaded */
	r.gen = generic__new();
	if (!r.gen) {
		fail(res, "%s", strerror(errno));
		goto cleanup;
	}
	for (size_t i = 0; i < o->nspecs; i++) {
		err[0] = 0;
		e = generic__add(r.gen, o->specs[i], err, sizeof(err));
		if (e) {
			/* the parser says where; the forms are in the help */
			fail(res, "%s%s", *err ? err : strerror(-e),
			     !strncmp(err, "bad probe spec ", 15)
				     ? "; 'bpftape record --help' shows the probe forms"
				     : "");
			ret = 2;
			goto cleanup;
		}
	}

	if (o->stacks && select_stacks(&r, why, sizeof(why))) {
		fail(res, "%s", why);
		ret = 2;
		goto cleanup;
	}

	/* after the specs: theirs name tracefs themselves where they need it */
	if (families__need_tracefs(o->want, r.s.filter_flags) && !generic__tracefs()) {
		generic__tracefs_why(errno, why, sizeof(why));
		fail(res,
		     "%s (without a file event, exec and connect/accept/bind results come "
		     "from syscall tracepoints; adding -e file avoids them)",
		     why);
		goto cleanup;
	}

	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){RLIM_INFINITY, RLIM_INFINITY});
	e = record_session__create_maps(&r.s);
	if (e) {
		fail(res, "creating the BPF maps: %s%s", strerror(-e),
		     e == -EPERM    ? "; run it as root (a kernel in lockdown refuses BPF even so)"
		     : e == -ENOMEM ? "; give a smaller --buffer"
				    : "");
		goto cleanup;
	}
	r.ncpus = libbpf_num_possible_cpus();
	r.drop_vals = calloc(r.ncpus > 0 ? r.ncpus : 1, sizeof(*r.drop_vals));
	r.seen = calloc(r.ncpus > 0 ? r.ncpus : 1, sizeof(*r.seen));
	if (r.ncpus <= 0 || !r.drop_vals || !r.seen) {
		fail(res, "counting CPUs: %s", strerror(ENOMEM));
		goto cleanup;
	}

	if (o->pid > 0) {
		e = track_tree(&r, (uint32_t)o->pid);
		if (e) {
			fail(res, "-p %ld: %s", o->pid,
			     e == -ESRCH ? "no such process; 'ps -e' lists the running ones"
					 : strerror(-e));
			goto cleanup;
		}
	}

	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);

	if (o->cmd) {
		__u32 pid;

		e = spawn_stopped(&r, exe, o->cmd);
		if (e) {
			fail(res, "starting '%s': %s", o->cmd[0], strerror(-e));
			goto cleanup;
		}
		pid = r.child;
		/* followed from its exec on */
		e = record_session__track(&r.s, pid, TRACK_EXEC);
		if (e) {
			fail(res, "tracking pid %u: %s", pid, strerror(-e));
			goto cleanup;
		}
	}

	err[0] = 0;
	/* the mappings of user stacks: with -g (or, for tests of the
	 * mappings alone, BPFTAPE_RECORD_MAPPINGS=1) the tape gets mapping
	 * blocks */
	mappings = o->stacks || getenv("BPFTAPE_RECORD_MAPPINGS");
	r.fam = families__attach(&r.s, o->want, mappings, err, sizeof(err));
	if (!r.fam) {
		fail(res, "%s", *err ? err : strerror(errno));
		goto cleanup;
	}
	err[0] = 0;
	e = generic__attach(r.gen, &r.s, err, sizeof(err));
	if (e) {
		fail(res, "%s", *err ? err : strerror(-e));
		goto cleanup;
	}
	if (mappings) {
		err[0] = 0;
		r.mr = maps_rec__attach(&r.s, !families__mmap_exits(r.fam), err, sizeof(err));
		if (!r.mr) {
			fail(res, "%s", *err ? err : strerror(errno));
			goto cleanup;
		}
		if (r.stacks)
			stacks__set_maps(r.stacks, maps_rec__maps(r.mr));
	}
	if (o->pid > 0 && (o->want[FAMILY_NET] & WANT_TCP_STATE) &&
	    !(r.s.filter_flags & FILTER_CGROUP))
		claim_sockets(&r);
	/* with every program loaded (so that their frames are named and cut
	 * off) and before the recording starts: a stall of the consumer at
	 * the first kernel frame cost a storm's events (stacks__load_kernel()) */
	if (r.stacks && r.s.stack_kernel_kinds) {
		int kerr = stacks__load_kernel(r.stacks);

		if (kerr == -ENODATA)
			fprintf(stderr,
				PFX "warning: kernel frames will be [unknown]: /proc/kallsyms "
				    "gives no addresses (kernel.kptr_restrict)\n");
		else if (kerr)
			fprintf(stderr,
				PFX
				"warning: kernel frames will be [unknown]: /proc/kallsyms: %s\n",
				strerror(-kerr));
	}
	/* one consumer for every CPU's ring: the writer puts each chunk's
	 * events in time order, readers merge chunks that overlap in time */
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	r.rbs = calloc(r.s.nrings, sizeof(*r.rbs));
	e = r.epfd < 0 || !r.rbs ? -errno : 0;
	for (int i = 0; !e && i < r.s.nrings; i++) {
		/* edge-triggered: woken when a ring crosses --wakeup, not for
		 * as long as it holds anything, so that in a storm the reader
		 * takes the records in batches instead of chasing the producer */
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i};

		r.rbs[i] = ringrd__new(r.s.ring_fds[i], r.s.wakeup_bytes, handle_one, &r);
		if (!r.rbs[i])
			e = -errno;
		else if (epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.s.ring_fds[i], &ev))
			e = -errno;
		r.nrbs += r.rbs[i] != NULL;
	}
	if (!e && r.stacks && r.mr)
		stacks__set_catch_up(r.stacks, catch_up, &r);
	if (e) {
		fail(res, "opening the ring buffers: %s", strerror(-e));
		goto cleanup;
	}

	e = record_meta__collect(&r.meta, o->cmdline_argc, o->cmdline_argv);
	if (!e) {
		char filt[256];
		int n = 0;

		filt[0] = 0;
		if (o->pid > 0)
			n += snprintf(filt + n, sizeof(filt) - n, "pid=%ld+children ", o->pid);
		if (o->cmd)
			n += snprintf(filt + n, sizeof(filt) - n, "cmd=%s ", o->cmd[0]);
		if (o->comm)
			n += snprintf(filt + n, sizeof(filt) - n, "comm=%s ", o->comm);
		if (o->cgroup)
			n += snprintf(filt + n, sizeof(filt) - n, "cgroup=%s ", o->cgroup);
		if (o->container)
			n += snprintf(filt + n, sizeof(filt) - n, "container=%s ", o->container);
		if (o->uid >= 0)
			n += snprintf(filt + n, sizeof(filt) - n, "uid=%ld ", o->uid);
		if (n)
			filt[n - 1] = 0;
		e = record_meta__add(&r.meta, "record.filter", "%s", filt);
	}
	if (!e && r.as.drop)
		e = record_meta__add(&r.meta, "record.cmd_user", "%u:%u", (unsigned)r.as.uid,
				     (unsigned)r.as.gid);
	if (e) {
		fail(res, "collecting host metadata: %s", strerror(-e));
		goto cleanup;
	}
	/* every probe is attached and record.start_ts taken: from here on the
	 * tape is complete, and nothing before it gets in */
	e = record_session__open_gate(&r.s);
	if (e) {
		fail(res, "starting the probes: %s", strerror(-e));
		goto cleanup;
	}
	{
		uint64_t chunk = 0;
		uint64_t lim = o->max_size;
		struct sink_opts so = {.path = o->output,
				       .rotate_bytes = o->rotate_size,
				       .keep = o->rotate_size ? o->keep : 1,
				       .start = tape_start,
				       .ctx = &r};
		uint64_t poll_ns;

		/*
		 * An event waits for at most one poll in the ring buffer, then
		 * in the writer until it cuts the chunk, which the next poll
		 * notices: the writer's bound leaves room for two polls.
		 */
		r.poll_ms = (int)(o->flush_ns / 10 / 1000000);
		r.poll_ms = r.poll_ms < 1 ? 1 : r.poll_ms > POLL_MAX_MS ? POLL_MAX_MS : r.poll_ms;
		poll_ns = (uint64_t)r.poll_ms * 1000000;
		so.max_delay_ns = o->flush_ns > 2 * poll_ns ? o->flush_ns - 2 * poll_ns : 1;

		/* small limits want small chunks: a file grows a chunk at a time */
		if (o->rotate_size && (!lim || o->rotate_size < lim))
			lim = o->rotate_size;
		if (lim && lim / 4 < (1u << 20))
			chunk = lim / 4 < (16u << 10) ? (16u << 10) : lim / 4;
		so.chunk_bytes = chunk;
		err[0] = 0;
		r.sink = sink__open(&so, err, sizeof(err));
		if (!r.sink) {
			fail(res, "%s", *err ? err : strerror(errno));
			goto cleanup;
		}
		/* the programs loaded, the snapshot of /proc taken (tape_start()) */
		r.cpu_at_start = cpu_seconds();
	}

	t0 = mono_ns();
	if (o->duration_ns)
		deadline = t0 + o->duration_ns;
	if (o->verbose) {
		const struct record_builtin *b;
		size_t nb;

		fprintf(stderr,
			PFX "recording to %s (%d rings of %llu bytes, one per online CPU, %d of "
			    "a page for offline ones; wakeup every %llu bytes)\n",
			o->output, r.s.nonline, (unsigned long long)o->buffer,
			r.s.nrings - r.s.nonline, (unsigned long long)r.s.wakeup_bytes);
		fprintf(stderr, PFX "built-in events:");
		b = builtin__table(&nb);
		for (size_t i = 0; i < nb; i++)
			if (o->want[b[i].family] & b[i].want)
				fprintf(stderr, " %s", b[i].name);
		fprintf(stderr, "; generic probes: %zu; filters: 0x%x\n", generic__count(r.gen),
			r.s.filter_flags);
	}
	ret = 0;
	/* if CMD cannot start there is nothing to record: straight to finishing */
	running = !(r.child && release_child(&r, &ret));
	while (running && !stop_signal && !r.write_err && !r.limit_hit && !r.rb_failed) {
		recorder__step(&r);
		if (r.child && child_signal) {
			child_signal = 0;
			if (child_gone(&r))
				break;
		}
		if (o->pid > 0) {
			__u32 key;

			/* the proc family forgets each followed process as it exits */
			if (bpf_map_get_next_key(r.s.tracked_fd, NULL, &key) && errno == ENOENT) {
				fprintf(stderr, PFX "process %ld and its descendants have exited\n",
					o->pid);
				break;
			}
		}
		now = mono_ns();
		if (deadline && now >= deadline)
			break;
	}

	if (r.child)
		stop_child(&r);
	ret = recorder__finish(&r, t0, ret, res);

cleanup:
	if (r.go_fd >= 0)
		close(r.go_fd); /* a child still waiting gives up */
	if (r.err_fd >= 0)
		close(r.err_fd);
	if (r.child && !r.child_done && ret != 0 && !r.sink)
		waitpid(r.child, NULL, 0);
	for (int i = 0; i < r.nrbs; i++)
		ringrd__free(r.rbs[i]);
	free(r.rbs);
	if (r.epfd >= 0)
		close(r.epfd);
	stacks__free(r.stacks);
	generic__free(r.gen);
	families__free(r.fam);
	maps_rec__free(r.mr);
	sink__free(r.sink);
	record_session__free(&r.s);
	record_meta__free(&r.meta);
	ctr_cache__free(r.ctr);
	free(r.drop_vals);
	free(r.seen);
	free(r.as.groups);
	return ret;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	struct record_result res;
	char err[1024] = "";
	int e, ret;

	e = record_opts__parse(&o, argc, argv, err, sizeof(err));
	if (e) {
		if (err[0])
			fprintf(stderr, PFX "%s\n", err);
		ret = 2;
	} else if (o.help) {
		usage(stdout);
		ret = 0;
	} else {
		/* the tape records the command line as typed: "bpftape record ..." */
		o.cmdline_argc = argc + 1;
		o.cmdline_argv = argv - 1;
		ret = record__report(&o, &res, record__run(&o, &res));
	}
	record_opts__free(&o);
	return ret;
}
