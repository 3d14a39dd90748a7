// SPDX-License-Identifier: MIT
/* Built-in event schema (docs/EVENTS.md) and kernel record translation. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "builtin.h"
#include "../bpf/events.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ENUM(var, ename, vals, nms)                                                                \
	_Static_assert(ARRAY_SIZE(vals) == ARRAY_SIZE(nms), #var " table sizes");                  \
	static const struct tape_enum var = {ename, ARRAY_SIZE(vals), vals, nms}

/* ---- enums ---------------------------------------------------------------- */

static const uint64_t open_syscall_v[] = {REC_OPEN_OPEN, REC_OPEN_OPENAT, REC_OPEN_OPENAT2,
					  REC_OPEN_CREAT};
static const char *const open_syscall_n[] = {"open", "openat", "openat2", "creat"};
ENUM(open_syscall_enum, "open_syscall", open_syscall_v, open_syscall_n);

/* The access mode is a 2-bit field with O_RDONLY == 0: readers print a value
 * with none of these bits as plain 0 (O_RDONLY). */
static const uint64_t open_flags_v[] = {
	O_WRONLY,
	O_RDWR,
	O_CREAT,
	O_EXCL,
	O_NOCTTY,
	O_TRUNC,
	O_APPEND,
	O_NONBLOCK,
	O_DSYNC,
	FASYNC,
	O_DIRECT,
	0100000 /* __O_LARGEFILE: 0 in 64-bit libc */,
	O_DIRECTORY,
	O_NOFOLLOW,
	O_NOATIME,
	O_CLOEXEC,
	O_SYNC & ~O_DSYNC,
	O_PATH,
	O_TMPFILE & ~O_DIRECTORY,
};
static const char *const open_flags_n[] = {
	"O_WRONLY",  "O_RDWR",	    "O_CREAT",	   "O_EXCL",	 "O_NOCTTY",
	"O_TRUNC",   "O_APPEND",    "O_NONBLOCK",  "O_DSYNC",	 "O_ASYNC",
	"O_DIRECT",  "O_LARGEFILE", "O_DIRECTORY", "O_NOFOLLOW", "O_NOATIME",
	"O_CLOEXEC", "O_SYNC",	    "O_PATH",	   "O_TMPFILE",
};
ENUM(open_flags_enum, "open_flags", open_flags_v, open_flags_n);

static const uint64_t at_flags_v[] = {0x200 /* AT_REMOVEDIR */};
static const char *const at_flags_n[] = {"AT_REMOVEDIR"};
ENUM(unlink_flags_enum, "unlink_flags", at_flags_v, at_flags_n);

static const uint64_t exec_trunc_v[] = {REC_EXEC_TRUNC_ARGV, REC_EXEC_TRUNC_FILENAME};
static const char *const exec_trunc_n[] = {"argv", "filename"};
ENUM(exec_trunc_enum, "exec_truncated", exec_trunc_v, exec_trunc_n);

static const uint64_t rename_flags_v[] = {1, 2, 4};
static const char *const rename_flags_n[] = {"RENAME_NOREPLACE", "RENAME_EXCHANGE",
					     "RENAME_WHITEOUT"};
ENUM(rename_flags_enum, "rename_flags", rename_flags_v, rename_flags_n);

static const uint64_t link_flags_v[] = {0x400, 0x1000};
static const char *const link_flags_n[] = {"AT_SYMLINK_FOLLOW", "AT_EMPTY_PATH"};
ENUM(link_flags_enum, "link_flags", link_flags_v, link_flags_n);

