// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of bench_record: the least any recorder can do per openat and
 * still hold what `bpftape record -e open` keeps (path, comm, pid/tid, dfd,
 * flags, mode, a timestamp and the CPU) in a ring buffer.  One program on
 * the very tracepoint perf uses, a filter that is a single compare, a
 * record of bpftape's own layout (struct rec_open), no wakeup: the consumer
 * polls and only counts.  The return value is not known at entry; bpftape
 * pays for it with a second point or an exit-time program.
 *
 * @variant picks where the record goes, so that the bench compares the
 * transports side by side (docs/RECORDING.md, "Where the time goes"):
 * one BPF ring buffer shared by every CPU (what bpftape uses), one ring
 * buffer per CPU (an array of maps, indexed by the CPU), or the per-CPU
 * perf buffers perf itself writes (bpf_perf_event_output).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "../../bpf/events.h"

enum { FLOOR_SHARED, FLOOR_PERCPU, FLOOR_PERF, FLOOR_FEXIT, FLOOR_EXIT, FLOOR_TPEXIT, FLOOR_TP };

/*
 * What bpftape's file program does beyond the floor at its attach point
 * (`--floor exit`), one piece at a time, for the program's own time
 * (BENCH_PROG_STATS=1): the pid filter as a hash of followed processes,
 * the start gate, the wakeup decision from the ring's waiting bytes, and
 * the record built in scratch memory and copied out at its used size.
 */
enum { FX_PIDS = 1, FX_GATE = 2, FX_QUERY = 4, FX_COPY = 8, FX_CLASS = 16 };
/* FX_CLASS, the alternative to FX_COPY: a short record reserved at this
 * size, the path read straight into the ring (docs/RECORDING.md) */
#define CLASS_BYTES 128

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by bench_record */
} floor_events SEC(".maps");

/* the inner template: every CPU's ring has this size (set by bench_record) */
struct floor_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 << 10);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* the CPU count, set by bench_record */
	__type(key, __u32);
	__array(values, struct floor_ring);
} floor_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} floor_perf SEC(".maps");

/* FX_PIDS: the storm's tgid, as bpftape's `tracked` holds it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} floor_tracked SEC(".maps");

/* FX_GATE: entry 0 non-zero, as bpftape's `gate` once it is open */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} floor_gate SEC(".maps");

/* bpf_perf_event_output copies from memory the program owns */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_open);
} floor_scratch SEC(".maps");

const volatile __u32 target_tgid;
const volatile __u32 variant;
const volatile __u32 extras; /* FX_*, for FLOOR_EXIT */
__u64 floor_drops;	     /* the storm is pinned to one CPU: no race to speak of */

