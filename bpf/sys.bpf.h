/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscall number and arguments from the saved user registers, for programs
 * on tp_btf/sys_enter and tp_btf/sys_exit.  At exit the arguments are still
 * in the registers the task entered with, and user memory they point to has
 * been touched by the kernel, so strings read there do not fault.
 */
#ifndef BPFTAPE_SYS_BPF_H
#define BPFTAPE_SYS_BPF_H

#include "common.bpf.h"

#if defined(__TARGET_ARCH_x86)
static __always_inline long sys_nr(const struct pt_regs *regs)
{
	return regs->orig_ax;
}

static __always_inline unsigned long sys_arg(const struct pt_regs *regs, int i)
{
	switch (i) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}
#elif defined(__TARGET_ARCH_arm64)
static __always_inline long sys_nr(const struct pt_regs *regs)
{
	return regs->syscallno;
}

static __always_inline unsigned long sys_arg(const struct pt_regs *regs, int i)
{
	/* x0 holds the return value at exit; orig_x0 keeps the first argument */
	return i == 0 ? regs->orig_x0 : regs->regs[i & 7];
}
#else
#error "bpftape: syscall argument access is implemented for x86 and arm64 only"
#endif

/* The saved user registers of the current task (any program type). */
static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* Syscall numbers, from the target's uapi header (not in vmlinux.h). */
#include <asm/unistd.h>

#endif /* BPFTAPE_SYS_BPF_H */
