/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF-side helpers shared by every probe family: the ring buffer, in-kernel
 * filters, loss accounting and batched wakeups.
 *
 * Each family's skeleton has its own copies of these maps; the recorder
 * loads the first skeleton and makes the others reuse its map fds
 * (bpf_map__reuse_fd) so that there is one set of rings, one drop table and
 * one tracked-pid set.  The rodata below is set identically in each.
 */
#ifndef BPFTAPE_COMMON_BPF_H
#define BPFTAPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

/*
 * One ring buffer per CPU, the slot of each CPU holding its own: a record
 * costs mostly the cache lines it writes, and a CPU cycling through its
 * own ring touches a fraction of what one shared ring would make it walk,
 * without the lock and the positions every CPU would share
 * (docs/RECORDING.md, "Where the time goes").  The recorder creates the
 * rings (--buffer each) and the array; these sizes are placeholders.
 */
struct tape_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct tape_ring);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drop_stat);
} drops SEC(".maps");

/* Processes (tgids) followed under FILTER_PIDS: value TRACK_ON, or
 * TRACK_EXEC until the process execs (proc family). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

/*
 * The tgids `tracked` holds as TRACK_ON, a bit each (word tgid / 64), set
 * and cleared with it (track_on(), untrack(), and the recorder's
 * record_session__track()): the filter of every event then costs an
 * array lookup the verifier inlines instead of a hash lookup, which on
 * the openat storm was the largest piece of the filters
 * (docs/RECORDING.md).  TRACKED_ON_WORDS under FILTER_PIDS (the recorder
 * creates it, mmap-able so that its own updates are atomic too); the hash
 * still answers for an armed exec (TRACK_EXEC) and a tgid past the words.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} tracked_on SEC(".maps");

/*
 * Entry 0 turns non-zero once every probe of the recording is attached: the
 * recorder opens it after the last attach (and after taking record.start_ts),
 * so no event of a partly attached recording reaches the tape, as perf and
 * trace-cmd enable their events only once all are in place.  Bookkeeping
 * that keeps the filters right (the `tracked` set) runs before it opens.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gate SEC(".maps");

const volatile __u32 self_tgid;	   /* the recorder: never recorded */
const volatile __u32 filter_flags; /* FILTER_* */
const volatile char filter_comm[REC_COMM_LEN];
const volatile __u64 filter_cgroup;
/* --container: the container's cgroup is the task's ancestor at this depth
 * (its own cgroup or one below it, as systemd inside a container makes) */
const volatile __u32 filter_cgroup_level;
const volatile __u32 filter_uid;
/* Wake the consumer only once this much data is waiting (0: every record). */
const volatile __u64 wakeup_bytes;

