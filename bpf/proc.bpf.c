// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process lifecycle: fork, exec (success and failure), exit.  Always loaded:
 * the recorder keeps the process table current from these, and FILTER_PIDS
 * follows descendants by adding every child of a tracked process here.
 */
#include "exec.bpf.h"

const volatile __u32 want = WANT_FORK | WANT_EXEC | WANT_EXIT;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid;
	__u32 cpid = child->tgid;
	struct rec_fork *r;

	/* Track before the want check so that a new process is followed even
	 * when the fork itself is not recorded. */
	if ((filter_flags & FILTER_PIDS) && cpid != ppid) {
		__u8 *t = bpf_map_lookup_elem(&tracked, &ppid);

		if (t && *t == TRACK_ON)
			track_on(cpid);
	}
	if (!(want & WANT_FORK) || !tape_want())
		return 0;
	stack_kernel_take(ctx, REC_FORK, 0);
	r = tape_reserve(sizeof(*r), REC_FORK);
	if (!r)
		return 0;
	r->parent_pid = ppid;
	r->child_pid = cpid;
	r->child_tid = child->pid;
	r->pad = 0;
	tape_submit(r);
	return 0;
}

/* argv of a successful exec: the new image's argument block, just written
 * by the kernel and therefore resident. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	unsigned long start, end;
	const char *fname;
	struct rec_exec *r;
	__u64 fl, len;
	long n;

	if (filter_flags & FILTER_PIDS) {
		__u32 tgid = p->tgid;
		__u8 *t = bpf_map_lookup_elem(&tracked, &tgid);

		/* the command bpftape started: followed from here on, so that
		 * bpftape's own code before the exec stays out of the tape */
		if (t && *t == TRACK_EXEC)
			track_on(tgid);
	}
	if (!(want & WANT_EXEC) || !tape_want())
		return 0;
	stack_kernel_take(ctx, REC_EXEC, 0);
	r = exec_begin(0, &fl);
	if (!r)
		return 0;
	fname = BPF_CORE_READ(bprm, filename);
	n = bpf_probe_read_kernel_str(r->data, REC_PATH_MAX, fname);
	fl = exec_filename_len(r, n, fname, false);
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	/* the block is every argument with its NUL: the rule of
	 * emit_failed_exec(), REC_ARGV_MAX bytes kept of the joined list */
	len = end > start ? end - start : 0;
	if (len > REC_ARGV_MAX + 1) {
		r->truncated |= REC_EXEC_TRUNC_ARGV;
		len = REC_ARGV_MAX + 1;
	}
	len = BOUND(len, 2 * REC_ARGV_MAX - 1);
	if (!len || bpf_probe_read_user(r->data + fl, len, (void *)start))
		len = 0;
	if (len > REC_ARGV_MAX)
		len = REC_ARGV_MAX;
	else if (len && r->data[BOUND(fl + len - 1, 4095)] == 0)
		len--; /* the last argument's NUL; keep separators only */
	exec_end(r, fl, len);
	return 0;
}

/*
 * Failed execs, when the file family is not loaded: per-syscall tracepoints
 * fire for these two syscalls alone.  (Any syscall tracepoint makes the
 * kernel call perf_syscall_exit() on every syscall exit, so with the file
 * family loaded its tp_btf/sys_exit program reports failed execs instead
 * and these are not loaded.)  Arguments come from the saved registers.
 */
SEC("tracepoint/syscalls/sys_exit_execve")
int proc_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (ctx->ret >= 0 || !(want & WANT_EXEC) || !tape_want_exec())
		return 0;
	regs = user_regs();
	emit_failed_exec((const char *)sys_arg(regs, 0), (const char *const *)sys_arg(regs, 1),
			 ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int proc_execveat_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (ctx->ret >= 0 || !(want & WANT_EXEC) || !tape_want_exec())
		return 0;
	regs = user_regs();
	emit_failed_exec((const char *)sys_arg(regs, 1), (const char *const *)sys_arg(regs, 2),
			 ctx->ret);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	struct rec_exit *r;
	int code;

	/* one event per process: the last thread out (signal->live hit 0) */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if ((want & WANT_EXIT) && tape_want()) {
		stack_kernel_take(ctx, REC_EXIT, 0);
		r = tape_reserve(sizeof(*r), REC_EXIT);
		if (r) {
			code = BPF_CORE_READ(p, exit_code);
			r->code = (code >> 8) & 0xff;
			r->signal = code & 0x7f;
			tape_submit(r);
		}
	}
	return 0;
}

/*
 * A followed process leaves the set when its task is freed, not when it
 * exits: its last sched_switch and the SIGCHLD to its parent come after
 * sched_process_exit.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(proc_free, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if ((filter_flags & FILTER_PIDS) && p->pid == tgid)
		untrack(tgid);
	return 0;
}
