// SPDX-License-Identifier: MIT
/* Peeking at a BPF ring buffer's next record: ringpeek.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "../bpf/events.h"
#include "ringpeek.h"

int ring_peek__open(struct ring_peek *p, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	void *cons, *prod;

	memset(p, 0, sizeof(*p));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	p->page = (size_t)sysconf(_SC_PAGESIZE);
	p->size = info.max_entries;
	cons = mmap(NULL, p->page, PROT_READ, MAP_SHARED, fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	/* the kernel maps the data area twice in a row, so that a record
	 * that wraps around its end reads as one piece */
	prod = mmap(NULL, p->page + 2 * p->size, PROT_READ, MAP_SHARED, fd, (off_t)p->page);
	if (prod == MAP_FAILED) {
		int err = -errno;

		munmap(cons, p->page);
		return err;
	}
	p->cons = cons;
	p->prod = prod;
	return 0;
}

void ring_peek__close(struct ring_peek *p)
{
	if (p->cons)
		munmap((void *)p->cons, p->page);
	if (p->prod)
		munmap((void *)p->prod, p->page + 2 * p->size);
	memset(p, 0, sizeof(*p));
}

bool ring_peek__next_ts(const struct ring_peek *p, uint64_t *ts)
{
	const uint8_t *data = p->prod + p->page;
	uint64_t cons, prod;

	if (!p->cons)
		return false;
	cons = __atomic_load_n(p->cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n((const uint64_t *)p->prod, __ATOMIC_ACQUIRE);
	while (cons < prod) {
		const uint8_t *rec = data + (cons & (p->size - 1));
		uint32_t len = __atomic_load_n((const uint32_t *)rec, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			return false;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			*ts = 0;
			if (len >= sizeof(*ts))
				memcpy(ts, rec + BPF_RINGBUF_HDR_SZ + offsetof(struct rec_hdr, ts),
				       sizeof(*ts));
			return true;
		}
		/* libbpf skips a discarded record without a word: so do we */
		len &= ~BPF_RINGBUF_DISCARD_BIT;
		cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
	}
	return false;
}
