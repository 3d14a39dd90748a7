// SPDX-License-Identifier: MIT
/* Buffered output and event rendering (see output.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "predicate.h"

int out__init(struct out *o, int fd)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->buf = malloc(OUT_BUF);
	return o->buf ? 0 : -ENOMEM;
}

int out__flush(struct out *o)
{
	size_t done = 0;

	if (o->err) {
		o->len = 0;
		return o->err;
	}
	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = -errno;
			break;
		}
		done += (size_t)n;
	}
	o->len = 0;
	return o->err;
}

int out__close(struct out *o)
{
	if (o->buf)
		out__flush(o);
	free(o->buf);
	o->buf = NULL;
	return o->err;
}

/* Room for @n bytes at the end of the buffer, flushing if needed. */
static inline char *out_room(struct out *o, size_t n)
{
	if (o->len + n > OUT_BUF)
		out__flush(o);
	return o->buf + o->len;
}

void out__write(struct out *o, const void *p, size_t n)
{
	if (n > OUT_BUF / 2) {
		const char *c = p;

		/* too big to buffer: write it through */
		out__flush(o);
		while (n && !o->err) {
			ssize_t k = write(o->fd, c, n);

			if (k < 0) {
				if (errno != EINTR)
					o->err = -errno;
				continue;
			}
			c += k;
			n -= (size_t)k;
		}
		return;
	}
	memcpy(out_room(o, n), p, n);
	o->len += n;
}

void out__puts(struct out *o, const char *s)
{
	out__write(o, s, strlen(s));
}

void out__putc(struct out *o, char c)
{
	*out_room(o, 1) = c;
	o->len++;
}

void out__u64(struct out *o, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out__write(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

void out__s64(struct out *o, int64_t v)
{
	if (v < 0) {
		out__putc(o, '-');
		out__u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		out__u64(o, (uint64_t)v);
	}
}

void out__printf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		out__write(o, tmp, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			o->err = -ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		out__write(o, big, (size_t)n);
		free(big);
	}
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* @s as a JSON string literal at @p (room: 6 * @len + 2); returns the end. */
static char *json_esc(char *p, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	*p++ = '"';
	while (i < len) {
		unsigned char c = u[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*p++ = (char)c;
			i++;
		} else if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
			i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			*p++ = '\\';
			*p++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			i++;
		} else {
			size_t l = c < 0x20 ? 0 : utf8_len(u + i, len - i);

			if (l) {
				memcpy(p, s + i, l);
				p += l;
				i += l;
			} else {
				/* control bytes, and bytes that are not UTF-8 */
				memcpy(p, "\\u00", 4);
				p[4] = hex[c >> 4];
				p[5] = hex[c & 15];
				p += 6;
				i++;
			}
		}
	}
	*p++ = '"';
	return p;
}

void out__json_str(struct out *o, const char *s, size_t len)
{
	if (len < OUT_BUF / 16) {
		char *end = json_esc(out_room(o, 6 * len + 2), s, len);

		o->len = (size_t)(end - o->buf);
		return;
	}
	/* a huge string: escape it in pieces, never splitting a UTF-8 sequence */
	out__putc(o, '"');
	while (len) {
		size_t k = len < 4096 ? len : 4096;
		char *end;

		while (k < len && k > 4092 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		end = json_esc(out_room(o, 6 * k + 2), s, k);
		/* drop the quotes json_esc() put around the piece */
		memmove(o->buf + o->len, o->buf + o->len + 1,
			(size_t)(end - (o->buf + o->len)) - 2);
		o->len = (size_t)(end - o->buf) - 2;
		s += k;
		len -= k;
	}
	out__putc(o, '"');
}

void out__csv_str(struct out *o, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] != ',' && s[i] != '"' && s[i] != '\n' && s[i] != '\r')
		i++;
	if (i == len) {
		out__write(o, s, len);
		return;
	}
	out__putc(o, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			out__putc(o, '"');
		out__putc(o, s[i]);
	}
	out__putc(o, '"');
}

