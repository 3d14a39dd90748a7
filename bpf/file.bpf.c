// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * File syscalls, one event per call emitted at syscall exit: arguments come
 * from the saved registers and strings are read once the kernel has copied
 * them (resident), so no per-task entry state is needed.  This is the hot
 * path of the openat storm: one program, no map lookup but the filters.
 * While loaded it also reports failed execs and socket syscalls for the
 * proc and net families, and the executable mappings for user stacks (its
 * `want` then carries their bits, WANT_MMAP for the mappings).
 */
#include "exec.bpf.h"
#include "mmap.bpf.h"
#include "sock.bpf.h"

const volatile __u32 want = WANT_OPEN | WANT_CLOSE | WANT_UNLINK | WANT_RENAME | WANT_READ |
			    WANT_WRITE | WANT_MKDIR | WANT_MKNOD | WANT_LINK | WANT_SYMLINK;

#define AT_FDCWD     -100
#define AT_REMOVEDIR 0x200
/* creat(2) is open(2) with these flags (the same on every architecture) */
#define CREAT_FLAGS (01 /* O_WRONLY */ | 0100 /* O_CREAT */ | 01000 /* O_TRUNC */)

/* struct open_how from <linux/openat2.h>, read from user memory. */
struct open_how_user {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

/*
 * Single-path records (open, unlink, mkdir, mknod) are built here and
 * copied to the ring at their used size: a path is mostly far shorter than
 * REC_PATH_MAX, and every ring byte is a cache line the producer writes
 * cold (the ring is larger than the caches), which the openat storm showed
 * as the larger part of a record's cost (docs/RECORDING.md).
 */
union path_rec {
	struct rec_open open;
	struct rec_unlink unlink;
	struct rec_mknod mknod;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union path_rec);
} path_scratch SEC(".maps");

static __always_inline union path_rec *path_begin(__u16 kind)
{
	__u32 zero = 0;
	union path_rec *r = bpf_map_lookup_elem(&path_scratch, &zero);

	if (r)
		tape_fill(&r->open.hdr, kind);
	return r;
}

/* Read @path to @dst; *@len its length without NUL.  The record's used
 * size, @off (where the path starts) plus the path, is returned. */
static __always_inline __u64 path_read(__u8 *dst, const char *path, __u16 *len, __u64 off)
{
	long n = bpf_probe_read_user_str(dst, REC_PATH_MAX, path);
	__u64 l = n > 0 ? n - 1 : 0;

	EXEC_CLAMP(l, REC_PATH_MAX - 1);
	*len = l;
	return off + l;
}

static __always_inline void emit_open(__u16 sc, int dfd, const char *path, __u32 flags, __u32 mode,
				      long ret)
{
	union path_rec *u = path_begin(REC_OPEN);
	struct rec_open *r;

	if (!u)
		return;
	r = &u->open;
	r->dfd = dfd;
	r->flags = flags;
	r->mode = mode;
	r->ret = ret;
	r->syscall = sc;
	r->pad = 0;
	tape_output(&r->hdr,
		    path_read(r->path, path, &r->path_len, offsetof(struct rec_open, path)));
}

static __always_inline void emit_unlink(int dfd, const char *path, __u32 flags, long ret)
{
	union path_rec *u = path_begin(REC_UNLINK);
	struct rec_unlink *r;

	if (!u)
		return;
	r = &u->unlink;
	r->dfd = dfd;
	r->flags = flags;
	r->ret = ret;
	r->pad = 0;
	tape_output(&r->hdr,
		    path_read(r->path, path, &r->path_len, offsetof(struct rec_unlink, path)));
}

static __always_inline void emit_mknod(__u16 kind, int dfd, const char *path, __u32 mode, __u32 dev,
				       long ret)
{
	union path_rec *u = path_begin(kind);
	struct rec_mknod *r;

	if (!u)
		return;
	r = &u->mknod;
	r->dfd = dfd;
	r->mode = mode;
	r->dev = dev;
	r->ret = ret;
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	tape_output(&r->hdr,
		    path_read(r->path, path, &r->path_len, offsetof(struct rec_mknod, path)));
}