static const uint64_t signal_v[] = {1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15, 16,
				    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const char *const signal_n[] = {
	"SIGHUP",  "SIGINT",	"SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",	"SIGFPE",
	"SIGKILL", "SIGUSR1",	"SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
	"SIGCHLD", "SIGCONT",	"SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",	"SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",	  "SIGPWR",  "SIGSYS",
};
ENUM(signal_enum, "signal", signal_v, signal_n);

static const uint64_t sigres_v[] = {REC_SIG_DELIVERED, REC_SIG_IGNORED, REC_SIG_ALREADY_PENDING,
				    REC_SIG_OVERFLOW_FAIL, REC_SIG_LOSE_INFO};
static const char *const sigres_n[] = {"delivered", "ignored", "already_pending", "overflow_fail",
				       "lose_info"};
ENUM(signal_result_enum, "signal_result", sigres_v, sigres_n);

static const uint64_t tcp_state_v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const char *const tcp_state_n[] = {
	"ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	"CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",   "NEW_SYN_RECV",
};
ENUM(tcp_state_enum, "tcp_state", tcp_state_v, tcp_state_n);

/* prev_state of sched_switch: the raw task state bits (0 is running) */
static const uint64_t task_state_v[] = {0x1,   0x2,   0x4,   0x8,   0x10,   0x20,   0x40,  0x80,
					0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x8000};
static const char *const task_state_n[] = {
	"S",	    "D",      "T",	"t",   "X",	      "Z",	   "P",	     "I",
	"WAKEKILL", "WAKING", "NOLOAD", "NEW", "RTLOCK_WAIT", "FREEZABLE", "FROZEN",
};
ENUM(task_state_enum, "task_state", task_state_v, task_state_n);

/* Syscall names of the machine the recorder is built for. */
struct nr_name {
	uint64_t nr;
	const char *name;
};
static const struct nr_name syscall_table[] = {
#include "syscall_names.h"
};
static uint64_t syscall_v[ARRAY_SIZE(syscall_table)];
static const char *syscall_n[ARRAY_SIZE(syscall_table)];
static struct tape_enum syscall_enum = {"syscall", ARRAY_SIZE(syscall_table), syscall_v, syscall_n};

static void syscall_enum_init(void)
{
	if (syscall_n[0])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(syscall_table); i++) {
		syscall_v[i] = syscall_table[i].nr;
		syscall_n[i] = syscall_table[i].name;
	}
}

/* ---- types ---------------------------------------------------------------- */

#define F(n, k)                                                                                    \
	{                                                                                          \
		.name = n, .kind = TAPE_##k                                                        \
	}
#define FD(n, k, d)                                                                                \
	{                                                                                          \
		.name = n, .kind = TAPE_##k, .display = TAPE_DISP_##d                              \
	}
#define FE(n, k, d, e)                                                                             \
	{                                                                                          \
		.name = n, .kind = TAPE_##k, .display = TAPE_DISP_##d, .enumeration = &e           \
	}
#define TYPE(var, tname, src, flds)                                                                \
	static const struct tape_type var = {.name = tname,                                        \
					     .source = src,                                        \
					     .format = "",                                         \
					     .nfields = ARRAY_SIZE(flds),                          \
					     .fields = flds}

static const struct tape_field fork_f[] = {F("parent_pid", U32), F("child_pid", U32),
					   F("child_tid", U32)};
TYPE(fork_t, "fork", "tp_btf:sched_process_fork", fork_f);

static const struct tape_field exec_f[] = {
	F("filename", STR),
	FD("argv", BYTES, ARGV),
	FD("ret", S32, ERRNO),
	FE("truncated", U8, FLAGS, exec_trunc_enum),
	F("cgroup", STR),
	F("container", STR),
	F("container_name", STR),
	F("runtime", STR),
	F("pod", STR),
};
TYPE(exec_t, "exec", "tp_btf:sched_process_exec,sys_exit(execve,execveat)", exec_f);

static const struct tape_field exit_f[] = {F("code", S32), FE("signal", S32, ENUM, signal_enum)};
TYPE(exit_t, "exit", "tp_btf:sched_process_exit", exit_f);

static const struct tape_field open_f[] = {
	FE("syscall", U16, ENUM, open_syscall_enum), F("dfd", S32),	     F("path", STR),
	FE("flags", U32, FLAGS, open_flags_enum),    FD("mode", U32, OCTAL), FD("ret", S32, ERRNO),
};
TYPE(open_t, "open", "sys_exit(open,openat,openat2,creat)", open_f);