/* Names come from the tape: no control byte reaches a terminal from them. */
static void safe_text(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

static void out__puts_safe(struct out *o, const char *s)
{
	for (; *s; s++)
		out__putc(o, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* ---- rendering ---- */

/* " name=" for every field of a type, built once per type. */
struct render_names {
	const struct tape_type *tp;
	char *text;
	uint32_t *off;	/* nfields + 1 offsets into text */
	uint32_t *room; /* per field: static_room(), 0 for strings and bytes */
	size_t total;
	char *jtext;	/* "name": for every field, JSON-escaped */
	uint32_t *joff; /* nfields + 1 offsets into jtext */
	char *jtype;	/* the type name as a JSON string */
	bool jfast;	/* no field needs the slow JSON path */
};

#define RENDER_NAME_SLOTS 64

static void names_clear(struct render_names *n);

int render__init(struct render *r, struct tape_reader *const *readers, size_t n,
		 enum time_mode mode, struct proctab *pt)
{
	memset(r, 0, sizeof(*r));
	r->time = mode;
	r->pt = pt;
	r->nsrcs = n;
	r->off = calloc(n ? n : 1, sizeof(*r->off));
	if (!r->off)
		return -ENOMEM;
	r->have_clock = n > 0;
	for (size_t i = 0; i < n; i++)
		if (pred_clock_offset(readers[i], &r->off[i]))
			r->have_clock = false;
	if (!r->have_clock)
		memset(r->off, 0, n * sizeof(*r->off));
	for (size_t i = 0; i < n; i++) {
		int64_t w;

		if (!tape_reader__event_count(readers[i]))
			continue;
		w = (int64_t)tape_reader__min_ts(readers[i]) + r->off[i];
		if (!r->have_base || w < r->base_wall)
			r->base_wall = w;
		r->have_base = true;
	}
	return 0;
}

void render__fini(struct render *r)
{
	for (size_t i = 0; r->names && i < RENDER_NAME_SLOTS; i++)
		names_clear(&r->names[i]);
	free(r->names);
	r->names = NULL;
	free(r->off);
	r->off = NULL;
}

int64_t render__rel_ns(const struct render *r, unsigned src, uint64_t ts)
{
	int64_t off = src < r->nsrcs ? r->off[src] : 0;

	if (!r->have_base) {
		/* Following a tape that had no events when it was opened: its
		 * first event is the start.  The render object is never const
		 * itself; the base is a cache filled on first use. */
		((struct render *)r)->base_wall = (int64_t)ts + off;
		((struct render *)r)->have_base = true;
	}
	return (int64_t)ts + off - r->base_wall;
}

static void put_secs(struct out *o, int64_t ns)
{
	char tmp[32];
	uint64_t a;
	int i = 9;

	if (ns < 0) {
		out__putc(o, '-');
		a = (uint64_t)0 - (uint64_t)ns;
	} else {
		a = (uint64_t)ns;
	}
	out__u64(o, a / 1000000000u);
	a %= 1000000000u;
	tmp[0] = '.';
	for (; i >= 1; i--) {
		tmp[i] = (char)('0' + a % 10);
		a /= 10;
	}
	out__write(o, tmp, 10);
}

void render__time(struct out *o, const struct render *r, unsigned src, uint64_t ts)
{
	switch (r->time) {
	case TIME_RAW:
		put_secs(o, (int64_t)ts);
		break;
	case TIME_WALL:
		if (r->have_clock) {
			int64_t w = (int64_t)ts + r->off[src < r->nsrcs ? src : 0];
			time_t sec = (time_t)(w / 1000000000);
			struct tm tm;
			char tmp[32];

			localtime_r(&sec, &tm);
			strftime(tmp, sizeof(tmp), "%H:%M:%S", &tm);
			out__puts(o, tmp);
			snprintf(tmp, sizeof(tmp), ".%09lld", (long long)(w % 1000000000));
			out__puts(o, tmp);
			break;
		}
		/* without a clock there is no wall time */
		__attribute__((fallthrough));
	case TIME_REL:
	default:
		put_secs(o, render__rel_ns(r, src, ts));
		break;
	}
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
				     "25262728293031323334353637383940414243444546474849"
				     "50515253545556575859606162636465666768697071727374"
				     "75767778798081828384858687888990919293949596979899";

static unsigned dec_digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* Digits straight into place, two at a time: no copy through a scratch. */
static char *put_dec(char *p, uint64_t v)
{
	unsigned n = dec_digits(v);
	char *end = p + n, *t = end;

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--t = digit_pairs[d + 1];
		*--t = digit_pairs[d];
	}
	if (v >= 10) {
		*--t = digit_pairs[v * 2 + 1];
		*--t = digit_pairs[v * 2];
	} else {
		*--t = (char)('0' + v);
	}
	return end;
}

static char *put_sdec(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_dec(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_dec(p, (uint64_t)v);
}

static char *put_cstr(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *put_radix(char *p, uint64_t v, unsigned shift, const char *prefix)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24], *t = tmp + sizeof(tmp);
	size_t n;

	if (!v) {
		*p++ = '0';
		return p;
	}
	while (v) {
		*--t = digits[v & ((1u << shift) - 1)];
		v >>= shift;
	}
	p = put_cstr(p, prefix);
	n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(p, t, n);
	return p + n;
}

/*
 * The display text of the common cases written straight into @p, identical
 * to tape_format_value() (tests/test_replay.c checks it); the formatter goes
 * through stdio for every value, which costs most of the time of a text
 * replay.  Returns the end, or NULL if the case is not handled here.  @p has
 * room for fast_room() bytes.
 */
static char *fast_value(const struct tape_field *f, const union tape_value *v, bool quote, char *p)
{
	bool sign = f->kind >= TAPE_S8 && f->kind <= TAPE_S64;

	if (f->kind == TAPE_STR) {
		static const char hex[] = "0123456789abcdef";
		const uint8_t *s = v->b.ptr;

		if (!quote) {
			for (uint32_t i = 0; i < v->b.len; i++)
				*p++ = s[i] >= 0x20 && s[i] != 0x7f ? (char)s[i] : '?';
			return p;
		}
		*p++ = '"';
		for (uint32_t i = 0; i < v->b.len; i++) {
			uint8_t c = s[i];

			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
				*p++ = (char)c;
			} else if (c == '"' || c == '\\') {
				*p++ = '\\';
				*p++ = (char)c;
			} else if (c == '\n') {
				*p++ = '\\';
				*p++ = 'n';
			} else if (c == '\t') {
				*p++ = '\\';
				*p++ = 't';
			} else {
				*p++ = '\\';
				*p++ = 'x';
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
			}
		}
		*p++ = '"';
		return p;
	}
	if (f->kind == TAPE_BYTES)
		return NULL;
	switch (f->display) {
	case TAPE_DISP_DEFAULT:
		return sign ? put_sdec(p, v->s) : put_dec(p, v->u);
	case TAPE_DISP_ERRNO:
		if (sign && v->s < 0 && v->s >= -4095 && tape_errno_name((int)v->s)) {
			p = put_sdec(p, v->s);
			*p++ = '(';
			p = put_cstr(p, tape_errno_name((int)v->s));
			*p++ = ')';
			return p;
		}
		return sign ? put_sdec(p, v->s) : put_dec(p, v->u);
	case TAPE_DISP_ENUM:
		if (f->enumeration) {
			const struct tape_enum *e = f->enumeration;

			for (uint32_t i = 0; i < e->count; i++)
				if (e->values[i] == v->u)
					return put_cstr(p, e->names[i]);
		}
		return sign ? put_sdec(p, (int64_t)v->u) : put_dec(p, v->u);
	case TAPE_DISP_FLAGS: {
		const struct tape_enum *e = f->enumeration;
		uint64_t left = v->u;
		bool first = true;

		if (!e)
			return NULL;
		if (!v->u) {
			for (uint32_t i = 0; i < e->count; i++)
				if (!e->values[i])
					return put_cstr(p, e->names[i]);
			*p++ = '0';
			return p;
		}
		for (uint32_t i = 0; i < e->count; i++) {
			uint64_t m = e->values[i];

			if (m && (v->u & m) == m && (left & m)) {
				if (!first)
					*p++ = '|';
				p = put_cstr(p, e->names[i]);
				left &= ~m;
				first = false;
			}
		}
		if (left) {
			if (!first)
				*p++ = '|';
			p = put_radix(p, left, 4, "0x");
		}
		return p;
	}
	case TAPE_DISP_HEX:
	case TAPE_DISP_PTR:
		return put_radix(p, v->u, 4, "0x");
	case TAPE_DISP_OCTAL:
		return put_radix(p, v->u, 3, "0");
	case TAPE_DISP_NSEC:
		if (v->u < 1000) {
			p = put_dec(p, v->u);
			*p++ = 'n';
			*p++ = 's';
			return p;
		}
		if (v->u < 1000000) {
			/* ns / 1e3 has exactly three decimals: no rounding to get wrong */
			unsigned frac = (unsigned)(v->u % 1000);

			p = put_dec(p, v->u / 1000);
			*p++ = '.';
			*p++ = (char)('0' + frac / 100);
			*p++ = (char)('0' + frac / 10 % 10);
			*p++ = (char)('0' + frac % 10);
			*p++ = 'u';
			*p++ = 's';
			return p;
		}
		return NULL;
	default:
		return NULL;
	}
}

/* Bytes fast_value() may write for @f's values, strings aside. */
static size_t static_room(const struct tape_field *f)
{
	size_t room = 48;

	if ((f->display == TAPE_DISP_ENUM || f->display == TAPE_DISP_FLAGS) && f->enumeration)
		for (uint32_t i = 0; i < f->enumeration->count; i++)
			room += strlen(f->enumeration->names[i]) + 1;
	return room;
}

static size_t fast_room(const struct tape_field *f, const union tape_value *v)
{
	if (f->kind == TAPE_STR || f->kind == TAPE_BYTES)
		return 4 * (size_t)v->b.len + 8;
	return static_room(f);
}

int render__format_value(const struct tape_type *tp, unsigned i, const union tape_value *v,
			 bool quote, char *buf, size_t len)
{
	const struct tape_field *f = &tp->fields[i];
	size_t room = fast_room(f, v);

	if (len > room) {
		char *end = fast_value(f, v, quote, buf);

		if (end) {
			*end = '\0';
			return (int)(end - buf);
		}
	}
	return tape_format_value(tp, i, v, quote, buf, len);
}

void render__value(struct out *o, const struct tape_event *ev, unsigned i, bool quote)
{
	const struct tape_field *f = &ev->tp->fields[i];
	size_t need = fast_room(f, &ev->values[i]);
	char *p;

	if (need < OUT_BUF / 4) {
		char *end = fast_value(f, &ev->values[i], quote, out_room(o, need));

		if (end) {
			o->len = (size_t)(end - o->buf);
			return;
		}
	}
	p = out_room(o, 256);
	size_t room = OUT_BUF - o->len;
	int n = tape_format_value(ev->tp, i, &ev->values[i], quote, p, room);

	if (n < 0)
		return;
	if ((size_t)n < room) {
		o->len += (size_t)n;
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			o->err = -ENOMEM;
			return;
		}
		tape_format_value(ev->tp, i, &ev->values[i], quote, big, (size_t)n + 1);
		out__write(o, big, (size_t)n);
		free(big);
	}
}

/* The state of @ev's process in the table of its source's host, or NULL. */
static const struct proc_state *proc_of(const struct render *r, const struct tape_event *ev)
{
	if (r->src_pt)
		return ev->source < r->nsrcs ? proctab__get(r->src_pt[ev->source], ev->pid) : NULL;
	return r->pt ? proctab__get(r->pt, ev->pid) : NULL;
}

static const char *comm_of(const struct render *r, const struct tape_event *ev)
{
	const struct proc_state *p;

	if (ev->comm && ev->comm[0])
		return ev->comm;
	p = proc_of(r, ev);
	return p && p->comm[0] ? p->comm : "?";
}

static void pad(struct out *o, size_t have, size_t want)
{
	static const char spaces[] = "                ";

	while (have < want) {
		size_t k = want - have < 16 ? want - have : 16;

		out__write(o, spaces, k);
		have += k;
	}
}

static void text_loss(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const union tape_value *v = ev->values;

	out__puts(o, "*** ");
	out__u64(o, v[TAPE_LOSS_COUNT].u);
	out__puts(o, " events lost on cpu ");
	out__u64(o, v[TAPE_LOSS_CPU].u);
	out__puts(o, " between ");
	render__time(o, r, ev->source, v[TAPE_LOSS_FIRST_TS].u);
	out__puts(o, " and ");
	render__time(o, r, ev->source, v[TAPE_LOSS_LAST_TS].u);
	out__putc(o, '\n');
}

static void names_clear(struct render_names *n)
{
	free(n->text);
	free(n->off);
	free(n->room);
	free(n->jtext);
	free(n->joff);
	free(n->jtype);
	memset(n, 0, sizeof(*n));
}

static char *json_esc(char *p, const char *s, size_t len);

static int names_json(struct render_names *n, const struct tape_type *tp)
{
	size_t len = 0;

	for (unsigned i = 0; i < tp->nfields; i++)
		len += 6 * strlen(tp->fields[i].name) + 3;
	n->jtext = malloc(len + 1);
	n->joff = malloc((tp->nfields + 1u) * sizeof(*n->joff));
	n->jtype = malloc(6 * strlen(tp->name) + 3);
	if (!n->jtext || !n->joff || !n->jtype)
		return -ENOMEM;
	*json_esc(n->jtype, tp->name, strlen(tp->name)) = '\0';
	len = 0;
	n->jfast = true;
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];
		char *end;

		n->joff[i] = (uint32_t)len;
		end = json_esc(n->jtext + len, f->name, strlen(f->name));
		*end++ = ':';
		len = (size_t)(end - n->jtext);
		if (f->kind == TAPE_BYTES && f->display != TAPE_DISP_ARGV)
			n->jfast = false;
	}
	n->joff[tp->nfields] = (uint32_t)len;
	return 0;
}

