// SPDX-License-Identifier: MIT
/* Skeleton lifecycle of the built-in families. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "families.h"
#include "proc.skel.h"
#include "file.skel.h"
#include "net.skel.h"
#include "syscall.skel.h"
#include "sched.skel.h"

struct families {
	struct proc_bpf *proc;
	struct file_bpf *file;
	struct net_bpf *net;
	struct syscall_bpf *syscall;
	struct sched_bpf *sched;
};

static const char *hint(int err, const char *family)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return " (needs root or CAP_BPF+CAP_PERFMON; run with -v for the verifier log)";
	case -ENOENT:
	case -ESRCH:
		/* kernel BTF was checked before: a tracepoint or type is missing;
		 * proc cannot be left out, it keeps the process table */
		if (!strcmp(family, "proc"))
			return " (this kernel lacks a tracepoint or type it uses: -v shows "
			       "which in libbpf's log)";
		return " (this kernel lacks a tracepoint or type it uses: -v shows which in "
		       "libbpf's log; leave the family out of -e to record the rest)";
	case -EINVAL:
		return " (this needs a kernel with BTF and tp_btf programs; run with -v for "
		       "libbpf's log)";
	default:
		return " (run with -v for libbpf's log)";
	}
}

/* open -> rodata -> shared maps -> load -> attach, for one skeleton type */
#define FAMILY_UP(name, field, wantbits, tweak)                                                    \
	do {                                                                                       \
		struct name##_bpf *skel = name##_bpf__open();                                      \
		const char *step = "opening";                                                      \
                                                                                                   \
		if (!skel) {                                                                       \
			ret = -errno;                                                              \
			goto fail_##name;                                                          \
		}                                                                                  \
		f->field = skel;                                                                   \
		RECORD_SESSION_SET_RODATA(s, skel);                                                \
		skel->rodata->want = (wantbits);                                                   \
		tweak;                                                                             \
		step = "sharing maps with";                                                        \
		ret = record_session__reuse_maps(s, skel->obj);                                    \
		if (ret)                                                                           \
			goto fail_##name;                                                          \
		step = "loading";                                                                  \
		ret = name##_bpf__load(skel);                                                      \
		if (ret)                                                                           \
			goto fail_##name;                                                          \
		step = "attaching";                                                                \
		ret = name##_bpf__attach(skel);                                                    \
		if (ret)                                                                           \
			goto fail_##name;                                                          \
		break;                                                                             \
		fail_##name                                                                        \
		    : snprintf(err, errlen, "%s the BPF programs of the '%s' family: %s%s", step,  \
			       #name, strerror(-ret), hint(ret, #name));                           \
		goto cleanup;                                                                      \
	} while (0)

/* Mirrors the choice of programs in families__attach(). */
bool families__need_tracefs(const uint32_t want[FAMILY_MAX], uint32_t filter_flags)
{
	if (want[FAMILY_FILE])
		return false; /* tp_btf/sys_exit serves every syscall exit */
	return want[FAMILY_PROC] || (filter_flags & FILTER_PIDS) || want[FAMILY_NET];
}

struct families *families__attach(struct record_session *s, const uint32_t want[FAMILY_MAX],
				  bool mappings, char *err, size_t errlen)
{
	struct families *f = calloc(1, sizeof(*f));
	int ret = 0;

	if (!f)
		return NULL;
	/*
	 * Any syscall tracepoint makes the kernel call perf_syscall_exit() on
	 * every syscall exit.  With the file family's tp_btf/sys_exit program
	 * loaded anyway, it takes over the proc and net families' syscalls
	 * (failed execs, connect/accept/bind) and their tracepoints stay off;
	 * and the mappings syscalls, so that each syscall exit runs one
	 * program (a second costs every exit of the machine its run).
	 */
	bool via_file = want[FAMILY_FILE] != 0;
	uint32_t file_want = want[FAMILY_FILE];

	if (via_file)
		file_want |= (want[FAMILY_PROC] & WANT_EXEC) |
			     (want[FAMILY_NET] & (WANT_CONNECT | WANT_ACCEPT | WANT_BIND)) |
			     (mappings ? WANT_MMAP : 0);
	if (want[FAMILY_PROC] || (s->filter_flags & FILTER_PIDS))
		FAMILY_UP(
			proc, proc, want[FAMILY_PROC], if (via_file) {
				bpf_program__set_autoload(skel->progs.proc_execve_exit, false);
				bpf_program__set_autoload(skel->progs.proc_execveat_exit, false);
			});
	if (want[FAMILY_FILE])
		FAMILY_UP(file, file, file_want, (void)0);
	if (want[FAMILY_NET])
		FAMILY_UP(
			net, net, want[FAMILY_NET], if (via_file) {
				bpf_program__set_autoload(skel->progs.net_connect_exit, false);
				bpf_program__set_autoload(skel->progs.net_bind_exit, false);
				bpf_program__set_autoload(skel->progs.net_accept_exit, false);
				bpf_program__set_autoload(skel->progs.net_accept4_exit, false);
			});
	if (want[FAMILY_SYSCALL])
		FAMILY_UP(syscall, syscall, want[FAMILY_SYSCALL], (void)0);
	if (want[FAMILY_SCHED])
		FAMILY_UP(sched, sched, want[FAMILY_SCHED], (void)0);
	return f;
cleanup:
	families__free(f);
	errno = ret < 0 ? -ret : EINVAL;
	return NULL;
}

bool families__mmap_exits(const struct families *f)
{
	return f && f->file && (f->file->rodata->want & WANT_MMAP);
}

/* Is @fd a TCP socket over IPv4 or IPv6? */
static bool is_tcp(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) || (v != AF_INET && v != AF_INET6))
		return false;
	len = sizeof(v);
	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) && v == IPPROTO_TCP;
}

int families__claim_sockets(struct families *f, int pid, const struct sock_owner *owner)
{
	char dir[64], link[64 + 256], target[64];
	struct dirent *de;
	int map_fd, pidfd, n = 0, err;
	DIR *d;

	if (!f || !f->net)
		return -ENOENT;
	map_fd = bpf_map__fd(f->net->maps.sock_owner);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		err = -errno;
		closedir(d);
		return err;
	}
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t len;
		int dup;

		if (end == de->d_name || *end)
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (strncmp(target, "socket:[", 8))
			continue;
		/* closed meanwhile, or no ptrace rights: that socket stays unowned */
		dup = syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
		if (dup < 0)
			continue;
		if (is_tcp(dup) && !bpf_map_update_elem(map_fd, &dup, owner, BPF_ANY))
			n++;
		close(dup);
	}
	close(pidfd);
	closedir(d);
	return n;
}

void families__free(struct families *f)
{
	if (!f)
		return;
	sched_bpf__destroy(f->sched);
	syscall_bpf__destroy(f->syscall);
	net_bpf__destroy(f->net);
	file_bpf__destroy(f->file);
	proc_bpf__destroy(f->proc);
	free(f);
}