static const struct tape_field close_f[] = {F("fd", S32), FD("ret", S32, ERRNO)};
TYPE(close_t, "close", "sys_exit(close)", close_f);

static const struct tape_field unlink_f[] = {F("dfd", S32), F("path", STR),
					     FE("flags", U32, FLAGS, unlink_flags_enum),
					     FD("ret", S32, ERRNO)};
TYPE(unlink_t, "unlink", "sys_exit(unlink,unlinkat,rmdir)", unlink_f);

static const struct tape_field rename_f[] = {
	F("olddfd", S32),
	F("oldpath", STR),
	F("newdfd", S32),
	F("newpath", STR),
	FE("flags", U32, FLAGS, rename_flags_enum),
	FD("ret", S32, ERRNO),
};
TYPE(rename_t, "rename", "sys_exit(rename,renameat,renameat2)", rename_f);

static const struct tape_field mkdir_f[] = {F("dfd", S32), F("path", STR), FD("mode", U32, OCTAL),
					    FD("ret", S32, ERRNO)};
TYPE(mkdir_t, "mkdir", "sys_exit(mkdir,mkdirat)", mkdir_f);

/* mode holds the file type too (S_IFIFO, S_IFCHR, ...): octal shows it */
static const struct tape_field mknod_f[] = {F("dfd", S32), F("path", STR), FD("mode", U32, OCTAL),
					    FD("dev", U32, HEX), FD("ret", S32, ERRNO)};
TYPE(mknod_t, "mknod", "sys_exit(mknod,mknodat)", mknod_f);

static const struct tape_field link_f[] = {
	F("olddfd", S32),
	F("oldpath", STR),
	F("newdfd", S32),
	F("newpath", STR),
	FE("flags", U32, FLAGS, link_flags_enum),
	FD("ret", S32, ERRNO),
};
TYPE(link_t, "link", "sys_exit(link,linkat)", link_f);

/* the target is stored as given, not resolved against any directory */
static const struct tape_field symlink_f[] = {F("target", STR), F("newdfd", S32),
					      F("linkpath", STR), FD("ret", S32, ERRNO)};
TYPE(symlink_t, "symlink", "sys_exit(symlink,symlinkat)", symlink_f);

static const struct tape_field rw_f[] = {F("fd", S32), F("count", U64), FD("ret", S64, ERRNO)};
TYPE(read_t, "read", "sys_exit(read)", rw_f);
TYPE(write_t, "write", "sys_exit(write)", rw_f);

static const struct tape_field sock_f[] = {F("fd", S32), FD("addr", BYTES, SOCKADDR),
					   FD("ret", S32, ERRNO)};
TYPE(connect_t, "connect", "sys_exit(connect)", sock_f);
TYPE(accept_t, "accept", "sys_exit(accept,accept4)", sock_f);
TYPE(bind_t, "bind", "sys_exit(bind)", sock_f);

static const struct tape_field tcp_f[] = {
	FE("oldstate", U8, ENUM, tcp_state_enum),
	FE("newstate", U8, ENUM, tcp_state_enum),
	FD("saddr", BYTES, SOCKADDR),
	FD("daddr", BYTES, SOCKADDR),
};
TYPE(tcp_state_t, "tcp_state", "tp_btf:inet_sock_set_state", tcp_f);

static const struct tape_field syscall_f[] = {
	FE("nr", U32, ENUM, syscall_enum),
	FD("arg0", U64, HEX),
	FD("arg1", U64, HEX),
	FD("arg2", U64, HEX),
	FD("arg3", U64, HEX),
	FD("arg4", U64, HEX),
	FD("arg5", U64, HEX),
	FD("ret", S64, ERRNO),
	FD("latency", U64, NSEC),
};
TYPE(syscall_t, "syscall", "tp_btf:sys_enter,sys_exit", syscall_f);

static const struct tape_field switch_f[] = {
	F("prev_pid", U32), F("prev_comm", STR), FE("prev_state", U64, FLAGS, task_state_enum),
	F("next_pid", U32), F("next_comm", STR),
};
TYPE(switch_t, "sched_switch", "tp_btf:sched_switch", switch_f);