static const struct render_names *names_of(struct render *r, const struct tape_type *tp)
{
	struct render_names *n;
	size_t len = 0;

	if (!r->names) {
		r->names = calloc(RENDER_NAME_SLOTS, sizeof(*r->names));
		if (!r->names)
			return NULL;
	}
	n = &r->names[((uintptr_t)tp >> 4) % RENDER_NAME_SLOTS];
	if (n->tp == tp)
		return n;
	names_clear(n);
	for (unsigned i = 0; i < tp->nfields; i++)
		len += strlen(tp->fields[i].name) + 2;
	n->text = malloc(len + 1);
	n->off = malloc((tp->nfields + 1u) * sizeof(*n->off));
	n->room = malloc((tp->nfields + 1u) * sizeof(*n->room));
	if (!n->text || !n->off || !n->room || names_json(n, tp)) {
		names_clear(n);
		return NULL;
	}
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];

		n->room[i] =
			f->kind == TAPE_STR || f->kind == TAPE_BYTES ? 0 : (uint32_t)static_room(f);
	}
	len = 0;
	for (unsigned i = 0; i < tp->nfields; i++) {
		size_t k = strlen(tp->fields[i].name);

		n->off[i] = (uint32_t)len;
		n->text[len++] = ' ';
		memcpy(n->text + len, tp->fields[i].name, k);
		safe_text(n->text + len, k);
		len += k;
		n->text[len++] = '=';
	}
	n->off[tp->nfields] = (uint32_t)len;
	n->total = len;
	n->tp = tp;
	return n;
}

