// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Generic probes: one program per probe kind, attached any number of times.
 * The BPF cookie of each attachment (bpf_usdt_cookie() for USDT) is the
 * probe id: it indexes `generic_conf` for the argument types and goes into
 * the record so that user space knows which probe fired.
 *
 * Records vary in size (strings, raw tracepoint records), and the ring
 * buffer only reserves constant sizes, so each record is built in a per-CPU
 * scratch buffer and copied out with bpf_ringbuf_output(): one copy for
 * records that do not waste ring space (and wakeups) on a maximum size.
 */
#include "common.bpf.h"
#include <bpf/usdt.bpf.h>
#include "generic_abi.h"

/* libbpf before 1.2 has no sixth-argument accessor */
#ifndef PT_REGS_PARM6
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_PARM6(x) (((const struct pt_regs *)(x))->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM6(x) (((const struct user_pt_regs *)(x))->regs[5])
#else
#define PT_REGS_PARM6(x) 0
#endif
#endif

/* struct rec_generic with room for its data */
struct generic_scratch {
	struct {
		struct rec_hdr hdr;
		__u32 probe_id;
		__u32 data_len;
	} rec;
	/* slack past GENERIC_DATA_MAX: a string is read whole before it is
	 * known whether it fits */
	__u8 data[GENERIC_DATA_MAX + GENERIC_STR_MAX + 8];
	/* where store_arg() writes next: kept in the map, not on the stack,
	 * so that the verifier sees an unknown bounded offset and the callback
	 * converges in two passes instead of one pass per possible offset */
	__u32 arg_off;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct generic_scratch);
} generic_scratch SEC(".maps");

_Static_assert(sizeof(((struct generic_scratch *)0)->rec) == sizeof(struct rec_generic),
	       "generic_scratch starts with a struct rec_generic");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GENERIC_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct generic_conf);
} generic_conf SEC(".maps");

#define PROBE_REG_ARGS 6

/* @v = min(@v, @max) in the register used afterwards: clang otherwise
 * compares a copy and the verifier sees an unbounded length. */
#define CLAMP(v, max) asm volatile("if %0 <= %1 goto +1; %0 = %1" : "+r"(v) : "i"(max))

enum arg_src {
	SRC_REGS, /* function arguments in registers (uprobe, kprobe) */
	SRC_USDT, /* USDT argument specs */
	SRC_RET,  /* the return value (uretprobe, kretprobe) */
};

static __always_inline struct generic_scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&generic_scratch, &zero);
}

/* Fill the header and copy the record out; a full ring buffer is a loss. */
static __always_inline void generic_output(struct generic_scratch *sc, __u32 id, __u32 data_len)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 size;

	if (data_len > GENERIC_DATA_MAX)
		data_len = GENERIC_DATA_MAX;
	size = sizeof(struct rec_generic) + data_len;
	sc->rec.hdr.ts = bpf_ktime_get_boot_ns();
	sc->rec.hdr.pid = pid_tgid >> 32;
	sc->rec.hdr.tid = (__u32)pid_tgid;
	sc->rec.hdr.kind = REC_GENERIC;
	sc->rec.hdr.cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(sc->rec.hdr.comm, sizeof(sc->rec.hdr.comm));
	sc->rec.probe_id = id;
	sc->rec.data_len = data_len;
	tape_output_stack(&sc->rec.hdr, size, id);
}

struct args_state {
	struct generic_scratch *sc;
	const struct generic_conf *c;
	struct pt_regs *usdt_ctx; /* set: fetch argument i with bpf_usdt_arg() */
	__u64 val[GENERIC_MAX_ARGS];
	__u32 kernel;
};

/*
 * bpf_loop() callback: store argument @i at @st->sc->arg_off, an integer as 8
 * little-endian bytes, a string as a __u16 length and the bytes without NUL.
 * An argument that does not fit ends the list (user space sees the shorter
 * data).  A callback is verified once, not once per argument and path; so
 * USDT arguments are fetched here too: bpf_usdt_arg() is a static subprogram
 * the verifier walks at every call site, and an unrolled loop of twelve calls
 * costs a few hundred thousand instructions on one kernel build and more on
 * the next.
 */
static long store_arg(__u32 i, void *data)
{
	struct args_state *st = data;
	struct generic_scratch *sc = st->sc;
	__u32 off = sc->arg_off;
	__u64 v;
	long n;

	if (i >= GENERIC_MAX_ARGS)
		return 1;
	CLAMP(i, GENERIC_MAX_ARGS - 1);
	if (st->usdt_ctx) {
		long lv = 0;

		bpf_usdt_arg(st->usdt_ctx, i, &lv);
		v = lv;
	} else {
		v = st->val[i];
	}
	if (st->c->arg_type[i] != GENERIC_ARG_STR) {
		if (off > GENERIC_DATA_MAX - 8)
			return 1;
		CLAMP(off, GENERIC_DATA_MAX - 8);
		__builtin_memcpy(&sc->data[off], &v, sizeof(v));
		sc->arg_off = off + 8;
		return 0;
	}
	if (off > GENERIC_DATA_MAX - 2)
		return 1;
	CLAMP(off, GENERIC_DATA_MAX - 2);
	n = -1;
	if (st->kernel)
		n = bpf_probe_read_kernel_str(&sc->data[off + 2], GENERIC_STR_MAX, (const void *)v);
	/* kprobes often see __user pointers (syscall paths) */
	if (n < 0)
		n = bpf_probe_read_user_str(&sc->data[off + 2], GENERIC_STR_MAX, (const void *)v);
	n = n > 0 ? n - 1 : 0; /* without the NUL */
	if (n > GENERIC_DATA_MAX - 2 - off)
		n = GENERIC_DATA_MAX - 2 - off; /* cut to what fits */
	sc->data[off] = n & 0xff;
	sc->data[off + 1] = n >> 8;
	sc->arg_off = off + 2 + n;
	return 0;
}

