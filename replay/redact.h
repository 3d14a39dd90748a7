/* SPDX-License-Identifier: MIT */
/*
 * Redaction: replace identifying values with stable keyed tokens.
 *
 * A token is "<class>:<16 hex digits>", the SipHash-2-4 of the value under a
 * 128-bit key: the same value gives the same token within a run (and across
 * runs with the same --key), and nobody without the key can confirm a guess.
 * Addresses keep their family and port; their address bytes are replaced by
 * keyed bytes.
 */
#ifndef BPFTAPE_REDACT_H
#define BPFTAPE_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "private/siphash.h"
#include <bpftape/tape.h>

enum redact_what {
	REDACT_PATHS = 1 << 0,
	REDACT_ARGV = 1 << 1,
	REDACT_ENV = 1 << 2,
	REDACT_ADDRS = 1 << 3,
	REDACT_HOST = 1 << 4,
	/* not a --redact word: a string or byte array of a generic probe event
	 * whose name says nothing of what it holds, redacted under any class */
	REDACT_OPAQUE = 1 << 5,
	/* the symbol names of user stack frames: they name code, not the
	 * user's data, so not part of "all"; asked for by name when the code
	 * itself is secret */
	REDACT_SYMBOLS = 1 << 6,
};

/* Parse "paths,argv,env,addrs,host" (or "all"), and "symbols".  0 or
 * -EINVAL. */
int redact_parse(const char *list, unsigned *what);

/* 16 key bytes from /dev/urandom, or derived from the contents of @path.
 * 0 or -errno. */
int redact_key(const char *path, uint8_t key[SIPHASH_KEY_LEN]);

/* Is @tp the type of a generic probe (tracepoint:, uprobe:, uretprobe:,
 * usdt:, kprobe:, kretprobe:, or any type with a kernel format text)?  Their
 * field names come from a kernel format or from whoever wrote the spec. */
bool redact_type_generic(const struct tape_type *tp);

/* Is @tp a raw tracepoint type the reader left undecoded (its format text
 * does not parse): one bytes field "raw" holding the kernel's record? */
bool redact_type_raw(const struct tape_type *tp);

/*
 * What a field of @tp needs under @what: 0 or one REDACT_* bit.  A string or
 * byte array is classified by name and display (path, argv, env, addrs,
 * host); one whose name names no class gets REDACT_OPAQUE under any
 * non-zero @what, whatever type it is in, unless it is known harmless (an
 * allow-list: comm fields, a tracepoint's arrays of integers wider than a
 * byte, kept like integer fields).
 */
unsigned redact_field_class(const struct tape_type *tp, unsigned idx, unsigned what);

/*
 * What metadata value @v of key @k needs under @what: 0 (kept), REDACT_HOST
 * (host identity), REDACT_ARGV (the recorder's command line), or
 * REDACT_OPAQUE for a key not known harmless whose value is not a plain
 * number.  "record.filter" is 0: redact_record_filter() handles it.
 */
unsigned redact_meta_class(const char *k, const char *v, unsigned what);

/* Replace @len bytes at @v by as many keyed bytes in @out: same value, same
 * bytes. */
void redact_bytes(const uint8_t *key, const void *v, size_t len, uint8_t *out);

/* Write the token for @len bytes at @v of class @cls ("path", "argv"...)
 * into @out (at least 22 + strlen(cls) bytes); returns its length. */
size_t redact_token(const uint8_t *key, const char *cls, const void *v, size_t len, char *out);

/* Redact a NUL-separated argv/env of @len bytes into @out (room for
 * redact_list_size(@len)); each element becomes a token. Returns its length. */
size_t redact_list(const uint8_t *key, const char *cls, const char *v, size_t len, char *out);
size_t redact_list_size(size_t len);

/* @spec ("uprobe:/usr/bin/app:main(x:str)") with every path (a run from '/'
 * to the next ':', '(', ',' or space, and the PATH of a uprobe:, uretprobe:
 * or usdt: spec even without a '/', "uprobe:app:main") replaced by its
 * token.  malloc'ed, or NULL (ENOMEM). */
char *redact_spec_paths(const uint8_t *key, const char *spec);

/* The recorder's "record.filter" metadata @v ("pid=N+children cmd=CMD
 * comm=X cgroup=PATH container=ID uid=N") with the command (under paths
 * or argv) and the cgroup path and container (under host) replaced by
 * tokens.  malloc'ed, or NULL
 * (ENOMEM). */
char *redact_record_filter(const uint8_t *key, const char *v, unsigned what);

/* Redact a sockaddr (family kept, port kept, address replaced) of @len bytes
 * into @out (@len bytes, or 110 for AF_UNIX).  Returns the new length. */
size_t redact_sockaddr(const uint8_t *key, const void *v, size_t len, uint8_t *out);

#endif
