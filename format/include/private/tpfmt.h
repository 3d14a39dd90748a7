/* SPDX-License-Identifier: MIT */
/*
 * Kernel tracepoint format descriptions (tracefs events/S/N/format): parse
 * the text a tape carries in a type's `format` and decode raw trace records
 * with it, offline, without the recorded kernel.
 *
 * Internal to libtape (the reader decodes generic tracepoint events through
 * it) and to the recorder, which sizes raw records from it.  The text comes
 * from tapes of strangers: parsing and decoding never read outside their
 * inputs, and allocations are bounded by the input's size.
 */
#ifndef BPFTAPE_TPFMT_H
#define BPFTAPE_TPFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

struct tpfmt;

/* Parse the text of /sys/kernel/tracing/events/S/N/format.  NULL + errno
 * (EINVAL for bad text, E2BIG for too many fields, ENOMEM); @err (may be
 * NULL) gets "line 7: ...". */
struct tpfmt *tape__tpfmt_parse(const char *text, char *err, size_t errlen);
void tape__tpfmt_free(struct tpfmt *f);

/* Fields after the common_* ones, as tape fields; valid while @f lives. */
uint16_t tape__tpfmt_nfields(const struct tpfmt *f);
const struct tape_field *tape__tpfmt_fields(const struct tpfmt *f);

/*
 * Decode raw record @raw (@len bytes, common header included) into
 * @out[nfields].  Ints by size/signedness (TAPE_U8..S64; pointers -> U64
 * with TAPE_DISP_PTR), char[N] and __data_loc/__rel_loc char[] -> TAPE_STR
 * (NUL-terminated copies in @scratch), other arrays and dynamic arrays ->
 * TAPE_BYTES pointing into @raw.  Fields past @len come out empty/zero,
 * never read out of bounds.  @scratch must hold @len + nfields bytes (with
 * less, or with overlapping fields in a hostile format, strings are
 * truncated).  0 or -errno.
 */
int tape__tpfmt_decode(const struct tpfmt *f, const void *raw, size_t len, union tape_value *out,
		       char *scratch, size_t scratch_len);

/* Bytes of a record's fixed part: the end of its furthest field. */
uint32_t tape__tpfmt_fixed_size(const struct tpfmt *f);

/* The @i-th dynamic field (__data_loc / __rel_loc, common ones included):
 * offset of its 4-byte descriptor, and whether it is relative (__rel_loc).
 * 0, or -ENOENT past the last. */
int tape__tpfmt_dynamic(const struct tpfmt *f, unsigned i, uint32_t *off, bool *rel);

/* The event's name ("sched_switch") from the text, "" if it had none. */
const char *tape__tpfmt_name(const struct tpfmt *f);

#endif /* BPFTAPE_TPFMT_H */
