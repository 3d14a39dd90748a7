/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed hash, so redaction tokens cannot be guessed or reversed by
 * hashing candidate paths without the key.
 */
#ifndef BPFTAPE_SIPHASH_H
#define BPFTAPE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* SipHash-2-4 of @len bytes at @in under the 16-byte @key. */
uint64_t tape__siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *in, size_t len);

#endif
