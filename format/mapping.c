// SPDX-License-Identifier: MIT
/*
 * The mapping block (type 9): which binary each process had mapped
 * executable where, and when (docs/FORMAT.md "Mapping block (type 9)").
 * Encoding for the writer, parsing and look-ups for the reader.
 */
#include <stdlib.h>
#include <string.h>

#include "tape_int.h"

/* ---- encoding ---- */

int tape__mapping_encode(struct buf *b, const struct tape_mapping *m, uint64_t prev_ts)
{
	struct buf rec = {0};
	int err;

	err = tape__buf_put(&rec, &m->kind, 1);
	err = err ?: tape__buf_put_varint(&rec, m->pid);
	err = err ?: tape__buf_put_varint(&rec, zigzag((int64_t)(m->ts - prev_ts)));
	switch (m->kind) {
	case TAPE_MAPPING_MAP:
		err = err ?: tape__buf_put_varint(&rec, m->start);
		err = err ?: tape__buf_put_varint(&rec, m->end - m->start);
		err = err ?: tape__buf_put_varint(&rec, m->offset);
		err = err ?: tape__buf_put_varint(&rec, m->binary);
		break;
	case TAPE_MAPPING_UNMAP:
		err = err ?: tape__buf_put_varint(&rec, m->start);
		err = err ?: tape__buf_put_varint(&rec, m->end - m->start);
		break;
	case TAPE_MAPPING_FORK:
		err = err ?: tape__buf_put_varint(&rec, m->ppid);
		break;
	}
	err = err ?: tape__buf_put_bytes(b, rec.data, rec.len);
	tape__buf_free(&rec);
	return err;
}

/* ---- parsing ---- */

const struct tape_binary *tape_reader__binary_by_id(const struct tape_reader *r, uint32_t id)
{
	for (size_t i = 0; r && i < r->nbinaries; i++)
		if (r->binaries[i].id == id)
			return &r->binaries[i];
	return NULL;
}

/* Stable merge sort of @m[0..@n) by ts, through @tmp (room for @n). */
static void sort_by_ts(struct tape_mapping *m, struct tape_mapping *tmp, size_t n)
{
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = m[j].ts < m[i].ts ? m[j++] : m[i++];
			while (i < mid)
				tmp[k++] = m[i++];
			while (j < hi)
				tmp[k++] = m[j++];
		}
		memcpy(m, tmp, n * sizeof(*m));
	}
}

/*
 * Put the records from @first on (one block's) in time order among those
 * before them, which are: the recorder writes a change when its consumer
 * meets it, and a process's fork, taken on one CPU, can reach it after the
 * child's first mmap on another (docs/FORMAT.md).  Stable: records of one
 * time keep their order (an exec, then the new image's maps).  0 or
 * -ENOMEM.
 */
