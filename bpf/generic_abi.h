/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Generic probes: what record/generic.c tells bpf/generic.bpf.c about each
 * probe, through the `generic_conf` array indexed by probe id (the BPF
 * cookie of the attachment).  Records are struct rec_generic (events.h).
 */
#ifndef BPFTAPE_GENERIC_ABI_H
#define BPFTAPE_GENERIC_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define GENERIC_MAX_PROBES 1024
#define GENERIC_MAX_ARGS   12 /* libbpf's USDT limit; uprobe/kprobe read 6 */
/* Bytes of rec_generic.data: strings and raw tracepoint records beyond are cut. */
#define GENERIC_DATA_MAX 8192
/* Bytes of one string argument, its NUL included (a power of two). */
#define GENERIC_STR_MAX 1024
/* __data_loc / __rel_loc fields a tracepoint record is sized by. */
#define GENERIC_MAX_DYN 8

/* Argument types: the same values as enum probe_arg_type (record/probespec.h). */
enum generic_arg {
	GENERIC_ARG_STR = 1,
	GENERIC_ARG_U8,
	GENERIC_ARG_U16,
	GENERIC_ARG_U32,
	GENERIC_ARG_U64,
	GENERIC_ARG_S8,
	GENERIC_ARG_S16,
	GENERIC_ARG_S32,
	GENERIC_ARG_S64,
	GENERIC_ARG_PTR,
};

struct generic_conf {
	__u32 nargs;
	__u8 arg_type[16]; /* enum generic_arg; for return probes [0] is the value's */
	/* tracepoints: the record is the fixed part, or up to the end of the
	 * furthest dynamic field */
	__u16 tp_fixed;
	__u16 tp_ndyn;
	__u16 tp_dyn_off[GENERIC_MAX_DYN]; /* offset of the 4-byte descriptor */
	__u8 tp_dyn_rel[GENERIC_MAX_DYN];  /* __rel_loc: relative to its end */
};
_Static_assert(sizeof(struct generic_conf) == 48, "generic_conf layout");

#endif /* BPFTAPE_GENERIC_ABI_H */
