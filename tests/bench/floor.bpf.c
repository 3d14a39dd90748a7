// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of bench_record: the least any recorder can do per openat and
 * still hold what `bpftape record -e open` keeps (path, comm, pid/tid, dfd,
 * flags, mode, a timestamp and the CPU) in a ring buffer.  One program on
 * the very tracepoint perf uses, a filter that is a single compare, a
 * record of bpftape's own layout (struct rec_open), no wakeup: the consumer
 * polls and only counts.  The return value is not known at entry; bpftape
 * pays for it with a second point or an exit-time program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* bpftape's default --buffer */
} floor_events SEC(".maps");

const volatile __u32 target_tgid;

SEC("tp/syscalls/sys_enter_openat")
int floor_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rec_open *r;
	long n;

	if (id >> 32 != target_tgid)
		return 0;
	r = bpf_ringbuf_reserve(&floor_events, sizeof(*r), 0);
	if (!r)
		return 0;
	r->hdr.ts = bpf_ktime_get_boot_ns();
	r->hdr.pid = id >> 32;
	r->hdr.tid = (__u32)id;
	r->hdr.kind = REC_OPEN;
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.size = sizeof(*r);
	bpf_get_current_comm(r->hdr.comm, sizeof(r->hdr.comm));
	r->dfd = ctx->args[0];
	r->flags = ctx->args[2];
	r->mode = ctx->args[3];
	r->ret = 0;
	r->syscall = REC_OPEN_OPENAT;
	r->pad = 0;
	n = bpf_probe_read_user_str(r->path, sizeof(r->path), (const void *)ctx->args[1]);
	r->path_len = n > 0 ? n - 1 : 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
