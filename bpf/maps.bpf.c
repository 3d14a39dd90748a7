// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Executable file mappings, for user stacks (record/maps.c); how they are
 * found is in mmap.bpf.h.  maps_sys_exit is loaded only without the file
 * family, whose own sys_exit program then takes the mappings syscalls
 * over (WANT_MMAP).
 */
#include "mmap.bpf.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(maps_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = sys_nr(regs);

	if (nr == __NR_mmap || nr == __NR_munmap || nr == __NR_mprotect || nr == __NR_pkey_mprotect)
		mmap_sys_exit(regs, nr, ret);
	return 0;
}

/* The new image: the executable, the dynamic loader, nothing else yet. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(maps_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;

	/* the exec of a command bpftape starts is its own first event */
	if (!tape_want_exec())
		return 0;
	emit_unmap(0, 0, REC_MUNMAP_EXEC);
	bpf_iter_task_vma_new(&it, bpf_get_current_task_btf(), 0);
	/* no counter: the verifier proves an iterator loop by its states
	 * converging, which a counter would prevent */
	while ((vma = bpf_iter_task_vma_next(&it)))
		emit_vma(vma);
	bpf_iter_task_vma_destroy(&it);
	return 0;
}