static const struct tape_field signal_f[] = {
	FE("sig", S32, ENUM, signal_enum),
	F("target_pid", U32),
	F("code", S32),
	FE("ret", S32, ENUM, signal_result_enum),
};
TYPE(signal_t, "signal", "tp_btf:signal_generate", signal_f);

static const struct record_builtin builtins[] = {
	{"fork", "proc", FAMILY_PROC, WANT_FORK, REC_FORK, &fork_t},
	{"exec", "proc", FAMILY_PROC, WANT_EXEC, REC_EXEC, &exec_t},
	{"exit", "proc", FAMILY_PROC, WANT_EXIT, REC_EXIT, &exit_t},
	{"open", "file", FAMILY_FILE, WANT_OPEN, REC_OPEN, &open_t},
	{"close", "file", FAMILY_FILE, WANT_CLOSE, REC_CLOSE, &close_t},
	{"unlink", "file", FAMILY_FILE, WANT_UNLINK, REC_UNLINK, &unlink_t},
	{"rename", "file", FAMILY_FILE, WANT_RENAME, REC_RENAME, &rename_t},
	{"mkdir", "file", FAMILY_FILE, WANT_MKDIR, REC_MKDIR, &mkdir_t},
	{"mknod", "file", FAMILY_FILE, WANT_MKNOD, REC_MKNOD, &mknod_t},
	{"link", "file", FAMILY_FILE, WANT_LINK, REC_LINK, &link_t},
	{"symlink", "file", FAMILY_FILE, WANT_SYMLINK, REC_SYMLINK, &symlink_t},
	{"read", "file", FAMILY_FILE, WANT_READ, REC_READ, &read_t},
	{"write", "file", FAMILY_FILE, WANT_WRITE, REC_WRITE, &write_t},
	{"connect", "net", FAMILY_NET, WANT_CONNECT, REC_CONNECT, &connect_t},
	{"accept", "net", FAMILY_NET, WANT_ACCEPT, REC_ACCEPT, &accept_t},
	{"bind", "net", FAMILY_NET, WANT_BIND, REC_BIND, &bind_t},
	{"tcp_state", "net", FAMILY_NET, WANT_TCP_STATE, REC_TCP_STATE, &tcp_state_t},
	{"syscall", "syscall", FAMILY_SYSCALL, WANT_SYSCALL, REC_SYSCALL, &syscall_t},
	{"sched_switch", "sched", FAMILY_SCHED, WANT_SCHED_SWITCH, REC_SCHED_SWITCH, &switch_t},
	{"signal", "signal", FAMILY_SCHED, WANT_SIGNAL, REC_SIGNAL, &signal_t},
};
_Static_assert(REC_KIND_MAX <= 32, "builtin_ids too small");

const struct record_builtin *builtin__table(size_t *n)
{
	syscall_enum_init();
	*n = ARRAY_SIZE(builtins);
	return builtins;
}

const char *record_family__name(enum record_family f)
{
	static const char *const names[FAMILY_MAX] = {"proc", "file", "net", "syscall", "sched"};

	return f < FAMILY_MAX ? names[f] : "?";
}

int builtin__select(const char *word, uint32_t want[FAMILY_MAX])
{
	bool all = !strcmp(word, "all");
	bool found = false;

	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		const struct record_builtin *b = &builtins[i];

		if (all || !strcmp(word, b->name) || !strcmp(word, b->group)) {
			want[b->family] |= b->want;
			found = true;
		}
	}
	return found ? 0 : -ENOENT;
}

int builtin__add_types(struct tape_writer *w, const uint32_t want[FAMILY_MAX],
		       struct builtin_ids *ids)
{
	syscall_enum_init();
	memset(ids->id, 0, sizeof(ids->id));
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		const struct record_builtin *b = &builtins[i];
		int id;

		if (!(want[b->family] & b->want))
			continue;
		id = tape_writer__add_type(w, b->type);
		if (id < 0)
			return id;
		ids->id[b->kind] = id;
	}
	return 0;
}