static char *put_secs_p(char *p, int64_t ns)
{
	uint64_t a;

	if (ns < 0) {
		*p++ = '-';
		a = (uint64_t)0 - (uint64_t)ns;
	} else {
		a = (uint64_t)ns;
	}
	p = put_dec(p, a / 1000000000u);
	a %= 1000000000u;
	*p = '.';
	p[9] = (char)('0' + a % 10);
	a /= 10;
	for (int i = 7; i >= 1; i -= 2) {
		unsigned d = (unsigned)(a % 100) * 2;

		a /= 100;
		p[i] = digit_pairs[d];
		p[i + 1] = digit_pairs[d + 1];
	}
	return p + 10;
}

static void text_slow(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const char *comm;
	size_t before, n;

	render__time(o, r, ev->source, ev->ts);
	out__puts(o, " [");
	if (ev->cpu < 100)
		out__putc(o, '0');
	if (ev->cpu < 10)
		out__putc(o, '0');
	out__u64(o, ev->cpu);
	out__puts(o, "] ");
	comm = comm_of(r, ev);
	n = strnlen(comm, 64);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)comm[i];

		out__putc(o, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	pad(o, n, 16);
	before = o->len;
	out__u64(o, ev->pid);
	out__putc(o, '/');
	out__u64(o, ev->tid);
	/* the buffer may have been flushed in between: then skip the padding */
	pad(o, o->len >= before ? o->len - before : 13, 13);
	out__putc(o, ' ');
	out__puts_safe(o, tp ? tp->name : "?");
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		out__putc(o, ' ');
		out__puts_safe(o, tp->fields[i].name);
		out__putc(o, '=');
		render__value(o, ev, i, true);
	}
	out__putc(o, '\n');
}

