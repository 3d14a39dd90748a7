/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Call stacks of recorded events (`bpftape record -g`): a REC_STACK record
 * is put into the ring right before the event's own record, which then
 * carries REC_F_STACK in its kind (or inside that record).  The kernel's
 * unwinder takes the kernel stack (stack_kernel_take(), in the programs
 * of events taken deep in the kernel); the user stack is the
 * frame-pointer chain from the saved user registers, read here as the
 * kernel's walk reads it (ustack_walk(): the current task needs no
 * program context, so that this hook sits in tape_reserve()/tape_output()
 * and not in every program).  The
 * recorder resolves and de-duplicates; what is kept here per stack is
 * only which stacks each CPU has sent (stack_sent), so that the frames
 * of a stack go into a CPU's ring once and its later events refer to
 * them by hash.
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
/* the session's seed of stack hashes (stack_hash()), from the recorder:
 * a traced program cannot choose its frames to match another's hash */
const volatile __u64 stack_seed;

/* a struct rec_stack and its tail: 8 KiB, so that every bounded offset
 * and size below stays inside it; @gen counts the stacks built in it
 * (stack_intact()); @sent: the hash of a stack this CPU has sent (0:
 * none yet), the last one met, so that an event with the same stack as
 * the last needs no lookup in stack_sent */
struct stack_scratch {
	__u8 raw[8192];
	__u64 gen;
	__u64 sent;
};

#define STACK_RAW_BYTES sizeof(((struct stack_scratch *)0)->raw)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

/* Stacks each CPU has sent with their frames (struct rec_stack): only
 * those, so that the recorder holds no more than the kernel refers to;
 * never removed, so a stack it was told of stays known for the session.
 * Allocated as they come (a recording without -g takes none). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STACK_SENT_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct stack_sent_key);
	__type(value, __u8);
} stack_sent SEC(".maps");

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
 * The hash a stack is remembered by: its split and its frames, as the
 * recorder receives them (64 bits: two stacks of a session that collide
 * would be given each other's frames; with the thousands of stacks a
 * session sees, about one chance in 10^11).
 */
struct stack_hash_st {
	const __u64 *ips;
	__u64 h;
};

/* bpf_loop() callback: mix frame @i in (one loop to verify per caller,
 * not one pass per frame) */
static long stack_hash_step(__u64 i, void *ctx)
{
	struct stack_hash_st *st = ctx;

	st->h = (st->h ^ st->ips[i & 511]) * 0xff51afd7ed558ccdull;
	st->h ^= st->h >> 32;
	return 0;
}

static __always_inline __u64 stack_hash(const __u64 *ips, __u32 kn, __u32 un)
{
	struct stack_hash_st st = {ips, stack_seed ^ ((__u64)kn << 32 | un)};

	bpf_loop(kn + un, stack_hash_step, &st, 0);
	return st.h;
}

/*
 * Has this CPU sent stack @rec (built by stack_build()) with its frames
 * already?  Then @rec becomes the short form that refers to it
 * (STACK_F_SEEN, no frames): its new size, else @size.  Stacks with a
 * copy are never remembered (the copy differs at every event).
 */
static __always_inline __u32 stack_refer(struct rec_stack *rec, __u32 size)
{
	/* the scratch @rec was built in (at its start) */
	struct stack_scratch *scratch = (struct stack_scratch *)rec;
	struct stack_sent_key key = {.hash = rec->hash, .cpu = rec->hdr.cpu};

	if (rec->flags & STACK_F_REGS)
		return size;
	if (!rec->hash || rec->hash != scratch->sent) {
		if (!bpf_map_lookup_elem(&stack_sent, &key))
			return size;
		scratch->sent = rec->hash;
	}
	rec->flags = STACK_F_SEEN;
	rec->nkernel = 0;
	rec->nuser = 0;
	rec->hdr.size = sizeof(*rec);
	return sizeof(*rec);
}

/*
 * Whether this CPU's scratch still holds the stack stack_build() made as
 * @gen: a program nested in this one on this CPU (one run by an
 * interrupt, or a uprobe's of a task that preempted this one) builds its
 * own stack in the same scratch.
 */
