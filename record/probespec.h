/* SPDX-License-Identifier: MIT */
/*
 * Generic probe specs, as given to `bpftape record -e`:
 *
 *	tracepoint:SUBSYS:NAME              SUBSYS and NAME may be globs (* ?)
 *	uprobe:PATH:FUNC[+OFF][(ARGS)]      FUNC may also be an address 0xADDR
 *	uretprobe:PATH:FUNC[(TYPE)]
 *	usdt:PATH:PROVIDER:NAME[(ARGS)]
 *	kprobe:FUNC[+OFF][(ARGS)]
 *	kretprobe:FUNC[(TYPE)]
 *
 * ARGS is a comma list of TYPE or NAME:TYPE, TYPE one of str, u8, u16, u32,
 * u64, s8, s16, s32, s64, ptr.  docs/USAGE.md ("Probe specs") is the user's
 * description.  The parser only checks syntax; it touches no file.
 */
#ifndef BPFTAPE_RECORD_PROBESPEC_H
#define BPFTAPE_RECORD_PROBESPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_kind {
	PROBE_TRACEPOINT = 1,
	PROBE_UPROBE,
	PROBE_URETPROBE,
	PROBE_USDT,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
};

/* Argument types; the values are the ABI with bpf/generic.bpf.c
 * (enum generic_arg in bpf/generic_abi.h). */
enum probe_arg_type {
	PROBE_ARG_STR = 1,
	PROBE_ARG_U8,
	PROBE_ARG_U16,
	PROBE_ARG_U32,
	PROBE_ARG_U64,
	PROBE_ARG_S8,
	PROBE_ARG_S16,
	PROBE_ARG_S32,
	PROBE_ARG_S64,
	PROBE_ARG_PTR,
};

/* Arguments read from registers (uprobe, kprobe: the x86-64 / arm64 calling
 * convention's first six) or from USDT argument specs (libbpf's limit). */
#define PROBE_MAX_REG_ARGS  6
#define PROBE_MAX_USDT_ARGS 12
#define PROBE_MAX_ARGS	    PROBE_MAX_USDT_ARGS
#define PROBE_ARG_NAME_LEN  32

struct probe_arg {
	char name[PROBE_ARG_NAME_LEN]; /* "arg0".. unless the spec names it; "ret" */
	uint8_t type;		       /* enum probe_arg_type */
};

/* A parsed spec.  Strings are owned by it; unused ones are NULL. */
struct probe_spec {
	enum probe_kind kind;
	char *text;	 /* the spec as given */
	char *path;	 /* uprobe, uretprobe, usdt */
	char *func;	 /* uprobe, uretprobe, kprobe, kretprobe; NULL for an address */
	uint64_t offset; /* +OFF, or the address when func is NULL */
	char *provider;	 /* usdt */
	char *name;	 /* usdt probe name; tracepoint event name */
	char *subsys;	 /* tracepoint */
	unsigned nargs;	 /* for return probes: 1, the "ret" value */
	struct probe_arg args[PROBE_MAX_ARGS];
};

/*
 * Parse @text.  NULL + errno (EINVAL for bad syntax, ENOMEM); @err (may be
 * NULL) of @errlen bytes receives "bad probe spec 'TEXT': WHAT at column N"
 * (columns count from 1).
 */
struct probe_spec *probe_spec__parse(const char *text, char *err, size_t errlen);
void probe_spec__free(struct probe_spec *ps);

/*
 * The spec's SQL-friendly type name before collisions are resolved:
 * "sched_process_fork", "uprobe_FUNC", "uretprobe_FUNC",
 * "usdt_PROVIDER_NAME", "kprobe_FUNC", "kretprobe_FUNC"; characters other
 * than [A-Za-z0-9_] become '_'.  Writes at most @len bytes, NUL-terminated.
 */
void probe_spec__type_name(const struct probe_spec *ps, char *buf, size_t len);

/* Is this a tracepoint spec whose SUBSYS or NAME is a glob? */
bool probe_spec__is_glob(const struct probe_spec *ps);

/* "tracepoint", "uprobe", ... */
const char *probe_kind__name(enum probe_kind kind);
/* "str", "u8", ...; NULL for an unknown value */
const char *probe_arg_type__name(unsigned type);

#endif /* BPFTAPE_RECORD_PROBESPEC_H */
