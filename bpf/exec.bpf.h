/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exec records, shared by the proc family and by the file family's
 * sys_exit program (which reports failed execs when it is loaded, so that
 * no per-syscall tracepoint has to hook every syscall exit).
 */
#ifndef BPFTAPE_EXEC_BPF_H
#define BPFTAPE_EXEC_BPF_H

#include "sys.bpf.h"

/* exec records are built here, then copied to the ring at their used size */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_exec);
} exec_scratch SEC(".maps");

static __always_inline struct rec_exec *exec_begin(long ret, __u64 *fl)
{
	__u32 zero = 0;
	struct rec_exec *r = bpf_map_lookup_elem(&exec_scratch, &zero);

	if (!r)
		return NULL;
	tape_fill(&r->hdr, REC_EXEC);
	r->ret = ret;
	r->filename_len = 0;
	r->argv_len = 0;
	r->truncated = 0;
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	/* runc moves a container's first process into its cgroup before the
	 * exec: the exec is where a new container shows up */
	r->cgroup_id = bpf_get_current_cgroup_id();
	*fl = 0;
	return r;
}

static __always_inline void exec_end(struct rec_exec *r, __u64 fl, __u64 al)
{
	r->filename_len = fl;
	r->argv_len = al;
	tape_output(&r->hdr, BOUND(offsetof(struct rec_exec, data) + fl + al, 4095));
}

/* @v <= @max in the register used afterwards (see BOUND) */
#define EXEC_CLAMP(v, max) asm volatile("if %0 <= %1 goto +1; %0 = %1" : "+r"(v) : "i"(max))

/*
 * The filename length from a read of @n bytes (the helper's return, NUL
 * included) of a string that may be longer: @n == REC_PATH_MAX with no NUL
 * at that place in the source means it was cut.
 */
static __always_inline __u64 exec_filename_len(struct rec_exec *r, long n, const char *src,
					       bool user)
{
	char c = 0;

	if (n >= REC_PATH_MAX) {
		if (user)
			bpf_probe_read_user(&c, 1, src + REC_PATH_MAX - 1);
		else
			bpf_probe_read_kernel(&c, 1, src + REC_PATH_MAX - 1);
		if (c)
			r->truncated |= REC_EXEC_TRUNC_FILENAME;
	}
	return BOUND(n > 0 ? n - 1 : 0, REC_PATH_MAX - 1);
}

struct argv_state {
	struct rec_exec *r;
	const char *const *argv;
	__u64 fl;  /* filename bytes before argv */
	__u64 off; /* argv bytes so far, each argument with its NUL */
};

/*
 * bpf_loop() callback: append argument @i and its NUL.  The joined list is
 * kept up to REC_ARGV_MAX + 1 bytes, the last one being the NUL that the
 * caller drops; anything that does not fit (a longer argument, a further
 * one) marks argv truncated.  Verified once, whatever the argument count.
 */
static long exec_argv_one(__u32 i, void *data)
{
	struct argv_state *st = data;
	struct rec_exec *r = st->r;
	const char *arg = NULL;
	__u64 off = st->off, room, fl = st->fl;
	long n;
	char c = 0;

	if (bpf_probe_read_user(&arg, sizeof(arg), &st->argv[i])) {
		r->truncated |= REC_EXEC_TRUNC_ARGV; /* unreadable: what follows is unknown */
		return 1;
	}
	if (!arg)
		return 1;
	if (off > REC_ARGV_MAX) {
		r->truncated |= REC_EXEC_TRUNC_ARGV; /* full, and one more argument */
		return 1;
	}
	EXEC_CLAMP(off, REC_ARGV_MAX);
	EXEC_CLAMP(fl, REC_PATH_MAX - 1);
	room = REC_ARGV_MAX + 1 - off;
	EXEC_CLAMP(room, REC_ARGV_MAX + 1);
	if (room < 1)
		return 1;
	n = bpf_probe_read_user_str(r->data + fl + off, room, arg);
	if (n <= 0) {
		r->truncated |= REC_EXEC_TRUNC_ARGV;
		return 1;
	}
	/* a full read is a cut argument unless the source ends right there */
	if ((__u64)n >= room && (bpf_probe_read_user(&c, 1, arg + n - 1) || c))
		r->truncated |= REC_EXEC_TRUNC_ARGV;
	st->off = off + n;
	return (r->truncated & REC_EXEC_TRUNC_ARGV) ? 1 : 0;
}

/* A failed execve/execveat: the old image is intact, read its arguments. */
static __always_inline void emit_failed_exec(const char *filename, const char *const *argv,
					     long ret)
{
	struct argv_state st = {};
	struct rec_exec *r;
	__u64 fl, al;
	long n;

	r = exec_begin(ret, &fl);
	if (!r)
		return;
	n = bpf_probe_read_user_str(r->data, REC_PATH_MAX, filename);
	fl = exec_filename_len(r, n, filename, true);
	st.r = r;
	st.argv = argv;
	st.fl = fl;
	/* each argument takes a byte at least: one more turn sees the overflow */
	if (argv)
		bpf_loop(REC_ARGV_MAX + 2, exec_argv_one, &st, 0);
	al = st.off > REC_ARGV_MAX ? REC_ARGV_MAX : (st.off ? st.off - 1 : 0);
	exec_end(r, fl, al);
}

#endif /* BPFTAPE_EXEC_BPF_H */
