/* SPDX-License-Identifier: MIT */
/* Load and attach the built-in probe families (bpf/<family>.bpf.c). */
#ifndef BPFTAPE_RECORD_FAMILIES_H
#define BPFTAPE_RECORD_FAMILIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builtin.h"
#include "session.h"

struct families;

/*
 * Open, configure (rodata from @s, `want` bits), load and attach every
 * family with a non-zero @want entry, sharing @s's maps.  The proc family is
 * loaded whenever FILTER_PIDS is set, whatever @want says, because it keeps
 * the `tracked` set current.  NULL + errno; @err names the family and the
 * step that failed.  On failure nothing stays attached.  @mappings: the
 * executable mappings are followed (maps_rec.h); the file family's sys_exit
 * program, if loaded, then follows their syscalls (families__mmap_exits()).
 */
struct families *families__attach(struct record_session *s, const uint32_t want[FAMILY_MAX],
				  bool mappings, char *err, size_t errlen);

/*
 * Does a program of @f follow the mappings syscalls' exits, so that the
 * mapping probes need no sys_exit program of their own?
 */
bool families__mmap_exits(const struct families *f);

/*
 * Would families__attach() with @want and @filter_flags need tracefs?  Only
 * without a file event: the proc and net families then read syscall exits
 * from syscall tracepoints, whose ids libbpf looks up in tracefs.
 */
bool families__need_tracefs(const uint32_t want[FAMILY_MAX], uint32_t filter_flags);

/*
 * Make @owner the owner of every TCP socket process @pid holds now (the
 * net family's `sock_owner` storage, see bpf/net.bpf.c), so that sockets
 * opened before the recording (a server's listener) are attributed and
 * filtered like new ones.  The sockets are borrowed with pidfd_getfd(),
 * which needs ptrace rights over @pid.  The number of sockets claimed, or
 * -errno (-ENOENT: the net family is not loaded, or @pid is gone).
 */
int families__claim_sockets(struct families *f, int pid, const struct sock_owner *owner);

/* Detach and free.  Accepts NULL. */
void families__free(struct families *f);

#endif /* BPFTAPE_RECORD_FAMILIES_H */
