/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel -> user record ABI shared by every bpf/ *.bpf.c and record/.
 *
 * This is not the tape format: it may change with the recorder, and the
 * recorder translates it into format/ events.  Fixed-width types, no holes,
 * sizes asserted.  Every record starts with struct rec_hdr.
 */
#ifndef BPFTAPE_EVENTS_H
#define BPFTAPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define REC_COMM_LEN 16

/* Record kinds.  Built-in families first; generic probes use REC_GENERIC. */
enum rec_kind {
	REC_FORK = 1,
	REC_EXEC,
	REC_EXIT,
	REC_OPEN,
	REC_CLOSE,
	REC_UNLINK,
	REC_RENAME,
	REC_READ,
	REC_WRITE,
	REC_CONNECT,
	REC_ACCEPT,
	REC_BIND,
	REC_TCP_STATE,
	REC_SYSCALL,
	REC_SCHED_SWITCH,
	REC_SIGNAL,
	REC_GENERIC, /* struct rec_generic: tracepoint/uprobe/usdt/kprobe */
	REC_KIND_MAX,
};

struct rec_hdr {
	__u64 ts; /* bpf_ktime_get_boot_ns() */
	__u32 pid; /* tgid */
	__u32 tid;
	__u16 kind; /* enum rec_kind */
	__u16 cpu;
	__u32 size; /* bytes of the whole record, header included */
	char comm[REC_COMM_LEN];
};
_Static_assert(sizeof(struct rec_hdr) == 40, "rec_hdr layout");

/*
 * Generic probe record: @probe_id is the BPF cookie of the attachment, which
 * record/ maps back to the probe spec and its argument types.  @data holds
 * the arguments in spec order: integers as 8 little-endian bytes, strings as
 * a __u16 length then that many bytes (no NUL); for tracepoints, the raw
 * trace record as the kernel laid it out (data_len bytes).
 */
struct rec_generic {
	struct rec_hdr hdr;
	__u32 probe_id;
	__u32 data_len;
	__u8 data[];
};
_Static_assert(sizeof(struct rec_generic) == 48, "rec_generic layout");

/* Per-CPU loss accounting, one entry per CPU in the `drops` map. */
struct drop_stat {
	__u64 count; /* failed ring-buffer reservations */
	__u64 first_ts;
	__u64 last_ts;
};
_Static_assert(sizeof(struct drop_stat) == 24, "drop_stat layout");

/* Filter flags for `filter_flags` (rodata): all set filters must match. */
#define FILTER_PIDS 0x1   /* tgid in `tracked` (a pid and its descendants) */
#define FILTER_COMM 0x2   /* comm == filter_comm */
#define FILTER_CGROUP 0x4 /* cgroup id == filter_cgroup */
#define FILTER_UID 0x8    /* uid == filter_uid */

#endif /* BPFTAPE_EVENTS_H */
