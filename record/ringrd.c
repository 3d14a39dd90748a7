// SPDX-License-Identifier: MIT
/*
 * The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page the
 * reader writes, then a producer page and the data, mapped twice in a row
 * so that a record that wraps reads as one.  Each record starts with an
 * 8-byte header whose first word is its length with the busy and discard
 * bits; records are 8-byte aligned.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "ringrd.h"

struct ringrd {
	unsigned long *consumer_pos;
	const unsigned long *producer_pos;
	const uint8_t *data;
	size_t mask;
	size_t page;
	size_t wakeup;
	ringrd_fn fn;
	void *ctx;
};

struct ringrd *ringrd__new(int fd, size_t wakeup, ringrd_fn fn, void *ctx)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct ringrd *rd;
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return NULL;
	rd->page = (size_t)sysconf(_SC_PAGESIZE);
	rd->mask = info.max_entries - 1;
	rd->wakeup = wakeup;
	rd->fn = fn;
	rd->ctx = ctx;
	p = mmap(NULL, rd->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	rd->consumer_pos = p;
	p = mmap(NULL, rd->page + 2 * (size_t)info.max_entries, PROT_READ, MAP_SHARED, fd,
		 rd->page);
	if (p == MAP_FAILED)
		goto fail;
	rd->producer_pos = p;
	rd->data = (const uint8_t *)p + rd->page;
	return rd;
fail:
	ringrd__free(rd);
	return NULL;
}

int ringrd__consume(struct ringrd *rd, unsigned max, int *more)
{
	unsigned long cons = *rd->consumer_pos;
	unsigned long prod = __atomic_load_n(rd->producer_pos, __ATOMIC_ACQUIRE);
	int n = 0, err = 0;

	*more = 0;
	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(rd->data + (cons & rd->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* reserved, not yet committed: the next visit */
		if (max && (unsigned)n == max) {
			*more = 1;
			break;
		}
		cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		if (len & BPF_RINGBUF_DISCARD_BIT)
			continue;
		err = rd->fn(rd->ctx, (void *)(hdr + 2), len);
		n++;
		if (err < 0)
			break; /* the record was taken: step over it */
	}
	/* the records read stay in place until this store gives them back */
	__atomic_store_n(rd->consumer_pos, cons, __ATOMIC_RELEASE);
	if (rd->wakeup && __atomic_load_n(rd->producer_pos, __ATOMIC_ACQUIRE) - cons >= rd->wakeup)
		*more = 1;
	return err < 0 ? err : n;
}

const void *ringrd__peek(const struct ringrd *rd, size_t *size)
{
	unsigned long cons = *rd->consumer_pos;
	unsigned long prod = __atomic_load_n(rd->producer_pos, __ATOMIC_ACQUIRE);

	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(rd->data + (cons & rd->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			return NULL;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			*size = len;
			return hdr + 2;
		}
		/* ringrd__consume() steps over it without a word: so do we */
		cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
	}
	return NULL;
}

void ringrd__free(struct ringrd *rd)
{
	if (!rd)
		return;
	if (rd->consumer_pos)
		munmap(rd->consumer_pos, rd->page);
	if (rd->producer_pos)
		munmap((void *)rd->producer_pos, rd->page + 2 * (rd->mask + 1));
	free(rd);
}