static __always_inline bool comm_matches(void)
{
	char comm[REC_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < REC_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/*
 * @v clamped to [0, @mask] in the register that is used afterwards: clang
 * otherwise tests a copy and the verifier sees an unbounded length.
 * @mask is a power of two minus one.
 */
#define BOUND(v, mask)                                                                             \
	({                                                                                         \
		__u64 __b = (v);                                                                   \
		if (__b > (mask))                                                                  \
			__b = (mask);                                                              \
		asm volatile("%0 &= %1" : "+r"(__b) : "i"(mask));                                  \
		__b;                                                                               \
	})

/* @tgid's word in tracked_on, NULL past its end */
static __always_inline __u64 *tracked_word(__u32 tgid)
{
	__u32 k = TRACKED_ON_WORD(tgid);

	return bpf_map_lookup_elem(&tracked_on, &k);
}

/* Follow @tgid from now on: TRACK_ON in `tracked`, and its bit. */
static __always_inline void track_on(__u32 tgid)
{
	__u8 on = TRACK_ON;
	__u64 *w;

	if (bpf_map_update_elem(&tracked, &tgid, &on, BPF_ANY))
		return;
	w = tracked_word(tgid);
	if (w)
		__sync_fetch_and_or(w, TRACKED_ON_BIT(tgid));
}

/* Stop following @tgid (its bit first: the hash is what the bit stands for). */
static __always_inline void untrack(__u32 tgid)
{
	__u64 *w = tracked_word(tgid);

	if (w)
		__sync_fetch_and_and(w, ~TRACKED_ON_BIT(tgid));
	bpf_map_delete_elem(&tracked, &tgid);
}

static __always_inline bool tape_live(void)
{
	__u32 zero = 0;
	__u32 *g = bpf_map_lookup_elem(&gate, &zero);

	return g && *g;
}

/*
 * Do the filters select the current task?  @armed: also a task armed to be
 * followed from its next exec (TRACK_EXEC), for the exec syscall itself.
 */
static __always_inline bool tape_match(bool armed)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid == self_tgid)
		return false;
	if (filter_flags & FILTER_PIDS) {
		__u64 *w = tracked_word(tgid);

		/* the bit answers for a followed process; the hash only for
		 * the exec of an armed one, or a tgid past the bits */
		if (!w || !(*w & TRACKED_ON_BIT(tgid))) {
			__u8 *t;

			if (w && !armed)
				return false;
			t = bpf_map_lookup_elem(&tracked, &tgid);
			if (!t || (*t != TRACK_ON && !(armed && *t == TRACK_EXEC)))
				return false;
		}
	}
	if ((filter_flags & FILTER_UID) && (__u32)bpf_get_current_uid_gid() != filter_uid)
		return false;
	if ((filter_flags & FILTER_CGROUP) &&
	    (filter_cgroup_level ? bpf_get_current_ancestor_cgroup_id(filter_cgroup_level)
				 : bpf_get_current_cgroup_id()) != filter_cgroup)
		return false;
	if ((filter_flags & FILTER_COMM) && !comm_matches())
		return false;
	return true;
}

/* Should the current task's event be recorded now? */
static __always_inline bool tape_want(void)
{
	return tape_live() && tape_match(false);
}

/*
 * tape_want() for an exec syscall: the exec of a command bpftape starts
 * (armed with TRACK_EXEC) is that command's first event, not bpftape's.
 */
static __always_inline bool tape_want_exec(void)
{
	return tape_live() && tape_match(true);
}

/* This CPU's ring; NULL only if the recorder left its slot empty. */
static __always_inline void *tape_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&events, &cpu);
}

static __always_inline void count_drop(__u64 ts)
{
	__u32 zero = 0;
	struct drop_stat *d = bpf_map_lookup_elem(&drops, &zero);

	if (!d)
		return;
	if (!d->count)
		d->first_ts = ts;
	d->last_ts = ts;
	d->count++;
}

#include "stack.bpf.h"

/* Reserve @size bytes and fill the header; NULL (loss counted) if full. */
static __always_inline void *tape_reserve(__u32 size, __u16 kind)
{
	__u16 stack = stack_emit(kind, 0);
	__u64 ts = bpf_ktime_get_boot_ns();
	__u64 id = bpf_get_current_pid_tgid();
	void *ring = tape_ring();
	struct rec_hdr *h;

	h = ring ? bpf_ringbuf_reserve(ring, size, 0) : NULL;
	if (!h) {
		count_drop(ts);
		return NULL;
	}
	h->ts = ts;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->kind = kind | stack;
	h->cpu = bpf_get_smp_processor_id();
	h->size = size;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	return h;
}

/* Fill the header of a record built outside the ring buffer (tape_output). */
static __always_inline void tape_fill(struct rec_hdr *h, __u16 kind)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->ts = bpf_ktime_get_boot_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * Wake the consumer only for the record that takes @ring's waiting data
 * across wakeup_bytes (0: every record): a wakeup is an irq_work that
 * interrupts this CPU and wakes a task, and waking for every record past
 * the threshold until the consumer has run paid that for hundreds of
 * records in a storm.  The consumer, woken edge-triggered, takes all that
 * waits, so the next crossing comes from below again; a crossing missed in
 * a race with it is made up by its poll timeout.  @size: the record's ring
 * bytes; @in_ring: whether they are already counted (reserved).
 */