void render__text(struct out *o, struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct render_names *nm;
	const char *comm;
	size_t need, n;
	char *p, *start;

	if (ev->type == TAPE_TYPE_LOSS) {
		text_loss(o, r, ev);
		return;
	}
	if (!tp || r->time == TIME_WALL || !(nm = names_of(r, tp))) {
		text_slow(o, r, ev);
		return;
	}
	comm = comm_of(r, ev);
	n = strnlen(comm, 64);
	need = 128 + n + strlen(tp->name) + nm->total;
	for (unsigned i = 0; i < tp->nfields; i++)
		need += nm->room[i] ? nm->room[i] : 4 * (size_t)ev->values[i].b.len + 8;
	if (need > OUT_BUF / 2) {
		text_slow(o, r, ev);
		return;
	}
	/* one reservation for the line; values the fast path does not know go
	 * through the formatter, which may flush, so the pointer is reloaded */
	p = out_room(o, need);
	p = r->time == TIME_RAW ? put_secs_p(p, (int64_t)ev->ts)
				: put_secs_p(p, render__rel_ns(r, ev->source, ev->ts));
	*p++ = ' ';
	*p++ = '[';
	if (ev->cpu < 100)
		*p++ = '0';
	if (ev->cpu < 10)
		*p++ = '0';
	p = put_dec(p, ev->cpu);
	*p++ = ']';
	*p++ = ' ';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)comm[i];

		/* a comm is the task's to set: keep one event on one line */
		*p++ = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	for (; n < 16; n++)
		*p++ = ' ';
	start = p;
	p = put_dec(p, ev->pid);
	*p++ = '/';
	p = put_dec(p, ev->tid);
	while (p - start < 13)
		*p++ = ' ';
	*p++ = ' ';
	start = p;
	p = put_cstr(p, tp->name);
	safe_text(start, (size_t)(p - start));
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];
		uint32_t k = nm->off[i + 1] - nm->off[i];
		char *end;

		memcpy(p, nm->text + nm->off[i], k);
		p += k;
		end = fast_value(f, &ev->values[i], true, p);
		if (end) {
			p = end;
			continue;
		}
		o->len = (size_t)(p - o->buf);
		render__value(o, ev, i, true);
		need = 16 + nm->total;
		for (unsigned j = i + 1; j < tp->nfields; j++)
			need += nm->room[j] ? nm->room[j] : 4 * (size_t)ev->values[j].b.len + 8;
		p = out_room(o, need);
	}
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
}

