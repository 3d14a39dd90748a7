// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every syscall with its arguments, return value and latency, paired in the
 * kernel: entry time and arguments wait in task-local storage (cheaper than
 * a tid-keyed hash and freed with the task) until the matching exit.
 */
#include "sys.bpf.h"

const volatile __u32 want = WANT_SYSCALL;

struct pending {
	__u64 ts;
	__u64 args[6];
	__s64 nr; /* -1: nothing pending */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pending SEC(".maps");

static __always_inline void emit(long nr, const __u64 *args, __u64 ts, long ret, __u64 latency)
{
	struct rec_syscall *r;

	r = tape_reserve(sizeof(*r), REC_SYSCALL);
	if (!r)
		return;
	r->hdr.ts = ts;
	r->nr = nr;
	r->pad = 0;
	for (int i = 0; i < 6; i++)
		r->args[i] = args[i];
	r->ret = ret;
	r->latency = latency;
	tape_submit(r);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter, struct pt_regs *regs, long id)
{
	struct pending *p;
	__u64 args[6];

	if (!(want & WANT_SYSCALL))
		return 0;
	if (id == __NR_execve || id == __NR_execveat ? !tape_want_exec() : !tape_want())
		return 0;
	for (int i = 0; i < 6; i++)
		args[i] = sys_arg(regs, i);
	/* these never return: record them now */
	if (id == __NR_exit || id == __NR_exit_group) {
		emit(id, args, bpf_ktime_get_boot_ns(), 0, 0);
		return 0;
	}
	p = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p)
		return 0;
	p->nr = id;
	for (int i = 0; i < 6; i++)
		p->args[i] = args[i];
	p->ts = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit, struct pt_regs *regs, long ret)
{
	struct pending *p;
	__u64 now;

	if (!(want & WANT_SYSCALL))
		return 0;
	p = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0, 0);
	if (!p || p->nr < 0)
		return 0;
	now = bpf_ktime_get_boot_ns();
	/* execve's exit runs in the new image; the pending entry still matches */
	emit(p->nr, p->args, p->ts, ret, now - p->ts);
	p->nr = -1;
	return 0;
}
