// SPDX-License-Identifier: MIT
/* Schema helpers and the chunk summary shared by writer, reader and index. */
#include <stdlib.h>

#include "tape_int.h"

const char *tape__block_type_name(unsigned type)
{
	switch (type) {
	case BLOCK_META:
		return "metadata";
	case BLOCK_SCHEMA:
		return "schema";
	case BLOCK_PROCS:
		return "process snapshot";
	case BLOCK_CHUNK:
		return "event chunk";
	case BLOCK_LOSS:
		return "loss";
	case BLOCK_INDEX:
		return "index";
	case BLOCK_TRAILER:
		return "trailer";
	case BLOCK_STACKS:
		return "stack";
	case BLOCK_MAPPING:
		return "mapping";
	case BLOCK_BINARY:
		return "binary";
	}
	return "unknown";
}

static const struct tape_field loss_fields[TAPE_LOSS_NFIELDS] = {
	[TAPE_LOSS_CPU] = {"cpu", TAPE_U32, TAPE_DISP_DEFAULT, NULL},
	[TAPE_LOSS_COUNT] = {"count", TAPE_U64, TAPE_DISP_DEFAULT, NULL},
	[TAPE_LOSS_FIRST_TS] = {"first_ts", TAPE_U64, TAPE_DISP_DEFAULT, NULL},
	[TAPE_LOSS_LAST_TS] = {"last_ts", TAPE_U64, TAPE_DISP_DEFAULT, NULL},
};

const struct tape_type tape_loss_type = {
	.id = TAPE_TYPE_LOSS,
	.name = "lost",
	.source = "",
	.format = "",
	.nfields = TAPE_LOSS_NFIELDS,
	.fields = loss_fields,
};

int tape_type__field_index(const struct tape_type *type, const char *name)
{
	if (!type || !name)
		return -EINVAL;
	for (unsigned i = 0; i < type->nfields; i++)
		if (!strcmp(type->fields[i].name, name))
			return i;
	return -ENOENT;
}

struct tape_enum *tape__enum_dup(const struct tape_enum *e)
{
	struct tape_enum *d = calloc(1, sizeof(*d));
	uint64_t *values = NULL;
	char **names = NULL;

	if (!d)
		return NULL;
	d->name = strdup(e->name ? e->name : "");
	if (e->count) {
		values = calloc(e->count, sizeof(*values));
		names = calloc(e->count, sizeof(*names));
	}
	d->values = values;
	d->names = (const char *const *)names;
	if (!d->name || (e->count && (!values || !names)))
		goto fail;
	for (uint32_t i = 0; i < e->count; i++) {
		values[i] = e->values[i];
		names[i] = strdup(e->names[i] ? e->names[i] : "");
		d->count = i + 1;
		if (!names[i])
			goto fail;
	}
	return d;
fail:
	tape__enum_free(d);
	return NULL;
}

void tape__enum_free(struct tape_enum *e)
{
	if (!e)
		return;
	for (uint32_t i = 0; i < e->count; i++)
		free((char *)e->names[i]);
	free((void *)e->names);
	free((void *)e->values);
	free((char *)e->name);
	free(e);
}

void tape__type_free_contents(struct tape_type *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nfields; i++)
		free((char *)t->fields[i].name);
	free((void *)t->fields);
	free((char *)t->name);
	free((char *)t->source);
	free((char *)t->format);
	memset(t, 0, sizeof(*t));
}

int tape__summary_encode(struct buf *b, const struct chunk_summary *s)
{
	struct buf body = {0};
	int err = 0;

	err = err ?: tape__buf_put(&body, &s->codec, 1);
	err = err ?: tape__buf_put_varint(&body, s->count);
	err = err ?: tape__buf_put_varint(&body, s->min_ts);
	err = err ?: tape__buf_put_varint(&body, s->max_ts - s->min_ts);
	err = err ?: tape__buf_put_varint(&body, s->min_pid);
	err = err ?: tape__buf_put_varint(&body, s->max_pid - s->min_pid);
	err = err ?: tape__buf_put(&body, s->bloom, BLOOM_BYTES);
	err = err ?: tape__buf_put_varint(&body, s->raw_len);
	err = err ?: tape__buf_put_varint(&body, s->ntypes);
	for (uint32_t i = 0; !err && i < s->ntypes; i++) {
		err = tape__buf_put_varint(&body, s->types[i].type);
		err = err ?: tape__buf_put_varint(&body, s->types[i].count);
	}
	err = err ?: tape__buf_put_bytes(b, body.data, body.len);
	tape__buf_free(&body);
	return err;
}