/* Fetch the probe's argument values (ctx accesses must be made here, with
 * constant offsets), then store them; returns the data length. */
static __always_inline __u32 read_args(void *ctx, struct generic_scratch *sc,
				       const struct generic_conf *c, enum arg_src src, bool kernel)
{
	struct args_state st = {.sc = sc, .c = c, .kernel = kernel};
	__u32 nargs = c->nargs;

	if (nargs > GENERIC_MAX_ARGS)
		nargs = GENERIC_MAX_ARGS;
	if (src == SRC_REGS) {
		st.val[0] = PT_REGS_PARM1((struct pt_regs *)ctx);
		st.val[1] = PT_REGS_PARM2((struct pt_regs *)ctx);
		st.val[2] = PT_REGS_PARM3((struct pt_regs *)ctx);
		st.val[3] = PT_REGS_PARM4((struct pt_regs *)ctx);
		st.val[4] = PT_REGS_PARM5((struct pt_regs *)ctx);
		st.val[5] = PT_REGS_PARM6((struct pt_regs *)ctx);
		if (nargs > PROBE_REG_ARGS)
			nargs = PROBE_REG_ARGS;
	} else if (src == SRC_RET) {
		st.val[0] = PT_REGS_RC((struct pt_regs *)ctx);
		nargs = nargs ? 1 : 0;
	} else {
		st.usdt_ctx = ctx;
	}
	sc->arg_off = 0;
	bpf_loop(nargs, store_arg, &st, 0);
	return sc->arg_off;
}

static __always_inline int probe_fire(void *ctx, __u32 id, enum arg_src src, bool kernel)
{
	struct generic_scratch *sc;
	struct generic_conf *c;

	if (!tape_want())
		return 0;
	c = bpf_map_lookup_elem(&generic_conf, &id);
	sc = scratch_get();
	if (!c || !sc)
		return 0;
	stack_kernel_take(ctx, REC_GENERIC, id);
	generic_output(sc, id, read_args(ctx, sc, c, src, kernel));
	return 0;
}

SEC("uprobe")
int generic_uprobe(struct pt_regs *ctx)
{
	return probe_fire(ctx, bpf_get_attach_cookie(ctx), SRC_REGS, false);
}

SEC("uretprobe")
int generic_uretprobe(struct pt_regs *ctx)
{
	return probe_fire(ctx, bpf_get_attach_cookie(ctx), SRC_RET, false);
}

SEC("usdt")
int generic_usdt(struct pt_regs *ctx)
{
	return probe_fire(ctx, bpf_usdt_cookie(ctx), SRC_USDT, false);
}

SEC("kprobe")
int generic_kprobe(struct pt_regs *ctx)
{
	return probe_fire(ctx, bpf_get_attach_cookie(ctx), SRC_REGS, true);
}

SEC("kretprobe")
int generic_kretprobe(struct pt_regs *ctx)
{
	return probe_fire(ctx, bpf_get_attach_cookie(ctx), SRC_RET, true);
}

/*
 * Tracepoints: the raw record, common header included, as the kernel laid
 * it out; its format description travels in the tape.  The record's length
 * is not passed to BPF: it is the fixed part, extended to the end of the
 * furthest __data_loc/__rel_loc data.
 */
SEC("tracepoint")
int generic_tp(void *ctx)
{
	__u32 id = bpf_get_attach_cookie(ctx);
	struct generic_scratch *sc;
	struct generic_conf *c;
	__u32 len;

	if (!tape_want())
		return 0;
	c = bpf_map_lookup_elem(&generic_conf, &id);
	sc = scratch_get();
	if (!c || !sc)
		return 0;
	len = c->tp_fixed;
	for (__u32 i = 0; i < GENERIC_MAX_DYN; i++) {
		__u32 desc = 0, end, doff;

		if (i >= c->tp_ndyn)
			break;
		doff = c->tp_dyn_off[i];
		if (bpf_probe_read_kernel(&desc, sizeof(desc), ctx + doff))
			continue;
		end = (desc & 0xffff) + (desc >> 16);
		if (c->tp_dyn_rel[i])
			end += doff + 4;
		if (end > len)
			len = end;
	}
	CLAMP(len, GENERIC_DATA_MAX);
	if (bpf_probe_read_kernel(sc->data, len, ctx)) {
		/* a bad descriptor must not cost the fixed part */
		len = c->tp_fixed;
		CLAMP(len, GENERIC_DATA_MAX);
		if (bpf_probe_read_kernel(sc->data, len, ctx))
			len = 0;
	}
	stack_kernel_take(ctx, REC_GENERIC, id);
	generic_output(sc, id, len);
	return 0;
}