static __always_inline bool stack_intact(__u64 gen)
{
	struct stack_scratch *scratch;
	__u32 zero = 0;

	scratch = bpf_map_lookup_elem(&stack_scratch, &zero);
	return scratch && scratch->gen == gen;
}

/*
 * Copy stack @rec, built as @gen, into a reservation @ptr not yet
 * submitted, its struct rec_stack starting at @base there: its @len bytes
 * from @skip on (0, or the size of its header where the event's stands
 * for it).  If the scratch was reused meanwhile, the copy may be another
 * program's: it goes without frames.  Else remember it as sent on this
 * CPU (STACK_F_KEEP tells the recorder to keep its frames).  Marked
 * between reserve and submit, so a record that refers to it, even one of
 * a program nested in this one, lies after it in the ring (the reader
 * stops at a record not yet submitted); and only what went into the ring
 * is marked, so no mark stands for frames the recorder never got.  A
 * full map marks nothing: later events of that stack carry their frames.
 */
static __always_inline void stack_put(struct bpf_dynptr *ptr, __u32 base, struct rec_stack *rec,
				      __u32 skip, __u32 len, __u64 gen)
{
	/* read before the copy, which stack_intact() then vouches for */
	struct stack_sent_key key = {.hash = rec->hash, .cpu = bpf_get_smp_processor_id()};
	__u16 flags = rec->flags;
	__u32 none = 0;
	__u8 one = 1;

	bpf_dynptr_write(ptr, base + skip, (__u8 *)rec + skip, len, 0);
	if (!stack_intact(gen)) {
		flags = 0;
		/* nkernel and nuser, side by side */
		bpf_dynptr_write(ptr, base + offsetof(struct rec_stack, nkernel), &none, 4, 0);
		bpf_dynptr_write(ptr, base + offsetof(struct rec_stack, flags), &flags, 2, 0);
		return;
	}
	if (flags & (STACK_F_REGS | STACK_F_SEEN))
		return;
	if (!bpf_map_update_elem(&stack_sent, &key, &one, BPF_NOEXIST)) {
		flags |= STACK_F_KEEP;
		bpf_dynptr_write(ptr, base + offsetof(struct rec_stack, flags), &flags, 2, 0);
		/* marked: the next event of this stack here refers to it
		 * without a lookup (the scratch @rec was built in, at its start) */
		((struct stack_scratch *)rec)->sent = key.hash;
	}
}

#if defined(__TARGET_ARCH_x86)
/* Where the frame-pointer walk of ustack_walk() is. */
struct ustack_walk {
	__u64 *ips;
	struct task_struct *task;
	__u64 fp;   /* the next frame record */
	__u64 prev; /* the last one read, or the user sp */
	__u32 n, max;
};

static long ustack_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	return 0;
}

/* bpf_loop() callback: one frame record, {next fp, return address}. */
static long ustack_step(__u64 i, void *ctx)
{
	struct ustack_walk *w = ctx;
	__u64 frame[2];

	/* page 0 is never mapped, nor is anything above the largest user
	 * address space (57 bits): reads there fail */
	if (w->n >= w->max || !w->fp || w->fp >> 56)
		return 1;
	/* A caller's frame record lies above its callee's on the same
	 * stack; a frame pointer anywhere else is read only if it is mapped.
	 * The read of an unmapped address fails as it does in the kernel's
	 * walk, but only after a page fault, which costs several µs in a
	 * VM: in the walk of every program built with frame pointers, whose
	 * chain ends in a frameless libc frame's garbage. */
	if (w->fp <= w->prev || w->fp - w->prev >= (8u << 20)) {
		if (bpf_find_vma(w->task, w->fp, ustack_vma_cb, NULL, 0) == -2 /* ENOENT */)
			return 1;
	}
	if (bpf_probe_read_user(frame, sizeof(frame), (void *)w->fp))
		return 1;
	w->ips[w->n & 127] = frame[1];
	w->n++;
	w->prev = w->fp;
	w->fp = frame[0];
	return 0;
}
#endif

