/* SPDX-License-Identifier: MIT */
/*
 * Generic probes: `-e tracepoint:S:N`, `uprobe:PATH:FUNC(ARGS)`,
 * `uretprobe:PATH:FUNC`, `usdt:PATH:PROV:NAME(ARGS)`, `kprobe:FUNC(ARGS)`,
 * `kretprobe:FUNC` (grammar: docs/USAGE.md, "Probe specs").
 *
 * One BPF program per probe kind (bpf/generic.bpf.c) serves every
 * attachment of that kind; the BPF cookie of an attachment is its probe id,
 * which indexes the per-probe config map and comes back in
 * rec_generic.probe_id.  Each probe becomes one tape type (name derived from
 * the spec, the full spec in the type's `source`).
 *
 * Lifecycle, from cmd_record:
 *
 *	g = generic__new();
 *	for each -e SPEC containing ':'  generic__add(g, SPEC, err, sizeof(err));
 *	record_session__create_maps(s);
 *	generic__attach(g, s, err, sizeof(err));   registers the REC_GENERIC source
 *	... record ...
 *	generic__free(g);                          before record_session__free(s)
 *
 * Ownership: @g owns the skeleton and the links.  The probe descriptions the
 * consumer needs (names, argument types, tape type ids) live in the source
 * context that generic__attach() hands to the session, which frees it.
 */
#ifndef BPFTAPE_RECORD_GENERIC_H
#define BPFTAPE_RECORD_GENERIC_H

#include <stdbool.h>
#include <stddef.h>

struct generic;
struct record_session;

/* An empty set of generic probes.  NULL + errno. */
struct generic *generic__new(void);

/*
 * Parse and check one probe spec: syntax, that the binary, tracepoint and
 * argument list make sense (a missing symbol or kernel feature is found by
 * generic__attach()).  0 or -errno; @err (@errlen bytes) receives a message
 * naming the spec and what is wrong ("bad probe spec 'uprobe:/bin/x':
 * expected ':FUNC' at column 14", "uprobe: /no/such: No such file or
 * directory").  -E2BIG when too many probes were added.  A tracepoint
 * glob (tracepoint:sched:sched_process_*) adds one probe per match.
 */
int generic__add(struct generic *g, const char *spec, char *err, size_t errlen);

/* Number of probes added. */
size_t generic__count(const struct generic *g);

/*
 * Open, load and attach the generic BPF programs for every probe added,
 * sharing @s's maps and filters, and register the REC_GENERIC source with
 * @s.  Does nothing (returns 0) when no probe was added.  0 or -errno with
 * @err naming the probe that failed and why (missing symbol, a kernel
 * without kprobes, ...).  On failure nothing stays attached.
 */
int generic__attach(struct generic *g, struct record_session *s, char *err, size_t errlen);

/* What to run when tracefs is missing (Debian does not mount it). */
#define TRACEFS_MOUNT_CMD "mount -t tracefs nodev /sys/kernel/tracing"

/*
 * The tracefs directory ("/sys/kernel/tracing"), mounting tracefs there if
 * it is not mounted anywhere.  NULL + errno: EACCES when it is there but
 * not readable by this process, else why mounting it failed.
 */
const char *generic__tracefs(void);

/*
 * Into @buf: why generic__tracefs() failed with errno @err and what to do
 * ("tracefs is mounted at neither ... ; mount it with 'mount -t tracefs
 * nodev /sys/kernel/tracing'"), one line without a trailing newline.
 */
void generic__tracefs_why(int err, char *buf, size_t len);

/*
 * List what a binary offers to uprobes and USDT probes: @func_cb (may be
 * NULL) for each defined function of its symbol tables (a name may come
 * twice, from .symtab and .dynsym), then @usdt_cb (may be NULL) for each
 * USDT note (a probe inlined in several places comes once per place).  A
 * callback returning non-zero stops the walk and that value is returned.
 * @path without '/' is looked up as for probe specs.  0 or -errno
 * (-ENOEXEC: not an ELF file).
 */
int generic__list_binary(const char *path, int (*func_cb)(void *ctx, const char *name),
			 int (*usdt_cb)(void *ctx, const char *provider, const char *name,
					int nargs),
			 void *ctx);

/* Can kprobes attach here (a kprobe PMU or tracefs kprobe_events)? */
bool generic__have_kprobes(void);

/* Detach and free.  Call before record_session__free().  Accepts NULL. */
/*
 * Take stacks at the probes whose event type is called @name (or whose
 * spec is @name), or at every probe for NULL; before generic__attach().
 * Returns how many probes that names.
 */
int generic__stacks(struct generic *g, const char *name);

void generic__free(struct generic *g);

#endif /* BPFTAPE_RECORD_GENERIC_H */