static __always_inline __u64 wakeup_flag(void *ring, __u32 size, bool in_ring)
{
	__u64 avail, before;

	if (!wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	size = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
	avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	before = in_ring ? avail - size : avail;
	return before < wakeup_bytes && before + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
								      : BPF_RB_NO_WAKEUP;
}

/*
 * Copy the first @size bytes of record @h, built in scratch memory, into
 * this CPU's ring, without a stack (loss counted if full): for records that
 * never take one, whose programs then need none of stack_build()'s stack
 * space.
 */
static __always_inline void tape_output_bare(struct rec_hdr *h, __u32 size)
{
	void *ring = tape_ring();

	h->size = size;
	if (!ring || bpf_ringbuf_output(ring, h, size, wakeup_flag(ring, size, false)))
		count_drop(h->ts);
}

/*
 * Copy the first @size bytes of a record built in scratch
 * memory into the ring buffer, for generic probe @probe_id: for records
 * with a long variable tail, so that the ring holds only the bytes used
 * (loss counted if full).  Its stack, if one is taken, goes into the same
 * ring record after the record's own bytes, 8-aligned, without its header
 * (see REC_F_STACK):
 * one reservation and one timestamp for both; a stack this CPU has sent
 * before goes as its hash alone (stack_refer()).
 */
static __always_inline void tape_output_stack(struct rec_hdr *h, __u32 size, __u32 probe_id)
{
	struct rec_stack *st;
	struct bpf_dynptr ptr;
	__u64 gen;
	__u32 slen = stack_build(h->kind, probe_id, h->ts, &st, &gen);
	__u64 zero = 0;
	__u32 off, total;
	void *ring;

	if (!slen) {
		tape_output_bare(h, size);
		return;
	}
	h->size = size;
	ring = tape_ring();
	if (!ring) {
		count_drop(h->ts);
		return;
	}
	h->kind |= REC_F_STACK;
	slen = stack_refer(st, slen);
	off = (size + 7) & ~7u;
	/* without its header: the event's says the same */
	slen -= sizeof(struct rec_hdr);
	total = off + slen;
	if (bpf_ringbuf_reserve_dynptr(ring, total, 0, &ptr)) {
		bpf_ringbuf_discard_dynptr(&ptr, BPF_RB_NO_WAKEUP);
		count_drop(h->ts);
		return;
	}
	/* the padding, so that no stale ring bytes go out */
	if (off != size)
		bpf_dynptr_write(&ptr, off - 8, &zero, 8, 0);
	bpf_dynptr_write(&ptr, 0, h, size, 0);
	if (slen > STACK_RAW_BYTES - sizeof(struct rec_hdr))
		slen = STACK_RAW_BYTES - sizeof(struct rec_hdr);
	stack_put(&ptr, off - sizeof(struct rec_hdr), st, sizeof(struct rec_hdr), slen, gen);
	bpf_ringbuf_submit_dynptr(&ptr, wakeup_flag(ring, total, true));
}

/* tape_output_stack() for the builtin events' records */
static __always_inline void tape_output(struct rec_hdr *h, __u32 size)
{
	tape_output_stack(h, size, 0);
}

/* Submit, waking the consumer only when enough data is waiting. */
static __always_inline void tape_submit(void *rec)
{
	void *ring = tape_ring();

	/* the ring the record was reserved in: the program runs on one CPU */
	bpf_ringbuf_submit(rec, ring ? wakeup_flag(ring, ((struct rec_hdr *)rec)->size, true)
				     : BPF_RB_FORCE_WAKEUP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif /* BPFTAPE_COMMON_BPF_H */