static void json_loss(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const union tape_value *v = ev->values;

	out__puts(o, "{\"ts\":");
	out__u64(o, ev->ts);
	out__puts(o, ",\"time\":");
	put_secs(o, render__rel_ns(r, ev->source, ev->ts));
	out__puts(o, ",\"type\":\"lost\",\"cpu\":");
	out__u64(o, v[TAPE_LOSS_CPU].u);
	out__puts(o, ",\"count\":");
	out__u64(o, v[TAPE_LOSS_COUNT].u);
	out__puts(o, ",\"first_ts\":");
	out__u64(o, v[TAPE_LOSS_FIRST_TS].u);
	out__puts(o, ",\"last_ts\":");
	out__u64(o, v[TAPE_LOSS_LAST_TS].u);
	out__puts(o, "}\n");
}

/* The symbolic name of a field's value for the JSON "names" object, into
 * @buf; false if the value has none (a plain number, no matching name). */
static bool json_name(const struct tape_event *ev, unsigned i, char *buf, size_t len)
{
	const struct tape_field *f = &ev->tp->fields[i];
	const union tape_value *v = &ev->values[i];
	int n;

	if (f->kind == TAPE_STR || f->kind == TAPE_BYTES)
		return false;
	switch (f->display) {
	case TAPE_DISP_ERRNO:
		if (f->kind < TAPE_S8 || v->s >= 0 || v->s < -4095 || !tape_errno_name((int)v->s))
			return false;
		snprintf(buf, len, "%s", tape_errno_name((int)v->s));
		return true;
	case TAPE_DISP_ENUM:
	case TAPE_DISP_FLAGS:
	case TAPE_DISP_IPV4:
		n = tape_format_value(ev->tp, i, v, false, buf, len);
		/* no symbol matched: the formatter fell back to the number */
		return n > 0 && !(buf[0] >= '0' && buf[0] <= '9') && buf[0] != '-';
	default:
		return false;
	}
}

/* The display text of a field as a JSON string. */
static void json_display(struct out *o, const struct tape_event *ev, unsigned i)
{
	char tmp[512];
	int n = tape_format_value(ev->tp, i, &ev->values[i], false, tmp, sizeof(tmp));

	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(tmp)) {
		out__json_str(o, tmp, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			o->err = -ENOMEM;
			return;
		}
		tape_format_value(ev->tp, i, &ev->values[i], false, big, (size_t)n + 1);
		out__json_str(o, big, (size_t)n);
		free(big);
	}
}

