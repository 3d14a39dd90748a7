// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Scheduler switches and signal generation. */
#include "common.bpf.h"

const volatile __u32 want = WANT_SCHED_SWITCH | WANT_SIGNAL;

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct rec_sched_switch *r;

	/* the filters see prev (current) */
	if (!(want & WANT_SCHED_SWITCH) || !tape_want())
		return 0;
	stack_kernel_take(ctx, REC_SCHED_SWITCH, 0);
	r = tape_reserve(sizeof(*r), REC_SCHED_SWITCH);
	if (!r)
		return 0;
	r->prev_pid = prev->pid;
	r->next_pid = next->pid;
	r->prev_state = prev_state;
	bpf_probe_read_kernel(r->prev_comm, sizeof(r->prev_comm), prev->comm);
	bpf_probe_read_kernel(r->next_comm, sizeof(r->next_comm), next->comm);
	tape_submit(r);
	return 0;
}

/* SEND_SIG_NOINFO and SEND_SIG_PRIV are small integers, not pointers. */
#define SI_USER	  0
#define SI_KERNEL 0x80

SEC("tp_btf/signal_generate")
int BPF_PROG(sched_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct rec_signal *r;

	if (!(want & WANT_SIGNAL) || !tape_want())
		return 0;
	stack_kernel_take(ctx, REC_SIGNAL, 0);
	r = tape_reserve(sizeof(*r), REC_SIGNAL);
	if (!r)
		return 0;
	r->sig = sig;
	r->target_pid = task->tgid;
	if ((unsigned long)info == 0)
		r->code = SI_USER;
	else if ((unsigned long)info == 1)
		r->code = SI_KERNEL;
	else
		r->code = BPF_CORE_READ(info, si_code);
	r->ret = result;
	tape_submit(r);
	return 0;
}
