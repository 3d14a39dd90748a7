/* SPDX-License-Identifier: MIT */
/*
 * What recording needs from the machine, checked before anything is
 * loaded: a missing piece is then named with what to do about it, instead
 * of surfacing later as an errno from deep inside libbpf ("No such
 * process" for a kernel without BTF).
 *
 * Each check returns 0, or -errno with @err (@errlen bytes) set to one
 * line without a trailing newline: what is missing, then after "; " what
 * to do.  None prints.
 */
#ifndef BPFTAPE_RECORD_PREFLIGHT_H
#define BPFTAPE_RECORD_PREFLIGHT_H

#include <stddef.h>

/*
 * May this process load tracing BPF programs: CAP_SYS_ADMIN, or CAP_BPF
 * and CAP_PERFMON, in its effective set?  -EPERM if not.
 */
int preflight__privileges(char *err, size_t errlen);

/* Where the kernel publishes its BTF. */
#define PREFLIGHT_BTF_PATH "/sys/kernel/btf/vmlinux"

/*
 * Kernel BTF, which CO-RE relocations and tp_btf programs need: the
 * kernel's own file, else any of the places libbpf also looks
 * (/boot/vmlinux-RELEASE, ...).  -ENOENT (or why the file is unreadable)
 * if neither.
 */
int preflight__btf(char *err, size_t errlen);

#endif /* BPFTAPE_RECORD_PREFLIGHT_H */