static void json_argv(struct out *o, const char *p, uint32_t len)
{
	uint32_t i = 0;
	bool first = true;

	out__putc(o, '[');
	while (i < len) {
		uint32_t e = i;

		while (e < len && p[e])
			e++;
		if (!first)
			out__putc(o, ',');
		first = false;
		out__json_str(o, p + i, e - i);
		i = e + 1;
	}
	out__putc(o, ']');
}

static void json_field(struct out *o, const struct tape_event *ev, unsigned i)
{
	const struct tape_field *f = &ev->tp->fields[i];
	const union tape_value *v = &ev->values[i];
	static const char hex[] = "0123456789abcdef";

	switch (f->kind) {
	case TAPE_STR:
		out__json_str(o, v->b.ptr ? v->b.ptr : "", v->b.len);
		return;
	case TAPE_BYTES:
		if (f->display == TAPE_DISP_ARGV) {
			json_argv(o, v->b.ptr, v->b.len);
		} else if (f->display == TAPE_DISP_SOCKADDR || f->display == TAPE_DISP_IPV6) {
			json_display(o, ev, i);
		} else {
			const unsigned char *b = v->b.ptr;

			out__putc(o, '"');
			for (uint32_t k = 0; k < v->b.len; k++) {
				out__putc(o, hex[b[k] >> 4]);
				out__putc(o, hex[b[k] & 15]);
			}
			out__putc(o, '"');
		}
		return;
	case TAPE_S8:
	case TAPE_S16:
	case TAPE_S32:
	case TAPE_S64:
		out__s64(o, v->s);
		return;
	default:
		out__u64(o, v->u);
		return;
	}
}

static void json_slow(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct proc_state *p;
	bool any = false;

	out__puts(o, "{\"ts\":");
	out__u64(o, ev->ts);
	out__puts(o, ",\"time\":");
	put_secs(o, render__rel_ns(r, ev->source, ev->ts));
	out__puts(o, ",\"cpu\":");
	out__u64(o, ev->cpu);
	out__puts(o, ",\"pid\":");
	out__u64(o, ev->pid);
	out__puts(o, ",\"tid\":");
	out__u64(o, ev->tid);
	out__puts(o, ",\"comm\":");
	{
		const char *c = comm_of(r, ev);

		out__json_str(o, c, strlen(c));
	}
	p = proc_of(r, ev);
	if (p && p->ppid) {
		out__puts(o, ",\"ppid\":");
		out__u64(o, p->ppid);
	}
	if (p && p->exe) {
		out__puts(o, ",\"exe\":");
		out__json_str(o, p->exe, strlen(p->exe));
	}
	out__puts(o, ",\"type\":");
	out__json_str(o, tp ? tp->name : "?", strlen(tp ? tp->name : "?"));
	if (r->nsrcs > 1) {
		out__puts(o, ",\"source\":");
		out__u64(o, ev->source);
	}
	out__puts(o, ",\"fields\":{");
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		if (i)
			out__putc(o, ',');
		out__json_str(o, tp->fields[i].name, strlen(tp->fields[i].name));
		out__putc(o, ':');
		json_field(o, ev, i);
	}
	out__putc(o, '}');
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		char name[256];

		if (!json_name(ev, i, name, sizeof(name)))
			continue;
		out__puts(o, any ? "," : ",\"names\":{");
		any = true;
		out__json_str(o, tp->fields[i].name, strlen(tp->fields[i].name));
		out__putc(o, ':');
		out__json_str(o, name, strlen(name));
	}
	if (any)
		out__putc(o, '}');
	out__puts(o, "}\n");
}

static char *put_lit(char *p, const char *lit, size_t n)
{
	memcpy(p, lit, n);
	return p + n;
}

#define PUT_LIT(p, s) put_lit(p, s, sizeof(s) - 1)

