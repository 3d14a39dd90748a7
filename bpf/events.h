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
	REC_MKDIR,   /* struct rec_mknod */
	REC_MKNOD,   /* struct rec_mknod */
	REC_LINK,    /* struct rec_rename */
	REC_SYMLINK, /* struct rec_rename: target at 0, olddfd unused */
	REC_MMAP,    /* struct rec_mmap (bpf/maps.bpf.c, stacks only) */
	REC_MUNMAP,  /* struct rec_munmap */
	REC_STACK,   /* struct rec_stack: the stack of the thread's next record (or inside it) */
	REC_KIND_MAX,
};

/*
 * Set in rec_hdr.kind of a record that has its stack, a struct rec_stack
 * (kind REC_STACK, the event's ts), in one of two places.  Inside: the
 * ring record is longer than rec_hdr.size, and the stack without its
 * header (struct rec_stack from nkernel on: the event's header stands for
 * it) starts at rec_hdr.size rounded up to 8 (zero padding before); the records
 * built in scratch memory (tape_output(), generic probes) do this, one
 * ring reservation for both.  Before: a REC_STACK record from the same
 * CPU came right before it in the ring (records reserved at their fixed
 * size); only the program that emitted that REC_STACK sets the flag, once
 * it is in the ring, so a flagged record always has its own stack before
 * it and a stack whose event was lost is never given to another event.
 */
#define REC_F_STACK 0x8000