/* rename, link and symlink: two paths */
static __always_inline void emit_rename(__u16 kind, int olddfd, const char *oldpath, int newdfd,
					const char *newpath, __u32 flags, long ret)
{
	struct rec_rename *r;
	long n;

	r = tape_reserve(sizeof(*r), kind);
	if (!r)
		return;
	r->olddfd = olddfd;
	r->newdfd = newdfd;
	r->flags = flags;
	r->ret = ret;
	r->pad = 0;
	n = bpf_probe_read_user_str(r->data, REC_PATH_MAX, oldpath);
	r->oldpath_len = n > 0 ? n - 1 : 0;
	n = bpf_probe_read_user_str(r->data + REC_PATH_MAX, REC_PATH_MAX, newpath);
	r->newpath_len = n > 0 ? n - 1 : 0;
	tape_submit(r);
}

static __always_inline void emit_rw(__u16 kind, int fd, __u64 count, long ret)
{
	struct rec_rw *r;

	r = tape_reserve(sizeof(*r), kind);
	if (!r)
		return;
	r->fd = fd;
	r->pad = 0;
	r->count = count;
	r->ret = ret;
	tape_submit(r);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(file_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = sys_nr(regs);

	switch (nr) {
#ifdef __NR_open
	case __NR_open:
		if ((want & WANT_OPEN) && tape_want())
			emit_open(REC_OPEN_OPEN, AT_FDCWD, (const char *)sys_arg(regs, 0),
				  sys_arg(regs, 1), sys_arg(regs, 2), ret);
		break;
#endif
	case __NR_openat:
		if ((want & WANT_OPEN) && tape_want())
			emit_open(REC_OPEN_OPENAT, sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				  sys_arg(regs, 2), sys_arg(regs, 3), ret);
		break;
	case __NR_openat2:
		if ((want & WANT_OPEN) && tape_want()) {
			struct open_how_user how = {};

			bpf_probe_read_user(&how, sizeof(how), (void *)sys_arg(regs, 2));
			emit_open(REC_OPEN_OPENAT2, sys_arg(regs, 0),
				  (const char *)sys_arg(regs, 1), how.flags, how.mode, ret);
		}
		break;
	case __NR_close:
		if ((want & WANT_CLOSE) && tape_want()) {
			struct rec_close *r = tape_reserve(sizeof(*r), REC_CLOSE);

			if (r) {
				r->fd = sys_arg(regs, 0);
				r->ret = ret;
				tape_submit(r);
			}
		}
		break;
#ifdef __NR_unlink
	case __NR_unlink:
		if ((want & WANT_UNLINK) && tape_want())
			emit_unlink(AT_FDCWD, (const char *)sys_arg(regs, 0), 0, ret);
		break;
#endif
	case __NR_unlinkat:
		if ((want & WANT_UNLINK) && tape_want())
			emit_unlink(sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				    sys_arg(regs, 2), ret);
		break;
#ifdef __NR_rename
	case __NR_rename:
		if ((want & WANT_RENAME) && tape_want())
			emit_rename(REC_RENAME, AT_FDCWD, (const char *)sys_arg(regs, 0), AT_FDCWD,
				    (const char *)sys_arg(regs, 1), 0, ret);
		break;
#endif
#ifdef __NR_renameat
	case __NR_renameat:
		if ((want & WANT_RENAME) && tape_want())
			emit_rename(REC_RENAME, sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				    sys_arg(regs, 2), (const char *)sys_arg(regs, 3), 0, ret);
		break;
#endif
	case __NR_renameat2:
		if ((want & WANT_RENAME) && tape_want())
			emit_rename(REC_RENAME, sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				    sys_arg(regs, 2), (const char *)sys_arg(regs, 3),
				    sys_arg(regs, 4), ret);
		break;
		/* the rest of the calls that create or remove a name (docs/EVENTS.md) */
#ifdef __NR_creat
	case __NR_creat:
		if ((want & WANT_OPEN) && tape_want())
			emit_open(REC_OPEN_CREAT, AT_FDCWD, (const char *)sys_arg(regs, 0),
				  CREAT_FLAGS, sys_arg(regs, 1), ret);
		break;
#endif
#ifdef __NR_rmdir
	case __NR_rmdir:
		if ((want & WANT_UNLINK) && tape_want())
			emit_unlink(AT_FDCWD, (const char *)sys_arg(regs, 0), AT_REMOVEDIR, ret);
		break;
#endif
#ifdef __NR_mkdir
	case __NR_mkdir:
		if ((want & WANT_MKDIR) && tape_want())
			emit_mknod(REC_MKDIR, AT_FDCWD, (const char *)sys_arg(regs, 0),
				   sys_arg(regs, 1), 0, ret);
		break;
#endif
	case __NR_mkdirat:
		if ((want & WANT_MKDIR) && tape_want())
			emit_mknod(REC_MKDIR, sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				   sys_arg(regs, 2), 0, ret);
		break;
#ifdef __NR_mknod
	case __NR_mknod:
		if ((want & WANT_MKNOD) && tape_want())
			emit_mknod(REC_MKNOD, AT_FDCWD, (const char *)sys_arg(regs, 0),
				   sys_arg(regs, 1), sys_arg(regs, 2), ret);
		break;
#endif
	case __NR_mknodat:
		if ((want & WANT_MKNOD) && tape_want())
			emit_mknod(REC_MKNOD, sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				   sys_arg(regs, 2), sys_arg(regs, 3), ret);
		break;
#ifdef __NR_link
	case __NR_link:
		if ((want & WANT_LINK) && tape_want())
			emit_rename(REC_LINK, AT_FDCWD, (const char *)sys_arg(regs, 0), AT_FDCWD,
				    (const char *)sys_arg(regs, 1), 0, ret);
		break;
#endif
	case __NR_linkat:
		if ((want & WANT_LINK) && tape_want())
			emit_rename(REC_LINK, sys_arg(regs, 0), (const char *)sys_arg(regs, 1),
				    sys_arg(regs, 2), (const char *)sys_arg(regs, 3),
				    sys_arg(regs, 4), ret);
		break;
#ifdef __NR_symlink
	case __NR_symlink:
		if ((want & WANT_SYMLINK) && tape_want())
			emit_rename(REC_SYMLINK, AT_FDCWD, (const char *)sys_arg(regs, 0), AT_FDCWD,
				    (const char *)sys_arg(regs, 1), 0, ret);
		break;
#endif
	case __NR_symlinkat:
		if ((want & WANT_SYMLINK) && tape_want())
			emit_rename(REC_SYMLINK, AT_FDCWD, (const char *)sys_arg(regs, 0),
				    sys_arg(regs, 1), (const char *)sys_arg(regs, 2), 0, ret);
		break;
	case __NR_read:
		if ((want & WANT_READ) && tape_want())
			emit_rw(REC_READ, sys_arg(regs, 0), sys_arg(regs, 2), ret);
		break;
	case __NR_write:
		if ((want & WANT_WRITE) && tape_want())
			emit_rw(REC_WRITE, sys_arg(regs, 0), sys_arg(regs, 2), ret);
		break;
	/* the proc and net families' syscalls, so that they need no syscall
	 * tracepoint while this program is loaded (see exec.bpf.h) */
	case __NR_execve:
		if (ret < 0 && (want & WANT_EXEC) && tape_want_exec())
			emit_failed_exec((const char *)sys_arg(regs, 0),
					 (const char *const *)sys_arg(regs, 1), ret);
		break;
	case __NR_execveat:
		if (ret < 0 && (want & WANT_EXEC) && tape_want_exec())
			emit_failed_exec((const char *)sys_arg(regs, 1),
					 (const char *const *)sys_arg(regs, 2), ret);
		break;
	case __NR_connect:
	case __NR_bind:
	case __NR_accept:
	case __NR_accept4:
		/* one call site: see sock_sys_exit() */
		if ((want & sock_want(nr)) && tape_want())
			sock_sys_exit(regs, nr, ret);
		break;
	case __NR_mmap:
	case __NR_munmap:
	case __NR_mprotect:
	case __NR_pkey_mprotect:
		if (want & WANT_MMAP)
			mmap_sys_exit(regs, nr, ret);
		break;
	}
	return 0;
}
