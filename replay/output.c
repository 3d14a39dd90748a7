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

void out__json_str(struct out *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	out__putc(o, '"');
	while (i < len) {
		size_t run = i;

		/* copy plain ASCII in runs */
		while (run < len && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' &&
		       u[run] != '\\')
			run++;
		if (run > i) {
			out__write(o, s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = u[i];

		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			out__write(o, e, 2);
			i++;
		} else if (c == '\n') {
			out__write(o, "\\n", 2);
			i++;
		} else if (c == '\t') {
			out__write(o, "\\t", 2);
			i++;
		} else if (c == '\r') {
			out__write(o, "\\r", 2);
			i++;
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			out__write(o, e, 6);
			i++;
		} else {
			size_t l = utf8_len(u + i, len - i);

			if (l) {
				out__write(o, s + i, l);
				i += l;
			} else {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

				out__write(o, e, 6);
				i++;
			}
		}
	}
	out__putc(o, '"');
}

void out__csv_str(struct out *o, const char *s, size_t len)
{
	if (!memchr(s, ',', len) && !memchr(s, '"', len) && !memchr(s, '\n', len) &&
	    !memchr(s, '\r', len)) {
		out__write(o, s, len);
		return;
	}
	out__putc(o, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			out__putc(o, '"');
		out__putc(o, s[i]);
	}
	out__putc(o, '"');
}

/* ---- rendering ---- */

int render__init(struct render *r, struct tape_reader *const *readers, size_t n,
		 enum time_mode mode, struct proctab *pt)
{
	bool have_base = false;

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
		if (!have_base || w < r->base_wall)
			r->base_wall = w;
		have_base = true;
	}
	return 0;
}

void render__fini(struct render *r)
{
	free(r->off);
	r->off = NULL;
}

int64_t render__rel_ns(const struct render *r, unsigned src, uint64_t ts)
{
	int64_t off = src < r->nsrcs ? r->off[src] : 0;

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

void render__value(struct out *o, const struct tape_event *ev, unsigned i, bool quote)
{
	char *p = out_room(o, 256);
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

static const char *comm_of(const struct render *r, const struct tape_event *ev)
{
	if (ev->comm && ev->comm[0])
		return ev->comm;
	if (r->pt) {
		const struct proc_state *p = proctab__get(r->pt, ev->pid);

		if (p && p->comm[0])
			return p->comm;
	}
	return "?";
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

void render__text(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const char *comm;
	size_t before, n;

	if (ev->type == TAPE_TYPE_LOSS) {
		text_loss(o, r, ev);
		return;
	}
	render__time(o, r, ev->source, ev->ts);
	out__puts(o, " [");
	if (ev->cpu < 100)
		out__putc(o, '0');
	if (ev->cpu < 10)
		out__putc(o, '0');
	out__u64(o, ev->cpu);
	out__puts(o, "] ");
	comm = comm_of(r, ev);
	n = strlen(comm);
	out__write(o, comm, n);
	pad(o, n, 16);
	before = o->len;
	out__u64(o, ev->pid);
	out__putc(o, '/');
	out__u64(o, ev->tid);
	/* the buffer may have been flushed in between: then skip the padding */
	pad(o, o->len >= before ? o->len - before : 13, 13);
	out__putc(o, ' ');
	out__puts(o, tp ? tp->name : "?");
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];

		out__putc(o, ' ');
		out__puts(o, f->name);
		out__putc(o, '=');
		if (f->display == TAPE_DISP_DEFAULT && f->kind >= TAPE_U8 && f->kind <= TAPE_U64)
			out__u64(o, ev->values[i].u);
		else if (f->display == TAPE_DISP_DEFAULT && f->kind >= TAPE_S8 &&
			 f->kind <= TAPE_S64)
			out__s64(o, ev->values[i].s);
		else
			render__value(o, ev, i, true);
	}
	out__putc(o, '\n');
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
		if (f->kind < TAPE_S8 || v->s >= 0 || !tape_errno_name((int)v->s))
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

void render__json(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct proc_state *p;
	bool any = false;

	if (ev->type == TAPE_TYPE_LOSS) {
		json_loss(o, r, ev);
		return;
	}
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
	p = r->pt ? proctab__get(r->pt, ev->pid) : NULL;
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