/*
 * The current thread's user stack into @ips, at most @depth frames: the
 * frame-pointer chain from its saved user registers, frame for frame what
 * bpf_get_task_stack(BPF_F_USER_STACK) and perf's callchain give (the
 * same records read, the same end), without their cost at the end of a
 * chain (ustack_step()).  The number of frames.
 */
static __always_inline __u32 ustack_walk(struct task_struct *task, __u64 *ips, __u32 depth)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct ustack_walk w = {.ips = ips, .task = task, .n = 1, .max = depth};

	if (!depth)
		return 0;
	/* a 64-bit user task's registers (__USER_CS); a 32-bit one's
	 * frames are the kernel walk's to read, and so are those of a task
	 * that has met a uprobe (utask): the kernel's walk puts back the
	 * return addresses uretprobes replaced and the caller a probe at a
	 * function's entry hides */
	if (regs->cs == 0x33 && !(bpf_core_field_exists(task->utask) && task->utask)) {
		ips[0] = regs->ip;
		/* no user memory left (an exiting process): the kernel's walk
		 * stops after the saved ip, and so does this one */
		if (!task->mm)
			return 1;
		w.fp = regs->bp;
		w.prev = regs->sp;
		bpf_loop(REC_STACK_MAX, ustack_step, &w, 0);
		return w.n;
	}
#endif
	long un = bpf_get_task_stack(task, ips, BOUND(depth * 8, 1023), BPF_F_USER_STACK);

	return un > 0 ? (__u64)un / 8 : 0;
}

/*
 * Build the current thread's stack for an event of @kind (generic probe
 * @probe_id) taken at @ts, as a REC_STACK record in this CPU's scratch:
 * its bytes (*@out set, and *@gen for stack_put()), or 0 if not wanted.
 */
static __always_inline __u32 stack_build(__u16 kind, __u32 probe_id, __u64 ts,
					 struct rec_stack **out, __u64 *gen)
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
	*gen = ++scratch->gen;
	task = bpf_get_current_task_btf();
	depth = BOUND(stack_depth, 127);
	/* the kernel frames stack_kernel_take() left for this event */
	if (rec->ev_kind == (kind | STACK_KTAKEN))
		kn = rec->nkernel;
	kn = BOUND(kn, 255);
	un = ustack_walk(task, &rec->ips[kn], depth);
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
	rec->hash = 0;
	size = sizeof(struct rec_stack) + (kn + un) * 8;
	if (stack_copy) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		/* right after the frames, then the copy */
		struct rec_stack_regs *rr =
			(struct rec_stack_regs *)((__u8 *)rec->ips + BOUND((kn + un) * 8, 4095));
		__u64 sp = PT_REGS_SP(regs);
		__u64 len = BOUND(stack_copy, REC_STACK_COPY - 1);

		rec->flags = STACK_F_REGS;
		rr->regs[0] = PT_REGS_IP(regs);
		rr->regs[1] = sp;
		rr->regs[2] = PT_REGS_FP(regs);
		rr->copy_len = 0;
		rr->pad = 0;
		size += sizeof(*rr);
		if (len && !bpf_probe_read_user(rr + 1, len, (void *)sp)) {
			rr->copy_len = len;
			size += len;
		}
	} else {
		rec->hash = stack_hash(rec->ips, kn, un);
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
	__u64 gen;
	__u32 size = stack_build(kind, probe_id, bpf_ktime_get_boot_ns(), &rec, &gen);
	struct bpf_dynptr ptr;
	void *ring;

	if (!size)
		return 0;
	/* this CPU's ring, the one the event goes into next */
	ring = tape_ring();
	if (!ring)
		return 0;
	size = stack_refer(rec, size);
	if (bpf_ringbuf_reserve_dynptr(ring, BOUND(size, 8191), 0, &ptr)) {
		bpf_ringbuf_discard_dynptr(&ptr, BPF_RB_NO_WAKEUP);
		return 0;
	}
	stack_put(&ptr, 0, rec, 0, BOUND(size, 8191), gen);
	bpf_ringbuf_submit_dynptr(&ptr, BPF_RB_NO_WAKEUP);
	return REC_F_STACK;
}

#endif /* BPFTAPE_STACK_BPF_H */