/* ---- translation ---------------------------------------------------------- */

static inline void set_bytes(union tape_value *v, const void *p, uint32_t len)
{
	v->b.ptr = p;
	v->b.len = len;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

#define NEED(type)                                                                                 \
	do {                                                                                       \
		if (size < sizeof(type))                                                           \
			return -EBADMSG;                                                           \
	} while (0)

/* the cgroup and container an exec ran in: the snapshot knew the
 * processes before, an exec is where a process enters a new container */
static void set_exec_container(const struct builtin_ids *ids, const struct rec_exec *r,
			       union tape_value *v)
{
	struct ctr_info ci = {"", "", "", ""};
	const char *cg = "";

	if (!ids->ctr || ctr_cache__by_id(ids->ctr, r->cgroup_id, r->hdr.pid, &cg, &ci))
		cg = "";
	else if (!ci.id[0] && ctr_cache__v1(ids->ctr, r->hdr.pid, &ci) == -ESRCH)
		/* on a hybrid host a v2 path without a container is no proof of
		 * none, and the process left before its v1 cgroups were read:
		 * "" says the container is unknown, and readers keep the one
		 * the process had (from its parent) */
		cg = "";
	set_bytes(&v[0], cg, strlen(cg));
	set_bytes(&v[1], ci.id, strlen(ci.id));
	set_bytes(&v[2], ci.name, strlen(ci.name));
	set_bytes(&v[3], ci.runtime, strlen(ci.runtime));
	set_bytes(&v[4], ci.pod, strlen(ci.pod));
}

/* Single-path records end with their path's used bytes (bpf/file.bpf.c). */
#define NEED_PATH(r)                                                                               \
	do {                                                                                       \
		if (size < offsetof(__typeof__(*(r)), path) ||                                     \
		    (r)->path_len > size - offsetof(__typeof__(*(r)), path) ||                     \
		    (r)->path_len > REC_PATH_MAX)                                                  \
			return -EBADMSG;                                                           \
	} while (0)

int builtin__emit(const struct builtin_ids *ids, struct tape_writer *w, const void *data,
		  size_t size, uint32_t stack_id)
{
	const struct rec_hdr *h = data;
	union tape_value v[TAPE_MAX_FIELDS > 10 ? 10 : TAPE_MAX_FIELDS];
	struct tape_event ev;
	unsigned kind = h->kind & ~REC_F_STACK;

	if (size < sizeof(*h) || kind >= 32)
		return -EBADMSG;
	if (!ids->id[kind])
		return 0;
	ev = (struct tape_event){
		.ts = h->ts,
		.pid = h->pid,
		.tid = h->tid,
		.cpu = h->cpu,
		.type = ids->id[kind],
		.comm = h->comm,
		.values = v,
		.stack_id = stack_id,
	};
	ev.comm_len = strnlen(h->comm, REC_COMM_LEN);

	switch (kind) {
	case REC_FORK: {
		const struct rec_fork *r = data;

		NEED(*r);
		v[0].u = r->parent_pid;
		v[1].u = r->child_pid;
		v[2].u = r->child_tid;
		break;
	}
	case REC_EXEC: {
		const struct rec_exec *r = data;
		size_t room = size - offsetof(struct rec_exec, data);

		if (size < offsetof(struct rec_exec, data) ||
		    (size_t)r->filename_len + r->argv_len > room)
			return -EBADMSG;
		set_bytes(&v[0], r->data, r->filename_len);
		set_bytes(&v[1], r->data + r->filename_len, r->argv_len);
		v[2].s = r->ret;
		v[3].u = r->truncated;
		set_exec_container(ids, r, v + 4);
		break;
	}
	case REC_EXIT: {
		const struct rec_exit *r = data;

		NEED(*r);
		v[0].s = r->code;
		v[1].s = r->signal;
		break;
	}
	case REC_OPEN: {
		const struct rec_open *r = data;

		NEED_PATH(r);
		v[0].u = r->syscall;
		v[1].s = r->dfd;
		set_bytes(&v[2], r->path, r->path_len);
		v[3].u = r->flags;
		v[4].u = r->mode;
		v[5].s = r->ret;
		break;
	}
	case REC_CLOSE: {
		const struct rec_close *r = data;

		NEED(*r);
		v[0].s = r->fd;
		v[1].s = r->ret;
		break;
	}
	case REC_UNLINK: {
		const struct rec_unlink *r = data;

		NEED_PATH(r);
		v[0].s = r->dfd;
		set_bytes(&v[1], r->path, r->path_len);
		v[2].u = r->flags;
		v[3].s = r->ret;
		break;
	}
	case REC_RENAME:
	case REC_LINK: { /* the same record and fields */
		const struct rec_rename *r = data;

		NEED(*r);
		v[0].s = r->olddfd;
		set_bytes(&v[1], r->data, min_u32(r->oldpath_len, REC_PATH_MAX));
		v[2].s = r->newdfd;
		set_bytes(&v[3], r->data + REC_PATH_MAX, min_u32(r->newpath_len, REC_PATH_MAX));
		v[4].u = r->flags;
		v[5].s = r->ret;
		break;
	}
	case REC_MKDIR:
	case REC_MKNOD: {
		const struct rec_mknod *r = data;
		int i = 0;

		NEED_PATH(r);
		v[i++].s = r->dfd;
		set_bytes(&v[i++], r->path, r->path_len);
		v[i++].u = r->mode;
		if (kind == REC_MKNOD)
			v[i++].u = r->dev;
		v[i].s = r->ret;
		break;
	}
	case REC_SYMLINK: {
		const struct rec_rename *r = data;

		NEED(*r);
		set_bytes(&v[0], r->data, min_u32(r->oldpath_len, REC_PATH_MAX));
		v[1].s = r->newdfd;
		set_bytes(&v[2], r->data + REC_PATH_MAX, min_u32(r->newpath_len, REC_PATH_MAX));
		v[3].s = r->ret;
		break;
	}
	case REC_READ:
	case REC_WRITE: {
		const struct rec_rw *r = data;

		NEED(*r);
		v[0].s = r->fd;
		v[1].u = r->count;
		v[2].s = r->ret;
		break;
	}
	case REC_CONNECT:
	case REC_ACCEPT:
	case REC_BIND: {
		const struct rec_sock *r = data;

		NEED(*r);
		v[0].s = r->fd;
		set_bytes(&v[1], r->addr, min_u32(r->addr_len, REC_ADDR_MAX));
		v[2].s = r->ret;
		break;
	}
	case REC_TCP_STATE: {
		const struct rec_tcp_state *r = data;

		NEED(*r);
		v[0].u = r->oldstate;
		v[1].u = r->newstate;
		set_bytes(&v[2], r->saddr, min_u32(r->saddr_len, sizeof(r->saddr)));
		set_bytes(&v[3], r->daddr, min_u32(r->daddr_len, sizeof(r->daddr)));
		break;
	}
	case REC_SYSCALL: {
		const struct rec_syscall *r = data;

		NEED(*r);
		v[0].u = r->nr;
		for (int i = 0; i < 6; i++)
			v[1 + i].u = r->args[i];
		v[7].s = r->ret;
		v[8].u = r->latency;
		break;
	}
	case REC_SCHED_SWITCH: {
		const struct rec_sched_switch *r = data;

		NEED(*r);
		v[0].u = r->prev_pid;
		set_bytes(&v[1], r->prev_comm, strnlen(r->prev_comm, REC_COMM_LEN));
		v[2].u = r->prev_state;
		v[3].u = r->next_pid;
		set_bytes(&v[4], r->next_comm, strnlen(r->next_comm, REC_COMM_LEN));
		break;
	}
	case REC_SIGNAL: {
		const struct rec_signal *r = data;

		NEED(*r);
		v[0].s = r->sig;
		v[1].u = r->target_pid;
		v[2].s = r->code;
		v[3].s = r->ret;
		break;
	}
	default:
		return 0;
	}
	return tape_writer__append(w, &ev);
}
