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
	*fl = 0;
	return r;
}

static __always_inline void exec_end(struct rec_exec *r, __u64 fl, __u64 al)
{
	r->filename_len = fl;
	r->argv_len = al;
	tape_output(&r->hdr, BOUND(offsetof(struct rec_exec, data) + fl + al, 2047));
}

#define EXEC_ARGS_MAX 32

/* A failed execve/execveat: the old image is intact, read its arguments. */
static __always_inline void emit_failed_exec(const char *filename, const char *const *argv,
					     long ret)
{
	struct rec_exec *r;
	__u64 off = 0, fl;
	long n;

	r = exec_begin(ret, &fl);
	if (!r)
		return;
	n = bpf_probe_read_user_str(r->data, REC_PATH_MAX, filename);
	fl = BOUND(n > 0 ? n - 1 : 0, REC_PATH_MAX - 1);
	for (int i = 0; i < EXEC_ARGS_MAX && argv; i++) {
		const char *arg = NULL;

		if (off >= REC_ARGV_MAX)
			break;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		n = bpf_probe_read_user_str(r->data + fl + BOUND(off, REC_ARGV_MAX - 1),
					    REC_ARG_MAX, arg);
		if (n <= 0)
			break;
		off += n; /* keeps the NUL as separator */
	}
	if (off > REC_ARGV_MAX)
		off = REC_ARGV_MAX;
	exec_end(r, fl, off ? off - 1 : 0); /* drop the trailing NUL */
}

#endif /* BPFTAPE_EXEC_BPF_H */