int tape__summary_decode(const uint8_t *p, size_t len, struct chunk_summary *s, size_t *len_out)
{
	struct rd outer = {p, p + len, false};
	struct rd r = rd_sub(&outer);
	uint64_t v, total = 0;

	memset(s, 0, sizeof(*s));
	if (r.bad)
		return -EBADMSG;
	s->codec = rd_u8(&r);
	v = rd_varint(&r);
	if (v > MAX_CHUNK_EVENTS)
		return -EBADMSG;
	s->count = v;
	s->min_ts = rd_varint(&r);
	v = rd_varint(&r);
	if (v > UINT64_MAX - s->min_ts)
		return -EBADMSG;
	s->max_ts = s->min_ts + v;
	v = rd_varint(&r);
	if (v > UINT32_MAX)
		return -EBADMSG;
	s->min_pid = v;
	v = rd_varint(&r);
	if (v > UINT32_MAX - s->min_pid)
		return -EBADMSG;
	s->max_pid = s->min_pid + v;
	if ((size_t)(r.end - r.p) < BLOOM_BYTES)
		return -EBADMSG;
	memcpy(s->bloom, r.p, BLOOM_BYTES);
	r.p += BLOOM_BYTES;
	v = rd_varint(&r);
	if (v > MAX_CHUNK_RAW)
		return -EBADMSG;
	s->raw_len = v;
	v = rd_varint(&r);
	if (r.bad || v > TAPE_MAX_TYPES || v > (uint64_t)(r.end - r.p) / 2)
		return -EBADMSG;
	s->ntypes = v;
	s->types = calloc(s->ntypes ? s->ntypes : 1, sizeof(*s->types));
	if (!s->types)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->ntypes; i++) {
		uint64_t t = rd_varint(&r), c = rd_varint(&r);

		if (t == 0 || t > TAPE_MAX_TYPES || c > s->count ||
		    (i && t <= s->types[i - 1].type))
			r.bad = true;
		s->types[i].type = t;
		s->types[i].count = c;
		total += c;
	}
	if (r.bad || total != s->count) {
		tape__summary_free(s);
		return -EBADMSG;
	}
	*len_out = outer.p - p;
	return 0;
}

bool tape__summary_diff(const struct chunk_summary *ix, const struct chunk_summary *s, char *msg,
			size_t len)
{
	if (ix->count != s->count || ix->min_ts != s->min_ts || ix->max_ts != s->max_ts) {
		tape__errfmt(
			msg, len,
			"the index says %u events in [%llu, %llu], the chunk %u in [%llu, %llu]",
			ix->count, (unsigned long long)ix->min_ts, (unsigned long long)ix->max_ts,
			s->count, (unsigned long long)s->min_ts, (unsigned long long)s->max_ts);
		return true;
	}
	if (ix->min_pid != s->min_pid || ix->max_pid != s->max_pid ||
	    memcmp(ix->bloom, s->bloom, BLOOM_BYTES)) {
		tape__errfmt(msg, len,
			     "the index's pid range or bloom filter differs from the chunk's");
		return true;
	}
	if (ix->raw_len != s->raw_len || ix->codec != s->codec) {
		tape__errfmt(msg, len,
			     "the index's codec or payload size differs from the chunk's");
		return true;
	}
	if (ix->ntypes != s->ntypes) {
		tape__errfmt(msg, len, "the index says %u event types, the chunk %u", ix->ntypes,
			     s->ntypes);
		return true;
	}
	for (uint32_t k = 0; k < s->ntypes; k++)
		if (ix->types[k].type != s->types[k].type ||
		    ix->types[k].count != s->types[k].count) {
			tape__errfmt(msg, len,
				     "the index says %u events of type %u, the chunk %u of type %u",
				     ix->types[k].count, ix->types[k].type, s->types[k].count,
				     s->types[k].type);
			return true;
		}
	return false;
}

void tape__summary_free(struct chunk_summary *s)
{
	free(s->types);
	s->types = NULL;
	s->ntypes = 0;
}

static const struct tape_field *event_field(const struct tape_event *ev, unsigned idx)
{
	if (!ev || !ev->tp || !ev->values || idx >= ev->tp->nfields)
		return NULL;
	return &ev->tp->fields[idx];
}

int tape_event__int(const struct tape_event *ev, unsigned idx, int64_t *v)
{
	const struct tape_field *f = event_field(ev, idx);

	if (!f)
		return -ENOENT;
	if (!kind_is_int(f->kind) || !v)
		return -EINVAL;
	*v = ev->values[idx].s;
	return 0;
}

int tape_event__uint(const struct tape_event *ev, unsigned idx, uint64_t *v)
{
	const struct tape_field *f = event_field(ev, idx);

	if (!f)
		return -ENOENT;
	if (!kind_is_int(f->kind) || !v)
		return -EINVAL;
	*v = ev->values[idx].u;
	return 0;
}

int tape_event__bytes(const struct tape_event *ev, unsigned idx, const void **p, uint32_t *len)
{
	const struct tape_field *f = event_field(ev, idx);

	if (!f)
		return -ENOENT;
	if (kind_is_int(f->kind) || !p)
		return -EINVAL;
	*p = ev->values[idx].b.ptr;
	if (len)
		*len = ev->values[idx].b.len;
	return 0;
}

static int name_index(const struct tape_event *ev, const char *name)
{
	return ev ? tape_type__field_index(ev->tp, name) : -EINVAL;
}

int tape_event__int_by_name(const struct tape_event *ev, const char *name, int64_t *v)
{
	int i = name_index(ev, name);

	return i < 0 ? i : tape_event__int(ev, i, v);
}

int tape_event__uint_by_name(const struct tape_event *ev, const char *name, uint64_t *v)
{
	int i = name_index(ev, name);

	return i < 0 ? i : tape_event__uint(ev, i, v);
}

int tape_event__bytes_by_name(const struct tape_event *ev, const char *name, const void **p,
			      uint32_t *len)
{
	int i = name_index(ev, name);

	return i < 0 ? i : tape_event__bytes(ev, i, p, len);
}