struct rec_hdr {
	__u64 ts;  /* bpf_ktime_get_boot_ns() */
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

/*
 * The stack of the next record of this thread, or of the record it is in
 * (flagged REC_F_STACK either way):
 * @ips holds nkernel kernel return addresses then nuser user ones,
 * innermost first (BPF's own frames included: user space drops them);
 * then, with STACK_F_REGS, a struct rec_stack_regs and its @copy_len bytes
 * of user stack from regs[1] (sp) up, for unwinding code without frame
 * pointers.  Without a stack copy, the kernel remembers which stacks each
 * CPU has sent (@hash, of nkernel, nuser and the ips): the first record
 * of a stack on a CPU carries its frames and STACK_F_KEEP, the later ones
 * of that CPU STACK_F_SEEN and no frames (nkernel = nuser = 0), the
 * recorder taking them from the STACK_F_KEEP record with the same @hash
 * that came before in the same ring.
 */
#define REC_STACK_MAX  127  /* frames of each kind (the kernel's default perf_event_max_stack) */
#define REC_STACK_COPY 2048 /* user stack bytes copied at most */
#define STACK_F_REGS   1    /* a struct rec_stack_regs and the stack copy follow the ips */
#define STACK_F_KEEP   2    /* the kernel marked @hash sent on this CPU: keep the frames */
#define STACK_F_SEEN   4    /* the frames are those of the STACK_F_KEEP record with @hash */
struct rec_stack {
	struct rec_hdr hdr;
	__u16 nkernel;
	__u16 nuser;
	__u16 ev_kind; /* the kind of the record it belongs to */
	__u16 flags;   /* STACK_F_* */
	__u64 hash;    /* with STACK_F_KEEP or STACK_F_SEEN */
	__u64 ips[];
};
_Static_assert(sizeof(struct rec_stack) == 56, "rec_stack layout");

struct rec_stack_regs {
	__u64 regs[3]; /* user ip, sp, bp */
	__u32 copy_len;
	__u32 pad;
};
_Static_assert(sizeof(struct rec_stack_regs) == 32, "rec_stack_regs layout");

/* Stacks the kernel remembers as sent (keys of the `stack_sent` map),
 * per program object; past that, stacks are sent with their frames. */
#define STACK_SENT_MAX 16384
struct stack_sent_key {
	__u64 hash;
	__u32 cpu;
	__u32 pad;
};

/* Per-CPU loss accounting, one entry per CPU in the `drops` map. */
struct drop_stat {
	__u64 count; /* failed ring-buffer reservations */
	__u64 first_ts;
	__u64 last_ts;
};
_Static_assert(sizeof(struct drop_stat) == 24, "drop_stat layout");

/* Values in the `tracked` map. */
#define TRACK_ON   1 /* followed */
#define TRACK_EXEC 2 /* followed from its next exec on (a command bpftape starts) */
/* Words of `tracked_on`, a bit per tgid: every pid the kernel can hand out
 * (PID_MAX_LIMIT, 4M on 64-bit), 512 KiB */
#define TRACKED_ON_WORDS (4u * 1024 * 1024 / 64)
/* @tgid's word in `tracked_on`, and its bit in that word */
#define TRACKED_ON_WORD(tgid) ((tgid) / 64)
#define TRACKED_ON_BIT(tgid)  (1ull << ((tgid)&63))

/* Filter flags for `filter_flags` (rodata): all set filters must match. */
#define FILTER_PIDS   0x1 /* tgid in `tracked` (a pid and its descendants) */
#define FILTER_COMM   0x2 /* comm == filter_comm */
#define FILTER_CGROUP 0x4 /* cgroup id == filter_cgroup */
#define FILTER_UID    0x8 /* uid == filter_uid */

/* ---- built-in families: one record layout per kind -------------------- */

/* String and byte limits read in the kernel (constant bounds for the verifier). */
#define REC_PATH_MAX 256
#define REC_ARGV_MAX 1024 /* bytes of NUL-separated argv kept for exec */
#define REC_ADDR_MAX 128  /* sockaddr bytes (sockaddr_storage); 127 kept at most */

struct rec_fork {
	struct rec_hdr hdr;
	__u32 parent_pid;
	__u32 child_pid; /* tgid of the child (== parent_pid for a thread) */
	__u32 child_tid;
	__u32 pad;
};
_Static_assert(sizeof(struct rec_fork) == 56, "rec_fork layout");

/*
 * @data: filename (filename_len bytes), then argv right after it (argv_len
 * bytes, NUL-separated, no trailing NUL).  One rule for successful and
 * failed execs: argv keeps the first REC_ARGV_MAX bytes of the joined
 * argument list, and @truncated says what was cut (REC_EXEC_TRUNC_*), so a
 * cut command line never looks whole.  hdr.size covers only the bytes
 * used.  The slack past REC_ARGV_MAX lets the verifier accept a read of up
 * to REC_ARGV_MAX + 1 bytes at any offset below it without relating the two.
 */
#define REC_EXEC_TRUNC_ARGV	1 /* argv longer than REC_ARGV_MAX bytes */
#define REC_EXEC_TRUNC_FILENAME 2 /* filename of REC_PATH_MAX bytes or more */
struct rec_exec {
	struct rec_hdr hdr;
	__s32 ret;
	__u16 filename_len;
	__u16 argv_len;
	__u8 truncated; /* REC_EXEC_TRUNC_* */
	__u8 pad[7];
	__u64 cgroup_id; /* cgroup v2 id of the task: user space names its container */
	__u8 data[REC_PATH_MAX + 2 * REC_ARGV_MAX + 8];
};
_Static_assert(sizeof(struct rec_exec) == 64 + REC_PATH_MAX + 2 * REC_ARGV_MAX + 8,
	       "rec_exec layout");

struct rec_exit {
	struct rec_hdr hdr;
	__s32 code;   /* exit status (exit_code >> 8) */
	__s32 signal; /* terminating signal, 0 if none */
};
_Static_assert(sizeof(struct rec_exit) == 48, "rec_exit layout");

/* Values of rec_open.syscall (the enum `open_syscall` in the schema). */
#define REC_OPEN_OPEN	 0
#define REC_OPEN_OPENAT	 1
#define REC_OPEN_OPENAT2 2
#define REC_OPEN_CREAT	 3 /* creat(path, mode): flags O_CREAT|O_WRONLY|O_TRUNC */

/*
 * The single-path records (rec_open, rec_unlink, rec_mknod) end at their
 * path's last used byte: hdr.size is the offset of @path plus @path_len,
 * so that the ring holds only those bytes.
 */
struct rec_open {
	struct rec_hdr hdr;
	__s32 dfd;
	__u32 flags;
	__u32 mode;
	__s32 ret;
	__u16 syscall; /* REC_OPEN_* */
	__u16 path_len;
	__u32 pad;
	__u8 path[REC_PATH_MAX];
};
_Static_assert(sizeof(struct rec_open) == 64 + REC_PATH_MAX, "rec_open layout");

struct rec_close {
	struct rec_hdr hdr;
	__s32 fd;
	__s32 ret;
};
_Static_assert(sizeof(struct rec_close) == 48, "rec_close layout");

struct rec_unlink {
	struct rec_hdr hdr;
	__s32 dfd;
	__u32 flags;
	__s32 ret;
	__u16 path_len;
	__u16 pad;
	__u8 path[REC_PATH_MAX];
};
_Static_assert(sizeof(struct rec_unlink) == 56 + REC_PATH_MAX, "rec_unlink layout");

/* REC_MKDIR (mkdir, mkdirat: @dev 0) and REC_MKNOD (mknod, mknodat). */
struct rec_mknod {
	struct rec_hdr hdr;
	__s32 dfd;
	__u32 mode;
	__u32 dev;
	__s32 ret;
	__u16 path_len;
	__u16 pad[3];
	__u8 path[REC_PATH_MAX];
};
_Static_assert(sizeof(struct rec_mknod) == 64 + REC_PATH_MAX, "rec_mknod layout");

/*
 * REC_RENAME, REC_LINK and REC_SYMLINK: @data holds oldpath (a symlink's
 * target) at 0 (oldpath_len bytes), newpath at REC_PATH_MAX.
 */
struct rec_rename {
	struct rec_hdr hdr;
	__s32 olddfd;
	__s32 newdfd;
	__u32 flags;
	__s32 ret;
	__u16 oldpath_len;
	__u16 newpath_len;
	__u32 pad;
	__u8 data[2 * REC_PATH_MAX];
};
_Static_assert(sizeof(struct rec_rename) == 64 + 2 * REC_PATH_MAX, "rec_rename layout");

/* REC_READ and REC_WRITE. */
struct rec_rw {
	struct rec_hdr hdr;
	__s32 fd;
	__u32 pad;
	__u64 count;
	__s64 ret;
};
_Static_assert(sizeof(struct rec_rw) == 64, "rec_rw layout");

/* REC_CONNECT, REC_ACCEPT, REC_BIND: @addr is the user's sockaddr as passed
 * (connect, bind) or as returned (accept: the peer). */
struct rec_sock {
	struct rec_hdr hdr;
	__s32 fd;
	__s32 ret;
	__u32 addr_len;
	__u32 pad;
	__u8 addr[REC_ADDR_MAX];
};
_Static_assert(sizeof(struct rec_sock) == 56 + REC_ADDR_MAX, "rec_sock layout");

/* Addresses as struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes). */
struct rec_tcp_state {
	struct rec_hdr hdr;
	__u8 oldstate;
	__u8 newstate;
	__u8 saddr_len;
	__u8 daddr_len;
	__u32 pad;
	__u8 saddr[28];
	__u8 daddr[28];
};
_Static_assert(sizeof(struct rec_tcp_state) == 104, "rec_tcp_state layout");

/* hdr.ts is the syscall's entry time. */
struct rec_syscall {
	struct rec_hdr hdr;
	__u32 nr;
	__u32 pad;
	__u64 args[6];
	__s64 ret;
	__u64 latency;
};
_Static_assert(sizeof(struct rec_syscall) == 112, "rec_syscall layout");

struct rec_sched_switch {
	struct rec_hdr hdr;
	__u32 prev_pid;
	__u32 next_pid;
	__u64 prev_state;
	char prev_comm[REC_COMM_LEN];
	char next_comm[REC_COMM_LEN];
};
_Static_assert(sizeof(struct rec_sched_switch) == 88, "rec_sched_switch layout");

/* Values of rec_signal.ret: what signal_generate reports. */
#define REC_SIG_DELIVERED	0
#define REC_SIG_IGNORED		1
#define REC_SIG_ALREADY_PENDING 2
#define REC_SIG_OVERFLOW_FAIL	3
#define REC_SIG_LOSE_INFO	4

/* hdr pid/tid: the sender. */
struct rec_signal {
	struct rec_hdr hdr;
	__s32 sig;
	__u32 target_pid;
	__s32 code;
	__s32 ret; /* REC_SIG_* */
};
_Static_assert(sizeof(struct rec_signal) == 56, "rec_signal layout");

/*
 * Values of the net family's `sock_owner` socket storage: who a TCP socket
 * belongs to (bpf/net.bpf.c).  The recorder writes them too, for the
 * sockets a -p process held before the recording started.
 */
struct sock_owner {
	__u32 pid; /* tgid */
	__u32 tid;
	char comm[REC_COMM_LEN];
	__u8 want; /* the filters selected the owner when it claimed the socket */
	__u8 pad[7];
};
_Static_assert(sizeof(struct sock_owner) == 32, "sock_owner layout");

/*
 * REC_MMAP: an executable file mapping appeared in the process (mmap or
 * mprotect with PROT_EXEC, or the image an exec mapped).  @dev is the
 * kernel's dev_t (major << 20 | minor) of the file's super block, @pgoff
 * the file offset in bytes of @start.  @path is the file's path from its
 * mount namespace's root, @path_len bytes without a NUL.
 */
#define REC_MMAP_TRUNC 1 /* the path was longer than REC_PATH_MAX, or deeper than the walk */
struct rec_mmap {
	struct rec_hdr hdr;
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u64 ino;
	__u32 dev;
	__u16 flags; /* REC_MMAP_* */
	__u16 path_len;
	__u8 path[REC_PATH_MAX];
};
_Static_assert(sizeof(struct rec_mmap) == 80 + REC_PATH_MAX, "rec_mmap layout");

/*
 * REC_MUNMAP: [start, end) is no longer mapped executable (munmap, or
 * mprotect without PROT_EXEC); with REC_MUNMAP_EXEC, an exec replaced the
 * whole address space (the new image's REC_MMAP records follow).
 */
#define REC_MUNMAP_EXEC 1
struct rec_munmap {
	struct rec_hdr hdr;
	__u64 start;
	__u64 end;
	__u32 flags; /* REC_MUNMAP_* */
	__u32 pad;
};
_Static_assert(sizeof(struct rec_munmap) == 64, "rec_munmap layout");

/* Which events of a family to emit (`want` rodata of each family). */
#define WANT_FORK	  (1u << 0)
#define WANT_EXEC	  (1u << 1)
#define WANT_EXIT	  (1u << 2)
#define WANT_OPEN	  (1u << 3)
#define WANT_CLOSE	  (1u << 4)
#define WANT_UNLINK	  (1u << 5)
#define WANT_RENAME	  (1u << 6)
#define WANT_READ	  (1u << 7)
#define WANT_WRITE	  (1u << 8)
#define WANT_CONNECT	  (1u << 9)
#define WANT_ACCEPT	  (1u << 10)
#define WANT_BIND	  (1u << 11)
#define WANT_TCP_STATE	  (1u << 12)
#define WANT_SYSCALL	  (1u << 13)
#define WANT_SCHED_SWITCH (1u << 14)
#define WANT_SIGNAL	  (1u << 15)
#define WANT_MKDIR	  (1u << 16)
#define WANT_MKNOD	  (1u << 17)
#define WANT_LINK	  (1u << 18)
#define WANT_SYMLINK	  (1u << 19)
/* not an event: the file family's sys_exit program also follows the
 * executable mappings for user stacks (bpf/mmap.bpf.h), in place of the
 * mappings probes' own */
#define WANT_MMAP (1u << 20)

#endif /* BPFTAPE_EVENTS_H */
