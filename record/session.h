/* SPDX-License-Identifier: MIT */
/*
 * A recording session: what every BPF skeleton of one `bpftape record` run
 * shares, and how probe modules plug into the consumer.
 *
 * The session creates the shared maps (`events`, a ring buffer per CPU,
 * per-CPU `drops`, `tracked` pids and their bits in `tracked_on`, the
 * `gate` that holds events back until every probe is attached) itself,
 * before any skeleton is opened, so that
 * no skeleton is special: each one, between open and load, calls
 * RECORD_SESSION_SET_RODATA() and record_session__reuse_maps(), then loads
 * and attaches.  All records then arrive in the rings, one per CPU, that
 * the recorder's consumer drains (the tape writer orders them by time).
 *
 * Records of kind REC_GENERIC are handed to the sources registered with
 * record_session__add_source(); everything else is decoded by record/.
 *
 * Ownership: the session owns the map fds and the registered sources (it
 * calls each source's free() when it is freed).  Skeletons stay owned by
 * whoever opened them and must be destroyed before the session is freed.
 */
#ifndef BPFTAPE_RECORD_SESSION_H
#define BPFTAPE_RECORD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"

struct bpf_object;
struct tape_writer;

/*
 * A producer of REC_GENERIC records (the probes module registers one).
 * Callbacks run on the thread that writes the tape, never concurrently.
 */
struct record_source_ops {
	const char *name; /* for messages, e.g. "generic probes" */
	/*
	 * Define this source's event types on @w.  Called once for every tape
	 * the session writes (a fresh writer after each rotation), before any
	 * event is appended; type ids are per writer, so remember them here.
	 * 0 or -errno.
	 */
	int (*add_types)(void *ctx, struct tape_writer *w);
	/*
	 * Translate one REC_GENERIC record of @size bytes (header included,
	 * size checked >= sizeof(*rec); its kind may carry REC_F_STACK) into
	 * tape_writer__append() calls on @w, with @stack_id (0: none).  Return 0 when done, -ENOENT
	 * if @rec->probe_id is not this source's (the next source is tried), other -errno on
	 * failure: I/O errors from the writer stop the recording.
	 */
	int (*emit)(void *ctx, struct tape_writer *w, const struct rec_generic *rec, size_t size,
		    uint32_t stack_id);
	/* Release @ctx (may be NULL). */
	void (*free)(void *ctx);
};

#define RECORD_MAX_SOURCES 8

struct record_session_source {
	const struct record_source_ops *ops;
	void *ctx;
};

struct record_session {
	/* Shared maps, created by record_session__create_maps(); -1 until then. */
	int events_fd; /* the array of the rings, indexed by CPU */
	int *ring_fds; /* each possible CPU's ring buffer */
	int nrings;
	int nonline; /* rings of buffer_bytes; the others (offline CPUs) hold a page */
	int drops_fd;
	int tracked_fd;
	int tracked_on_fd; /* bits of `tracked`'s TRACK_ON tgids (bpf/common.bpf.h) */
	__u64 *tracked_on; /* it, mapped */
	size_t tracked_on_len;
	int gate_fd;

	/* The values every skeleton's rodata gets (see common.bpf.h). */
	__u32 self_tgid;
	__u32 filter_flags; /* FILTER_* */
	char filter_comm[REC_COMM_LEN];
	__u64 filter_cgroup;
	__u32 filter_cgroup_level; /* 0: the task's own cgroup; else its ancestor at this depth */
	__u32 filter_uid;
	__u64 wakeup_bytes;
	/* -g, --stacks: see bpf/stack.bpf.h */
	__u32 stack_kinds, stack_kernel_kinds, stack_depth, stack_copy;
	__u64 stack_seed; /* of the stack hashes: random per session */

	__u32 buffer_bytes; /* each CPU's ring, a power of two >= page size */
	bool verbose;	    /* -v: libbpf debug output, attach details */

	size_t nsources;
	struct record_session_source sources[RECORD_MAX_SOURCES];
};

/* Initialise @s to "no filter, no maps, no sources" (fds = -1). */
void record_session__init(struct record_session *s);

/*
 * Create the shared maps (a ring buffer of @s->buffer_bytes for each
 * online CPU, of a page for a possible one that is offline).  Call after
 * setting the filter fields and before opening any skeleton.  0 or -errno.
 */
int record_session__create_maps(struct record_session *s);

/*
 * Follow process @pid as @how (TRACK_ON, or TRACK_EXEC: from its next exec
 * on) under FILTER_PIDS: `tracked` and, for TRACK_ON, its bit.  0 or -errno.
 */
int record_session__track(struct record_session *s, __u32 pid, __u8 how);

/*
 * Make @obj (opened, not loaded) use the session's `events`, `drops`,
 * `tracked`, `tracked_on` and `gate` maps.  A skeleton that lacks one of them is fine.  0 or
 * -errno.
 */
int record_session__reuse_maps(const struct record_session *s, struct bpf_object *obj);

/*
 * Let events through: call once every probe of the session is attached.
 * Until then the programs keep the `tracked` set current but emit nothing,
 * so a tape never holds the events of a partly attached recording.
 * 0 or -errno.
 */
int record_session__open_gate(const struct record_session *s);

/*
 * Copy the session's filter and wakeup settings into an opened skeleton's
 * rodata (every skeleton built on common.bpf.h has these names).
 */
#define RECORD_SESSION_SET_RODATA(s, skel)                                                         \
	do {                                                                                       \
		(skel)->rodata->self_tgid = (s)->self_tgid;                                        \
		(skel)->rodata->filter_flags = (s)->filter_flags;                                  \
		memcpy((void *)(skel)->rodata->filter_comm, (s)->filter_comm,                      \
		       sizeof((skel)->rodata->filter_comm));                                       \
		(skel)->rodata->filter_cgroup = (s)->filter_cgroup;                                \
		(skel)->rodata->filter_cgroup_level = (s)->filter_cgroup_level;                    \
		(skel)->rodata->filter_uid = (s)->filter_uid;                                      \
		(skel)->rodata->wakeup_bytes = (s)->wakeup_bytes;                                  \
		(skel)->rodata->stack_kinds = (s)->stack_kinds;                                    \
		(skel)->rodata->stack_kernel_kinds = (s)->stack_kernel_kinds;                      \
		(skel)->rodata->stack_depth = (s)->stack_depth;                                    \
		(skel)->rodata->stack_copy = (s)->stack_copy;                                      \
		(skel)->rodata->stack_seed = (s)->stack_seed;                                      \
	} while (0)

/*
 * Register a source of REC_GENERIC records; the session takes @ctx and
 * calls @ops->free(@ctx) when it is freed (also when this call fails).
 * 0, -ENOSPC if RECORD_MAX_SOURCES are registered.
 */
int record_session__add_source(struct record_session *s, const struct record_source_ops *ops,
			       void *ctx);

/* Close the maps and free the sources.  Accepts NULL. */
void record_session__free(struct record_session *s);

#endif /* BPFTAPE_RECORD_SESSION_H */
