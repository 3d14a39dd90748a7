/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols from /proc/kallsyms (modules and BPF programs included),
 * to name kernel frames at record time: a tape stores (symbol, offset,
 * module), never a kernel address (KASLR).  An address is named only when
 * it lies in a span that is known to hold functions (the kernel's text, a
 * module's text per /proc/modules, or after a symbol of the same module
 * and before the next one); elsewhere it is unknown, never the nearest
 * symbol's.  Not thread-safe; the consumer thread owns it.
 */
#ifndef BPFTAPE_RECORD_KSYMS_H
#define BPFTAPE_RECORD_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;

/* Read @kallsyms (NULL: /proc/kallsyms) and @modules (NULL:
 * /proc/modules; a missing file is no error).  NULL + errno; ENODATA
 * when every address reads as 0 (not root: kptr_restrict). */
struct ksyms *ksyms__load(const char *kallsyms, const char *modules);
void ksyms__free(struct ksyms *ks);

struct ksym_hit {
	const char *name;   /* valid while @ks lives */
	const char *module; /* NULL: the kernel image */
	uint64_t offset;
};

/* Name @addr: 0, or -ENOENT if no function is known to hold it. */
int ksyms__resolve(const struct ksyms *ks, uint64_t addr, struct ksym_hit *hit);

/* Symbols loaded. */
size_t ksyms__count(const struct ksyms *ks);

#endif /* BPFTAPE_RECORD_KSYMS_H */