void render__json(struct out *o, struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct render_names *nm;
	const struct proc_state *ps;
	const char *comm;
	size_t need, cl, el = 0;
	bool any = false;
	char *p;

	if (ev->type == TAPE_TYPE_LOSS) {
		json_loss(o, r, ev);
		return;
	}
	if (!tp || !(nm = names_of(r, tp)) || !nm->jfast) {
		json_slow(o, r, ev);
		return;
	}
	comm = comm_of(r, ev);
	cl = strnlen(comm, 64);
	ps = proc_of(r, ev);
	if (ps && ps->exe)
		el = strlen(ps->exe);
	need = 320 + 6 * (cl + el) + strlen(nm->jtype) + 2 * (size_t)nm->joff[tp->nfields];
	for (unsigned i = 0; i < tp->nfields; i++)
		need += nm->room[i] ? 2 * (size_t)nm->room[i] : 9 * (size_t)ev->values[i].b.len + 8;
	if (need > OUT_BUF / 2) {
		json_slow(o, r, ev);
		return;
	}
	p = out_room(o, need);
	p = PUT_LIT(p, "{\"ts\":");
	p = put_dec(p, ev->ts);
	p = PUT_LIT(p, ",\"time\":");
	p = put_secs_p(p, render__rel_ns(r, ev->source, ev->ts));
	p = PUT_LIT(p, ",\"cpu\":");
	p = put_dec(p, ev->cpu);
	p = PUT_LIT(p, ",\"pid\":");
	p = put_dec(p, ev->pid);
	p = PUT_LIT(p, ",\"tid\":");
	p = put_dec(p, ev->tid);
	p = PUT_LIT(p, ",\"comm\":");
	p = json_esc(p, comm, cl);
	if (ps && ps->ppid) {
		p = PUT_LIT(p, ",\"ppid\":");
		p = put_dec(p, ps->ppid);
	}
	if (ps && ps->exe) {
		p = PUT_LIT(p, ",\"exe\":");
		p = json_esc(p, ps->exe, el);
	}
	p = PUT_LIT(p, ",\"type\":");
	p = put_cstr(p, nm->jtype);
	if (r->nsrcs > 1) {
		p = PUT_LIT(p, ",\"source\":");
		p = put_dec(p, ev->source);
	}
	p = PUT_LIT(p, ",\"fields\":{");
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];
		const union tape_value *v = &ev->values[i];

		if (i)
			*p++ = ',';
		p = put_lit(p, nm->jtext + nm->joff[i], nm->joff[i + 1] - nm->joff[i]);
		switch (f->kind) {
		case TAPE_STR:
			p = json_esc(p, v->b.ptr ? v->b.ptr : "", v->b.len);
			break;
		case TAPE_BYTES: { /* ARGV only: jfast */
			const char *a = v->b.ptr;
			uint32_t k = 0, len = v->b.len;

			*p++ = '[';
			while (k < len) {
				uint32_t e = k;

				while (e < len && a[e])
					e++;
				if (k)
					*p++ = ',';
				p = json_esc(p, a + k, e - k);
				k = e + 1;
			}
			*p++ = ']';
			break;
		}
		case TAPE_S8:
		case TAPE_S16:
		case TAPE_S32:
		case TAPE_S64:
			p = put_sdec(p, v->s);
			break;
		default:
			p = put_dec(p, v->u);
			break;
		}
	}
	*p++ = '}';
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];
		const union tape_value *v = &ev->values[i];
		char tmp[512], *end;

		if (f->kind == TAPE_STR || f->kind == TAPE_BYTES)
			continue;
		if (f->display == TAPE_DISP_ERRNO) {
			const char *en;

			if (f->kind < TAPE_S8 || v->s >= 0 || v->s < -4095 ||
			    !(en = tape_errno_name((int)v->s)))
				continue;
			end = put_cstr(tmp, en);
		} else if (f->display == TAPE_DISP_ENUM || f->display == TAPE_DISP_FLAGS) {
			if (nm->room[i] > sizeof(tmp) || !(end = fast_value(f, v, false, tmp)))
				continue;
			/* no symbol matched: the formatter fell back to the number */
			if ((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-')
				continue;
		} else if (f->display == TAPE_DISP_IPV4) {
			int n = tape_format_value(tp, i, v, false, tmp, sizeof(tmp));

			if (n <= 0 || (size_t)n >= sizeof(tmp))
				continue;
			end = tmp + n;
		} else {
			continue;
		}
		p = any ? PUT_LIT(p, ",") : PUT_LIT(p, ",\"names\":{");
		any = true;
		p = put_lit(p, nm->jtext + nm->joff[i], nm->joff[i + 1] - nm->joff[i]);
		p = json_esc(p, tmp, (size_t)(end - tmp));
	}
	if (any)
		*p++ = '}';
	*p++ = '}';
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
}