/* The header of a record of @kind and @size by @id on @cpu. */
static __always_inline void fill_hdr(struct rec_hdr *h, __u16 kind, __u32 size, __u64 id, __u32 cpu)
{
	h->ts = bpf_ktime_get_boot_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->kind = kind;
	h->cpu = cpu;
	h->size = size;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* The record of an openat by @id on @cpu, of @size bytes (the path gets
 * what the fixed fields leave), its path read from user memory. */
static __always_inline void fill_sized(struct rec_open *r, __u32 size, __u64 id, __u32 cpu, int dfd,
				       const char *path, __u32 flags, __u32 mode, long ret)
{
	long n;

	fill_hdr(&r->hdr, REC_OPEN, size, id, cpu);
	r->dfd = dfd;
	r->flags = flags;
	r->mode = mode;
	r->ret = ret;
	r->syscall = REC_OPEN_OPENAT;
	r->pad = 0;
	n = bpf_probe_read_user_str(r->path, size - offsetof(struct rec_open, path), path);
	r->path_len = n > 0 ? n - 1 : 0;
}

/* The whole record (struct rec_open). */
static __always_inline void fill(struct rec_open *r, __u64 id, __u32 cpu, int dfd, const char *path,
				 __u32 flags, __u32 mode, long ret)
{
	fill_sized(r, sizeof(*r), id, cpu, dfd, path, flags, mode, ret);
}

/* At openat's entry: the arguments of the tracepoint's record. */
static __always_inline void fill_enter(struct rec_open *r, struct trace_event_raw_sys_enter *ctx,
				       __u64 id, __u32 cpu)
{
	fill(r, id, cpu, ctx->args[0], (const char *)ctx->args[1], ctx->args[2], ctx->args[3], 0);
}

/* @size bytes in @ring (NULL: none), or NULL: a drop. */
static __always_inline void *reserve_in(void *ring, __u32 size)
{
	void *r = ring ? bpf_ringbuf_reserve(ring, size, 0) : NULL;

	if (!r)
		floor_drops++;
	return r;
}

/* A record in @cpu's ring (FLOOR_PERCPU), or NULL: a drop. */
static __always_inline struct rec_open *reserve_percpu(__u32 cpu)
{
	return reserve_in(bpf_map_lookup_elem(&floor_rings, &cpu), sizeof(struct rec_open));
}

SEC("tp/syscalls/sys_enter_openat")
int floor_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	struct rec_open *r;
	void *ring;

	if (id >> 32 != target_tgid)
		return 0;
	if (variant == FLOOR_PERF) {
		r = bpf_map_lookup_elem(&floor_scratch, &zero);
		if (!r)
			return 0;
		fill_enter(r, ctx, id, cpu);
		if (bpf_perf_event_output(ctx, &floor_perf, BPF_F_CURRENT_CPU, r, sizeof(*r)))
			floor_drops++;
		return 0;
	}
	ring = &floor_events;
	if (variant == FLOOR_PERCPU) {
		ring = bpf_map_lookup_elem(&floor_rings, &cpu);
		if (!ring)
			return 0;
	}
	r = bpf_ringbuf_reserve(ring, sizeof(*r), 0);
	if (!r) {
		floor_drops++;
		return 0;
	}
	fill_enter(r, ctx, id, cpu);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * The same record from fexit on the kernel function every open syscall
 * calls: no syscall tracepoint, so the task keeps the fast syscall path,
 * and the return value is known.  The path is read from user memory after
 * the kernel copied it (resident).  A ring per CPU.
 */
SEC("fexit/do_sys_openat2")
int BPF_PROG(floor_fexit, int dfd, const char *filename, struct open_how *how, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id();
	struct rec_open *r;

	if (id >> 32 != target_tgid)
		return 0;
	r = reserve_percpu(cpu);
	if (!r)
		return 0;
	fill(r, id, cpu, dfd, filename, how->flags, how->mode, ret);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * The same record at the attach point bpftape's file family uses: the raw
 * tracepoint on every syscall's exit (tp_btf/sys_exit), the arguments from
 * the saved registers, the return value known.  A ring per CPU.  The gap
 * between this and bpftape -e open is bpftape's own program.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid(), flag = BPF_RB_NO_WAKEUP;
	__u32 cpu = bpf_get_smp_processor_id(), tgid = id >> 32, zero = 0;
	struct rec_open *r;
	void *ring;
	__u32 size;

	if (regs->orig_ax != 257 /* __NR_openat, x86-64 */)
		return 0;
	if (extras & FX_GATE) {
		__u32 *g = bpf_map_lookup_elem(&floor_gate, &zero);

		if (!g || !*g)
			return 0;
	}
	if (extras & FX_PIDS) {
		__u8 *t = bpf_map_lookup_elem(&floor_tracked, &tgid);

		if (!t || !*t)
			return 0;
	} else if (tgid != target_tgid) {
		return 0;
	}
	ring = bpf_map_lookup_elem(&floor_rings, &cpu);
	if (extras & FX_CLASS) {
		/* a 128-byte record whose path is read straight into the ring,
		 * the whole record for a path that may not have fit */
		r = reserve_in(ring, CLASS_BYTES);
		if (!r)
			return 0;
		fill_sized(r, CLASS_BYTES, id, cpu, regs->di, (const char *)regs->si, regs->dx,
			   regs->r10, ret);
		/* a path that filled the room may have been cut */
		if (r->path_len < CLASS_BYTES - offsetof(struct rec_open, path) - 1) {
			bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
			return 0;
		}
		/* the whole record, below (FX_CLASS comes alone) */
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
	}
	if (!(extras & FX_COPY)) {
		r = reserve_in(ring, sizeof(*r));
		if (!r)
			return 0;
		fill(r, id, cpu, regs->di, (const char *)regs->si, regs->dx, regs->r10, ret);
		size = sizeof(*r);
	} else {
		r = bpf_map_lookup_elem(&floor_scratch, &zero);
		if (!r || !ring)
			return 0;
		fill(r, id, cpu, regs->di, (const char *)regs->si, regs->dx, regs->r10, ret);
		size = offsetof(struct rec_open, path) + (r->path_len & (sizeof(r->path) - 1));
	}
	/* bpftape's wakeup_flag(), at its default threshold (1 MiB) */
	if (extras & FX_QUERY) {
		__u64 waiting = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		__u32 rsize = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7u;

		if (!(extras & FX_COPY))
			waiting -= rsize;
		if (waiting < (1u << 20) && waiting + rsize >= (1u << 20))
			flag = BPF_RB_FORCE_WAKEUP;
	}
	if (!(extras & FX_COPY))
		bpf_ringbuf_submit(r, flag);
	else if (bpf_ringbuf_output(ring, r, size, flag))
		floor_drops++;
	return 0;
}

/*
 * The same record at openat's own exit tracepoint (a perf tracepoint like
 * the floor's, which perf_syscall_exit() runs for openat only), the
 * arguments from the task's saved registers.  A ring per CPU.
 */
SEC("tp/syscalls/sys_exit_openat")
int floor_tpexit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id();
	struct rec_open *r;

	if (id >> 32 != target_tgid)
		return 0;
	r = reserve_percpu(cpu);
	if (!r)
		return 0;
	fill(r, id, cpu, BPF_CORE_READ(regs, di), (const char *)BPF_CORE_READ(regs, si),
	     BPF_CORE_READ(regs, dx), BPF_CORE_READ(regs, r10), ctx->ret);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * The floor of the generic tracepoint (`bpftape -e
 * tracepoint:syscalls:sys_enter_openat`): its raw record (64 bytes, the
 * common fields, the syscall number and six arguments: what perf records)
 * in a record of bpftape's generic layout, no string read.  A ring per CPU.
 */
struct floor_tp_rec {
	struct rec_hdr hdr; /* struct rec_generic's fields */
	__u32 probe_id;
	__u32 data_len;
	__u8 raw[sizeof(struct trace_event_raw_sys_enter)];
};

SEC("tp/syscalls/sys_enter_openat")
int floor_tp(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id();
	struct floor_tp_rec *r;

	if (id >> 32 != target_tgid)
		return 0;
	r = reserve_in(bpf_map_lookup_elem(&floor_rings, &cpu), sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, REC_GENERIC, sizeof(*r), id, cpu);
	r->probe_id = 0;
	r->data_len = sizeof(r->raw);
	/* one copy, as bpftape makes it: the verifier keeps a tracepoint
	 * program from loading the common fields itself */
	if (bpf_probe_read_kernel(r->raw, sizeof(r->raw), ctx))
		r->data_len = 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
