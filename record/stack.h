/* SPDX-License-Identifier: MIT */
/*
 * Stacks in the recorder (`record -g`): REC_STACK records from the ring
 * are held per thread until the thread's flagged event comes; its frames
 * are then resolved (kernel: ksyms, user: stackres) and de-duplicated, so
 * each distinct stack is defined once per tape (tape_writer__add_stack())
 * and every event carries its id.  The consumer thread owns it.
 */
#ifndef BPFTAPE_RECORD_STACK_H
#define BPFTAPE_RECORD_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "../bpf/events.h"

struct maps;
struct stacks;
struct tape_writer;

/* Keep @depth frames of each of the kernel and user stacks.  NULL +
 * errno.  Kernel symbols are read at the first kernel frame. */
struct stacks *stacks__new(unsigned depth);
void stacks__free(struct stacks *st);

/* A REC_STACK record of @size bytes: -EBADMSG if malformed. */
int stacks__hold(struct stacks *st, const struct rec_stack *rec, size_t size);

/*
 * The stack id of the flagged record @h: 0 if its stack is not there
 * (counted in stacks__lost()).  A stack not yet in @w's tape is defined
 * on @w first.  -errno for a writer error.
 */
int64_t stacks__take(struct stacks *st, struct tape_writer *w, const struct rec_hdr *h);

/*
 * Read the kernel's symbols (/proc/kallsyms) now rather than at the first
 * kernel frame: the read takes tens of milliseconds, which a storm's
 * events would spend filling the rings while the consumer waits for it.
 * 0, or a negative errno (-ENODATA: no addresses, kernel.kptr_restrict)
 * and kernel frames stay unnamed.  Read once: later calls say the same.
 */
int stacks__load_kernel(struct stacks *st);

/* Resolve user frames through the mapping tracker @m (not owned; it
 * outlives @st): frames carry its binary ids.  Without it, through
 * /proc/PID/maps alone, and the writer numbers the binaries. */
void stacks__set_maps(struct stacks *st, struct maps *m);

/*
 * Called when a user frame of a stack taken at @ts lies in no mapping the
 * tracker knows and its process has none left in /proc: the records of
 * other CPUs' rings up to @ts may hold its mappings (a process that
 * exec'd on one CPU, made the event on another and exited), so the
 * caller handles them; the number it handled, and if not 0, the stack is
 * resolved again.  @fn may call stacks__hold() and stacks__take() for
 * other CPUs.
 */
typedef unsigned (*stacks_catch_up_fn)(void *ctx, uint64_t ts);
void stacks__set_catch_up(struct stacks *st, stacks_catch_up_fn fn, void *ctx);

/* Process @pid exec'd: its old mappings no longer hold. */
void stacks__exec(struct stacks *st, uint32_t pid);

/* A new tape begins (rotation): every stack is defined again there. */
void stacks__new_tape(struct stacks *st);

uint64_t stacks__lost(const struct stacks *st);
/* Stacks unwound from a stack copy (--stack-copy), and how many of them
 * have a gap frame: where the copy or the CFI ran out. */
void stacks__unwind_stats(const struct stacks *st, uint64_t *unwound, uint64_t *gaps);
uint64_t stacks__distinct(const struct stacks *st);
/* Stacks that came as the hash of one sent before on their CPU
 * (STACK_F_SEEN), those of them whose frames had not come (their events
 * go without), and hashes the kernel sent for two different stacks. */
void stacks__ref_stats(const struct stacks *st, uint64_t *referred, uint64_t *unknown,
		       uint64_t *collisions);
/* Stacks resolved again after a catch-up (stacks__set_catch_up()). */
uint64_t stacks__caught_up(const struct stacks *st);

#endif /* BPFTAPE_RECORD_STACK_H */