static int order_by_ts(struct tape_reader *r, size_t first)
{
	struct tape_mapping *m = r->mappings, *tmp;
	size_t n = r->nmappings, lo = 0, hi = first, i, j, k;

	for (i = first ? first - 1 : 0; i + 1 < n && m[i].ts <= m[i + 1].ts; i++)
		;
	if (i + 1 >= n)
		return 0; /* in order already: the common case */
	tmp = malloc((n - first > first ? n - first : first) * sizeof(*tmp) + sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	sort_by_ts(m + first, tmp, n - first);
	/* the earlier records the block's first one goes before: after the
	 * last of those no later than it */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m[mid].ts <= m[first].ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	memcpy(tmp, m + lo, (first - lo) * sizeof(*tmp));
	for (i = 0, j = first, k = lo; i < first - lo || j < n;)
		m[k++] = j < n && (i >= first - lo || m[j].ts < tmp[i].ts) ? m[j++] : tmp[i++];
	free(tmp);
	return 0;
}

int tape__parse_mappings(struct tape_reader *r, struct rd *d)
{
	uint64_t nbin = rd_varint(d), n, ts = 0;
	size_t first = r->nmappings;
	int err = 0;

	if (d->bad || nbin > (uint64_t)(d->end - d->p))
		return -EBADMSG;
	for (uint64_t i = 0; i < nbin; i++) {
		struct rd s = rd_sub(d);
		uint64_t id = rd_varint(&s);
		char *path = tape__rd_strdup(&s);

		if (s.bad || !path || !id || id > TAPE_MAX_BINARY_ID) {
			d->why = s.why ? s.why : "a binary without an id or path";
			free(path);
			return -EBADMSG;
		}
		/* the first definition of an id holds (concatenated tapes) */
		if (tape_reader__binary_by_id(r, id)) {
			free(path);
			continue;
		}
		if (array_grow(&r->binaries, &r->capbinaries, r->nbinaries, sizeof(*r->binaries),
			       16)) {
			free(path);
			return -ENOMEM;
		}
		r->binaries[r->nbinaries++] = (struct tape_binary){(uint32_t)id, path};
	}
	n = rd_varint(d);
	if (d->bad || n > (uint64_t)(d->end - d->p))
		return -EBADMSG;
	for (uint64_t i = 0; i < n; i++) {
		struct rd s = rd_sub(d);
		struct tape_mapping m = {0};
		uint64_t pid, len, v;

		m.kind = rd_u8(&s);
		pid = rd_varint(&s);
		ts += (uint64_t)unzigzag(rd_varint(&s));
		m.ts = ts;
		switch (m.kind) {
		case TAPE_MAPPING_MAP:
		case TAPE_MAPPING_UNMAP:
			m.start = rd_varint(&s);
			len = rd_varint(&s);
			if (len > UINT64_MAX - m.start || !len)
				s.bad = true;
			m.end = m.start + len;
			if (m.kind == TAPE_MAPPING_MAP) {
				m.offset = rd_varint(&s);
				v = rd_varint(&s);
				if (!v || v > TAPE_MAX_BINARY_ID)
					s.bad = true;
				m.binary = v;
			}
			break;
		case TAPE_MAPPING_EXEC:
			break;
		case TAPE_MAPPING_FORK:
			v = rd_varint(&s);
			if (v > UINT32_MAX)
				s.bad = true;
			m.ppid = v;
			break;
		default:
			continue; /* a kind of a newer writer */
		}
		if (s.bad || pid > UINT32_MAX) {
			d->why = s.why ? s.why : "a mapping record is malformed";
			err = -EBADMSG;
			break;
		}
		m.pid = pid;
		if (array_grow(&r->mappings, &r->capmappings, r->nmappings, sizeof(*r->mappings),
			       64)) {
			err = -ENOMEM;
			break;
		}
		r->mappings[r->nmappings++] = m;
	}
	/* the records kept before any damage, too */
	return order_by_ts(r, first) ?: err;
}

void tape__mappings_reset(struct tape_reader *r)
{
	for (size_t i = 0; i < r->nbinaries; i++)
		free((char *)r->binaries[i].path);
	free(r->binaries);
	r->binaries = NULL;
	r->nbinaries = r->capbinaries = 0;
	free(r->mappings);
	r->mappings = NULL;
	r->nmappings = r->capmappings = 0;
}

size_t tape_reader__mapping_count(const struct tape_reader *r)
{
	return r ? r->nmappings : 0;
}

const struct tape_mapping *tape_reader__mapping(const struct tape_reader *r, size_t i)
{
	return r && i < r->nmappings ? &r->mappings[i] : NULL;
}

size_t tape_reader__binary_count(const struct tape_reader *r)
{
	return r ? r->nbinaries : 0;
}

const struct tape_binary *tape_reader__binary(const struct tape_reader *r, size_t i)
{
	return r && i < r->nbinaries ? &r->binaries[i] : NULL;
}

/* ---- resolving an address ---- */

/* Forks followed back at most this far: a chain longer is a loop or damage. */
#define FORK_DEPTH 64

/*
 * Where @addr of @pid was mapped, from the records before index @upto with
 * ts <= @ts: the last record that decides it wins.  1 found (*@hit set),
 * 0 not mapped.
 */
static int lookup(const struct tape_reader *r, uint32_t pid, uint64_t ts, uint64_t addr,
		  size_t upto, int depth, const struct tape_mapping **hit)
{
	for (size_t i = upto; i-- > 0;) {
		const struct tape_mapping *m = &r->mappings[i];

		if (m->pid != pid || m->ts > ts)
			continue;
		switch (m->kind) {
		case TAPE_MAPPING_MAP:
			if (addr >= m->start && addr < m->end) {
				*hit = m;
				return 1;
			}
			break;
		case TAPE_MAPPING_UNMAP:
			if (addr >= m->start && addr < m->end)
				return 0;
			break;
		case TAPE_MAPPING_EXEC:
			return 0;
		case TAPE_MAPPING_FORK:
			/* before the fork, the mappings were the parent's */
			if (depth >= FORK_DEPTH || m->ppid == pid)
				return 0;
			return lookup(r, m->ppid, m->ts, addr, i, depth + 1, hit);
		}
	}
	return 0;
}

int tape_reader__resolve_addr(const struct tape_reader *r, uint32_t pid, uint64_t ts, uint64_t addr,
			      uint32_t *binary, uint64_t *offset)
{
	const struct tape_mapping *m = NULL;

	if (!r || !lookup(r, pid, ts, addr, r->nmappings, 0, &m))
		return -ENOENT;
	*binary = m->binary;
	*offset = addr - m->start + m->offset;
	return 0;
}
