/* SPDX-License-Identifier: MIT */
/*
 * Offline unwinding of user stacks from a register snapshot and a copy of
 * the top of the stack, for the frames a frame-pointer walk loses: code
 * built without frame pointers (Debian's libc) that may even use %rbp as
 * a general register.  The binary's .eh_frame CFI (libdw, elfutils) says
 * where each frame keeps its return address and the caller's registers;
 * once out of such frames, the frame-pointer chain takes over
 * (unwind__step_fp()).
 *
 * x86-64 only (DWARF registers rbp = 6, rsp = 7, return address = 16).
 * Nothing is guessed: a frame that cannot be unwound from what was
 * captured is a gap (a negative errno), and the caller marks it so.
 */
#ifndef BPFTAPE_UNWIND_H
#define BPFTAPE_UNWIND_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The registers an unwind step reads and produces (run-time values). */
struct unwind_regs {
	uint64_t ip;
	uint64_t sp;
	uint64_t bp;
};

/* A copy of user stack memory: @len bytes that were at address @base
 * (normally the sp of the snapshot) when captured. */
struct unwind_stack {
	const void *data;
	uint64_t base;
	size_t len;
};

struct unwind;

/*
 * The CFI of the binary at @path: its .eh_frame, which stripping keeps, and its .debug_frame if
 * it has one (code built without unwind tables but with -g), asked where .eh_frame has no entry.
 * NULL + errno (the open's errno, ENOEXEC for what is not ELF, ENOENT for a binary with neither);
 * @err (may be NULL) gets "PATH: what".  A handle keeps its file open (a deleted binary stays
 * readable) and the last rows it looked up (a few KiB, bounded).
 */
struct unwind *unwind__open(const char *path, char *err, size_t errlen);
/* The same from an open file, which the handle keeps (closed by
 * unwind__free(); still the caller's on failure).  @what names it in
 * errors. */
struct unwind *unwind__open_fd(int fd, const char *what, char *err, size_t errlen);
/* The same over an Elf the caller keeps open (and ends after
 * unwind__free()). */
struct unwind *unwind__open_elf(Elf *elf, const char *what, char *err, size_t errlen);
void unwind__free(struct unwind *u);

/*
 * The load bias (run-time address - vaddr) of a mapping of @u's binary at @map_start whose
 * file offset is @pgoff (bytes), from the PT_LOAD segment holding it: the same as
 * elfsym__bias(), without reading symbols.  0, or -ENOENT if no segment holds @pgoff.
 */
int unwind__bias(const struct unwind *u, uint64_t map_start, uint64_t pgoff, uint64_t *bias);

/* unwind__step() reached the outermost frame (the CFI says the return
 * address is undefined: _start, clone's child): no caller, not a gap. */
#define UNWIND_END 1

/*
 * One step with the CFI of @u: @regs describe a frame whose ip lies in
 * @u's binary, loaded with @bias (run-time address - vaddr); on success
 * they become the caller's (ip = the return address).  @exact says @regs->ip
 * is the interrupted instruction itself (the first frame), not a return
 * address (whose call instruction is at ip - 1).
 * 0, UNWIND_END, or a gap: -ENOENT (no CFI for ip), -EFAULT (the rule reads
 * stack memory outside the copy), -ENOTSUP (the rule needs a register not
 * captured, or an expression this does not evaluate), -EINVAL (a rule that
 * makes no progress or is malformed).  @err (may be NULL) says which.
 */
int unwind__step(struct unwind *u, uint64_t bias, const struct unwind_stack *st,
		 struct unwind_regs *regs, bool exact, char *err, size_t errlen);

/*
 * One step of the frame-pointer chain: the caller's ip = [bp + 8], bp =
 * [bp], sp = bp + 16, read from @st.  0, UNWIND_END for bp 0 (the
 * outermost frame clears it), or a gap: -EFAULT (the frame record is
 * outside the copy), -EINVAL (bp does not move up the stack).
 */
int unwind__step_fp(const struct unwind_stack *st, struct unwind_regs *regs);

#endif /* BPFTAPE_UNWIND_H */
