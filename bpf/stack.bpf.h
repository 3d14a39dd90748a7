/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Call stacks of recorded events (`bpftape record -g`): a REC_STACK record
 * is put into the ring right before the event's own record, which then
 * carries REC_F_STACK in its kind.  Both walks are the kernel's own:
 * its unwinder for the kernel stack (stack_kernel_take(), in the programs
 * of events taken deep in the kernel), the frame-pointer chain from the
 * saved user registers for the user stack (bpf_get_task_stack() on the
 * current task, which needs no program context, so that this hook sits
 * in tape_reserve()/tape_output() and not in every program).  The
 * recorder resolves and de-duplicates; nothing here is per-stack state.
 */
#ifndef BPFTAPE_STACK_BPF_H
#define BPFTAPE_STACK_BPF_H

/* Kinds whose events take a stack (bit per enum rec_kind), and those of
 * them for which the kernel stack is taken too; 0: no stacks at all. */
const volatile __u32 stack_kinds;
const volatile __u32 stack_kernel_kinds;
/* frames of each kind kept, 1..REC_STACK_MAX */
const volatile __u32 stack_depth = REC_STACK_MAX;
/* user stack bytes copied with the registers (0: neither) */
const volatile __u32 stack_copy;

/* a struct rec_stack and its tail: 8 KiB, so that every bounded offset
 * and size below stays inside it */
struct stack_scratch {
	__u8 raw[8192];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

/* Generic probes that take a stack (u8 per probe id, set by the recorder);
 * shared by the session like the ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} stack_probes SEC(".maps");

#define STACK_KTAKEN 0x8000 /* in rec_stack.ev_kind: kernel frames taken for this kind */

/* For generic probe @probe_id: does it take stacks? */
static __always_inline bool stack_probe_on(__u16 kind, __u32 probe_id)
{
	__u8 *on;

	if (kind != REC_GENERIC)
		return true;
	on = bpf_map_lookup_elem(&stack_probes, &probe_id);
	return on && *on;
}

/*
 * Take the kernel stack for an event of @kind about to be emitted by this
 * program, from its context @ctx: the perf callchain from the program's
 * own frame, so that every function down to the event is there (the
 * task-based walk of bpf_get_task_stack() leaves out the scheduler's).
 * stack_emit() sends it with the user stack.  Programs of kinds taken
 * deep in the kernel call it right before they reserve their record.
 */
static __always_inline void stack_kernel_take(void *ctx, __u16 kind, __u32 probe_id)
{
	struct stack_scratch *scratch;
	struct rec_stack *rec;
	__u32 zero = 0;
	long kn;

	if (!(stack_kernel_kinds & (1u << (kind & 31))) || !stack_probe_on(kind, probe_id))
		return;
	scratch = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!scratch)
		return;
	rec = (struct rec_stack *)scratch->raw;
	/* BPF's own frames come first: a few more than asked for */
	kn = bpf_get_stack(ctx, rec->ips, BOUND((BOUND(stack_depth, 127) + 8) * 8, 2047), 0);
	rec->nkernel = kn > 0 ? (__u64)kn / 8 : 0;
	rec->ev_kind = kind | STACK_KTAKEN;
}

/*
 * Build the current thread's stack for an event of @kind (generic probe
 * @probe_id) taken at @ts, as a REC_STACK record in this CPU's scratch:
 * its bytes (*@out set), or 0 if not wanted.
 */
static __always_inline __u32 stack_build(__u16 kind, __u32 probe_id, __u64 ts,
					 struct rec_stack **out)
{
	struct task_struct *task;
	struct stack_scratch *scratch;
	struct rec_stack *rec;
	__u64 id, size, depth;
	__u32 zero = 0;
	long kn = 0, un;

	if (!(stack_kinds & (1u << (kind & 31))) || !stack_probe_on(kind, probe_id))
		return 0;
	scratch = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!scratch)
		return 0;
	rec = (struct rec_stack *)scratch->raw;
	task = bpf_get_current_task_btf();
	depth = BOUND(stack_depth, 127);
	/* the kernel frames stack_kernel_take() left for this event */
	if (rec->ev_kind == (kind | STACK_KTAKEN))
		kn = rec->nkernel;
	kn = BOUND(kn, 255);
	un = bpf_get_task_stack(task, &rec->ips[kn], BOUND(depth * 8, 1023), BPF_F_USER_STACK);
	un = un > 0 ? (__u64)un / 8 : 0;
	un = BOUND(un, 127);
	id = bpf_get_current_pid_tgid();
	rec->hdr.ts = ts;
	rec->hdr.pid = id >> 32;
	rec->hdr.tid = (__u32)id;
	rec->hdr.kind = REC_STACK;
	rec->hdr.cpu = bpf_get_smp_processor_id();
	__builtin_memset(rec->hdr.comm, 0, sizeof(rec->hdr.comm));
	rec->nkernel = kn;
	rec->nuser = un;
	rec->ev_kind = kind;
	rec->flags = 0;
	rec->copy_len = 0;
	rec->pad = 0;
	size = sizeof(struct rec_stack) + (kn + un) * 8;
	if (stack_copy) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		__u64 sp = PT_REGS_SP_CORE(regs);
		__u64 len = BOUND(stack_copy, REC_STACK_COPY - 1);

		rec->flags = STACK_F_REGS;
		rec->regs[0] = PT_REGS_IP_CORE(regs);
		rec->regs[1] = sp;
		rec->regs[2] = PT_REGS_FP_CORE(regs);
		/* the copy goes right after the frames */
		if (len && !bpf_probe_read_user((__u8 *)rec->ips + BOUND((kn + un) * 8, 4095), len,
						(void *)sp)) {
			rec->copy_len = len;
			size += len;
		}
	}
	rec->hdr.size = size;
	*out = rec;
	return size;
}

/*
 * Put the current thread's stack into the ring as a record of its own,
 * for an event of @kind (generic probe @probe_id) about to be reserved in
 * it.  REC_F_STACK if it is there, else 0 (not wanted, or the ring is
 * full: the event goes without).  Records built in scratch memory carry
 * their stack inside instead (tape_output_stack()).
 */
static __always_inline __u16 stack_emit(__u16 kind, __u32 probe_id)
{
	struct rec_stack *rec;
	__u32 size = stack_build(kind, probe_id, bpf_ktime_get_boot_ns(), &rec);
	void *ring;

	if (!size)
		return 0;
	/* this CPU's ring, the one the event goes into next */
	ring = tape_ring();
	if (!ring || bpf_ringbuf_output(ring, rec, BOUND(size, 8191), BPF_RB_NO_WAKEUP))
		return 0;
	return REC_F_STACK;
}

#endif /* BPFTAPE_STACK_BPF_H */
