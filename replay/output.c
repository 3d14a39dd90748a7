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

/* ---- escaped text: every byte from a tape goes through tape_escape() ---- */

/* @n bytes of @s escaped as @esc says, at the end of the buffer. */
static void out_escaped(struct out *o, const char *s, size_t n, enum tape_esc esc)
{
	/* pieces small enough to escape in place; a piece never ends inside
	 * a UTF-8 sequence, which would then be escaped as invalid bytes */
	while (n) {
		size_t k = n < 4096 ? n : 4096;
		ssize_t w;

		while (k < n && k > 4092 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		w = tape_escape(s, k, esc, out_room(o, TAPE_ESC_MAX * k + 1), TAPE_ESC_MAX * k + 1);
		if (w > 0)
			o->len += (size_t)w;
		s += k;
		n -= k;
	}
}

void out__json_str(struct out *o, const char *s, size_t len)
{
	out__putc(o, '"');
	out_escaped(o, s, len, TAPE_ESC_JSON);
	out__putc(o, '"');
}

void out__json_text(struct out *o, const char *s, size_t len)
{
	out_escaped(o, s, len, TAPE_ESC_JSON);
}

void out__text_str(struct out *o, const char *s, size_t len)
{
	out_escaped(o, s, len, TAPE_ESC_TEXT);
}

void out__csv_cell(struct out *o, const char *s, size_t len)
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

void out__csv_str(struct out *o, const char *s, size_t len)
{
	ssize_t w = tape_escape(s, len, TAPE_ESC_PLAIN, NULL, 0);
	char stack[1024], *t = stack;

	if (w < 0)
		return;
	if ((size_t)w >= sizeof(stack) && !(t = malloc((size_t)w + 1))) {
		o->err = -ENOMEM;
		return;
	}
	tape_escape(s, len, TAPE_ESC_PLAIN, t, (size_t)w + 1);
	out__csv_cell(o, t, (size_t)w);
	if (t != stack)
		free(t);
}

/* ---- rendering ---- */

/* Field names and the type name, escaped once per type. */
struct render_names {
	const struct tape_type *tp;
	char *text;	/* " name=" for every field, escaped for a terminal */
	uint32_t *off;	/* nfields + 1 offsets into text */
	char *ttype;	/* the type name, escaped for a terminal */
	char *jtext;	/* "name": for every field, JSON-escaped */
	uint32_t *joff; /* nfields + 1 offsets into jtext */
	char *jtype;	/* the type name as a JSON string */
	bool fast;	/* names short enough for the direct paths' reservations */
};

#define RENDER_NAME_SLOTS 64

static void names_clear(struct render_names *n);

int render__init(struct render *r, struct tape_reader *const *readers, size_t n,
		 enum time_mode mode, struct tape_proctab *pt)
{
	memset(r, 0, sizeof(*r));
	r->time = mode;
	r->pt = pt;
	r->nsrcs = n;
	r->readers = readers;
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

/* The state of @ev's process in the table of its source's host, or NULL. */
static const struct tape_proc_state *proc_of(const struct render *r, const struct tape_event *ev)
{
	if (r->src_pt)
		return ev->source < r->nsrcs ? tape_proctab__get(r->src_pt[ev->source], ev->pid)
					     : NULL;
	return r->pt ? tape_proctab__get(r->pt, ev->pid) : NULL;
}

static const char *comm_of(const struct render *r, const struct tape_event *ev)
{
	const struct tape_proc_state *p;

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

void render__value(struct out *o, const struct tape_event *ev, unsigned i, enum tape_esc esc)
{
	size_t room;
	ssize_t n;

	out_room(o, 256);
	room = OUT_BUF - o->len;
	n = tape_format_value(ev->tp, i, &ev->values[i], esc, o->buf + o->len, room);
	if (n < 0)
		return;
	if ((size_t)n < room) {
		o->len += (size_t)n;
		return;
	}
	{
		/* longer than the buffer: through a copy of its own */
		char *big = malloc((size_t)n + 1);

		if (!big) {
			o->err = -ENOMEM;
			return;
		}
		tape_format_value(ev->tp, i, &ev->values[i], esc, big, (size_t)n + 1);
		out__write(o, big, (size_t)n);
		free(big);
	}
}

void render__csv(struct out *o, const struct tape_event *ev, unsigned i)
{
	char stack[1024], *t = stack;
	ssize_t n = tape_format_value(ev->tp, i, &ev->values[i], TAPE_ESC_PLAIN, t, sizeof(stack));

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(stack)) {
		t = malloc((size_t)n + 1);
		if (!t) {
			o->err = -ENOMEM;
			return;
		}
		tape_format_value(ev->tp, i, &ev->values[i], TAPE_ESC_PLAIN, t, (size_t)n + 1);
	}
	out__csv_cell(o, t, (size_t)n);
	if (t != stack)
		free(t);
}

/* ---- stacks: perf script's layout under the event, innermost first ---- */

/* The frames of @ev's stack: 0, -ENOENT for an event without one, or
 * whose stack the tape does not hold (a damaged stack block): *@n 0. */
static int frames_of(const struct render *r, const struct tape_event *ev,
		     const struct tape_frame **f, size_t *n)
{
	*n = 0;
	if (!ev->stack_id)
		return -ENOENT;
	if (!r->readers || ev->source >= r->nsrcs ||
	    tape_reader__stack(r->readers[ev->source], ev->stack_id, f, n))
		return 1;
	return 0;
}

/* "\tADDRESS SYMBOL+0xOFF (BINARY)" per frame, then an empty line. */
static void text_frames(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const struct tape_frame *f;
	size_t n;
	int ret = frames_of(r, ev, &f, &n);

	if (ret < 0)
		return;
	if (ret > 0)
		out__puts(o, "\t               0 [unknown] ([unknown])\n");
	for (size_t i = 0; i < n; i++) {
		/* an address in no file mapping: perf's "[unknown]" */
		const char *bin = f[i].binary	? f[i].binary
				  : f[i].kernel ? "kernel.kallsyms"
						: "[unknown]";

		out__printf(o, "\t%16llx ", (unsigned long long)f[i].address);
		if (f[i].symbol) {
			out__text_str(o, f[i].symbol, strlen(f[i].symbol));
			out__printf(o, "+0x%llx", (unsigned long long)f[i].offset);
		} else {
			out__puts(o, "[unknown]");
		}
		/* kernel frames as perf names them: [kernel.kallsyms], [module] */
		out__puts(o, f[i].kernel ? " ([" : " (");
		out__text_str(o, bin, strlen(bin));
		out__puts(o, f[i].kernel ? "])" : ")");
		if (f[i].gap)
			out__puts(o, " [gap: callers below not proven]");
		out__putc(o, '\n');
	}
	out__putc(o, '\n');
}

/* ,"stack":[{...},...] before the event object's closing brace. */
static void json_frames(struct out *o, const struct render *r, const struct tape_event *ev)
{
	const struct tape_frame *f;
	size_t n;

	if (frames_of(r, ev, &f, &n) < 0)
		return;
	out__puts(o, ",\"stack_id\":");
	out__u64(o, ev->stack_id);
	out__puts(o, ",\"stack\":[");
	for (size_t i = 0; i < n; i++) {
		out__puts(o, i ? ",{\"kernel\":" : "{\"kernel\":");
		out__puts(o, f[i].kernel ? "true" : "false");
		out__puts(o, ",\"address\":");
		out__u64(o, f[i].address);
		out__puts(o, ",\"symbol\":");
		if (f[i].symbol)
			out__json_str(o, f[i].symbol, strlen(f[i].symbol));
		else
			out__puts(o, "null");
		out__puts(o, ",\"offset\":");
		out__u64(o, f[i].offset);
		out__puts(o, ",\"binary\":");
		if (f[i].binary)
			out__json_str(o, f[i].binary, strlen(f[i].binary));
		else
			out__puts(o, "null");
		if (f[i].gap)
			out__puts(o, ",\"gap\":true");
		out__putc(o, '}');
	}
	out__putc(o, ']');
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
	free(n->ttype);
	free(n->jtext);
	free(n->joff);
	free(n->jtype);
	memset(n, 0, sizeof(*n));
}

/* The @n bytes at @s escaped by @esc into a new string (after @prefix, before
 * @suffix) at @dst + *@len; *@len advances.  @dst has room for it. */
static void names_put(char *dst, size_t *len, const char *prefix, const char *s, enum tape_esc esc,
		      const char *suffix)
{
	size_t k = strlen(prefix);

	memcpy(dst + *len, prefix, k);
	*len += k;
	*len += (size_t)tape_escape(s, strlen(s), esc, dst + *len, TAPE_ESC_MAX * strlen(s) + 1);
	k = strlen(suffix);
	memcpy(dst + *len, suffix, k);
	*len += k;
	dst[*len] = '\0';
}

static const struct render_names *names_of(struct render *r, const struct tape_type *tp)
{
	struct render_names *n;
	size_t room = 0, len = 0, jlen = 0;

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
		room += TAPE_ESC_MAX * strlen(tp->fields[i].name) + 4;
	n->text = malloc(room + 1);
	n->jtext = malloc(room + 1);
	n->off = malloc((tp->nfields + 1u) * sizeof(*n->off));
	n->joff = malloc((tp->nfields + 1u) * sizeof(*n->joff));
	n->ttype = malloc(TAPE_ESC_MAX * strlen(tp->name) + 1);
	n->jtype = malloc(TAPE_ESC_MAX * strlen(tp->name) + 3);
	if (!n->text || !n->jtext || !n->off || !n->joff || !n->ttype || !n->jtype) {
		names_clear(n);
		return NULL;
	}
	names_put(n->ttype, &len, "", tp->name, TAPE_ESC_TEXT, "");
	len = 0;
	names_put(n->jtype, &len, "\"", tp->name, TAPE_ESC_JSON, "\"");
	len = 0;
	for (unsigned i = 0; i < tp->nfields; i++) {
		n->off[i] = (uint32_t)len;
		names_put(n->text, &len, " ", tp->fields[i].name, TAPE_ESC_TEXT, "=");
		n->joff[i] = (uint32_t)jlen;
		names_put(n->jtext, &jlen, "\"", tp->fields[i].name, TAPE_ESC_JSON, "\":");
	}
	n->off[tp->nfields] = (uint32_t)len;
	n->joff[tp->nfields] = (uint32_t)jlen;
	/* a tape may name a type or a field with 100 KB: the general paths
	 * write those in pieces */
	n->fast = len + strlen(n->ttype) < OUT_BUF / 16 && jlen + strlen(n->jtype) < OUT_BUF / 16;
	n->tp = tp;
	return n;
}

static void text_slow(struct out *o, struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct render_names *nm;
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
	/* a comm is the task's to set: escaped, so one event stays one line
	 * and the task cannot talk to the terminal */
	comm = comm_of(r, ev);
	before = o->len;
	out__text_str(o, comm, strnlen(comm, 64));
	n = o->len >= before ? o->len - before : 16;
	pad(o, n, n < 16 ? 16 : n + 1);
	before = o->len;
	out__u64(o, ev->pid);
	out__putc(o, '/');
	out__u64(o, ev->tid);
	/* the buffer may have been flushed in between: then skip the padding */
	pad(o, o->len >= before ? o->len - before : 13, 13);
	out__putc(o, ' ');
	nm = tp ? names_of(r, tp) : NULL;
	if (!tp) {
		out__putc(o, '?');
	} else if (nm) {
		out__puts(o, nm->ttype);
	} else {
		out__text_str(o, tp->name, strlen(tp->name));
	}
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		if (nm) {
			out__write(o, nm->text + nm->off[i], nm->off[i + 1] - nm->off[i]);
		} else {
			out__putc(o, ' ');
			out__text_str(o, tp->fields[i].name, strlen(tp->fields[i].name));
			out__putc(o, '=');
		}
		render__value(o, ev, i, TAPE_ESC_TEXT);
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

/* True if field @i of @ev has a symbolic name for the JSON "names" object
 * (an errno, an enum or flag name, a dotted IPv4 address). */
static bool has_name(const struct tape_event *ev, unsigned i)
{
	const struct tape_field *f = &ev->tp->fields[i];
	const union tape_value *v = &ev->values[i];
	const struct tape_enum *e = f->enumeration;

	if (f->kind == TAPE_STR || f->kind == TAPE_BYTES)
		return false;
	switch (f->display) {
	case TAPE_DISP_ERRNO:
		return f->kind >= TAPE_S8 && v->s < 0 && v->s >= -4095 &&
		       tape_errno_name((int)v->s);
	case TAPE_DISP_IPV4:
		return true;
	case TAPE_DISP_ENUM:
	case TAPE_DISP_FLAGS:
		for (uint32_t k = 0; e && k < e->count; k++) {
			uint64_t m = e->values[k];

			if (f->display == TAPE_DISP_ENUM ? m == v->u
			    : v->u			 ? m && (v->u & m) == m
							 : !m)
				return true;
		}
		return false;
	default:
		return false;
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

/* Integers as numbers, strings as strings, argv as an array of strings,
 * addresses as their display text, other bytes in hex. */
static void json_field(struct out *o, const struct tape_event *ev, unsigned i)
{
	const struct tape_field *f = &ev->tp->fields[i];
	const union tape_value *v = &ev->values[i];

	switch (f->kind) {
	case TAPE_STR:
		out__json_str(o, v->b.ptr ? v->b.ptr : "", v->b.len);
		return;
	case TAPE_BYTES:
		if (f->display == TAPE_DISP_ARGV) {
			json_argv(o, v->b.ptr, v->b.len);
		} else {
			out__putc(o, '"');
			render__value(o, ev, i, TAPE_ESC_JSON);
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

static void json_slow(struct out *o, struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct render_names *nm;
	const struct tape_proc_state *p;
	const char *comm;
	bool any = false;

	if (ev->type == TAPE_TYPE_LOSS) {
		json_loss(o, r, ev);
		return;
	}
	nm = tp ? names_of(r, tp) : NULL;
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
	comm = comm_of(r, ev);
	out__json_str(o, comm, strnlen(comm, 64));
	p = proc_of(r, ev);
	if (p && p->ppid) {
		out__puts(o, ",\"ppid\":");
		out__u64(o, p->ppid);
	}
	if (p && p->exe) {
		out__puts(o, ",\"exe\":");
		out__json_str(o, p->exe, strlen(p->exe));
	}
	if (p && p->container && p->container[0]) {
		out__puts(o, ",\"container\":");
		out__json_str(o, p->container, strlen(p->container));
		if (p->container_name) {
			out__puts(o, ",\"container_name\":");
			out__json_str(o, p->container_name, strlen(p->container_name));
		}
	}
	out__puts(o, ",\"type\":");
	if (nm)
		out__puts(o, nm->jtype);
	else
		out__json_str(o, tp ? tp->name : "?", strlen(tp ? tp->name : "?"));
	if (r->nsrcs > 1) {
		out__puts(o, ",\"source\":");
		out__u64(o, ev->source);
	}
	out__puts(o, ",\"fields\":{");
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		if (i)
			out__putc(o, ',');
		if (nm) {
			out__write(o, nm->jtext + nm->joff[i], nm->joff[i + 1] - nm->joff[i]);
		} else {
			out__json_str(o, tp->fields[i].name, strlen(tp->fields[i].name));
			out__putc(o, ':');
		}
		json_field(o, ev, i);
	}
	out__putc(o, '}');
	for (unsigned i = 0; tp && i < tp->nfields; i++) {
		if (!has_name(ev, i))
			continue;
		out__puts(o, any ? "," : ",\"names\":{");
		any = true;
		if (nm) {
			out__write(o, nm->jtext + nm->joff[i], nm->joff[i + 1] - nm->joff[i]);
		} else {
			out__json_str(o, tp->fields[i].name, strlen(tp->fields[i].name));
			out__putc(o, ':');
		}
		out__putc(o, '"');
		if (tp->fields[i].display == TAPE_DISP_ERRNO)
			out__puts(o, tape_errno_name((int)ev->values[i].s));
		else
			render__value(o, ev, i, TAPE_ESC_JSON);
		out__putc(o, '"');
	}
	if (any)
		out__putc(o, '}');
	json_frames(o, r, ev);
	out__puts(o, "}\n");
}

/* ---- the common case, written straight into the buffer ----
 *
 * The same text as text_slow() and json_slow() (tests/test_replay.c checks
 * it), without a function call and a bounds check per piece: a text replay
 * spends most of its time here.  Values still come from tape_format_value()
 * and tape_escape(). */

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

/* Digits straight into place, two at a time. */
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

static char *put_lit(char *p, const char *lit, size_t n)
{
	memcpy(p, lit, n);
	return p + n;
}

#define PUT_LIT(p, s) put_lit(p, s, sizeof(s) - 1)

/* @n bytes of room at @p, the end of what was written: the buffer is
 * flushed first if needed.  Returns where to go on writing. */
static char *room_at(struct out *o, char *p, size_t n)
{
	o->len = (size_t)(p - o->buf);
	return out_room(o, n);
}

/* Field @i of @ev as tape_format_value() writes it, at @p. */
static char *value_at(struct out *o, char *p, const struct tape_event *ev, unsigned i,
		      enum tape_esc esc)
{
	size_t room;
	ssize_t n;

	room = OUT_BUF - (size_t)(p - o->buf);
	if (room < 64) {
		p = room_at(o, p, 64);
		room = OUT_BUF - (size_t)(p - o->buf);
	}
	n = tape_format_value(ev->tp, i, &ev->values[i], esc, p, room);
	if (n >= 0 && (size_t)n < room)
		return p + n;
	o->len = (size_t)(p - o->buf);
	render__value(o, ev, i, esc);
	return o->buf + o->len;
}

void render__text(struct out *o, struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct render_names *nm;
	const char *comm;
	size_t need, n;
	char *p, *start;

	if (ev->type == TAPE_TYPE_LOSS || !tp || r->time == TIME_WALL || !(nm = names_of(r, tp)) ||
	    !nm->fast) {
		text_slow(o, r, ev);
		text_frames(o, r, ev);
		return;
	}
	comm = comm_of(r, ev);
	n = strnlen(comm, 64);
	need = 96 + TAPE_ESC_MAX * n + strlen(nm->ttype);
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
	start = p;
	p += tape_escape(comm, n, TAPE_ESC_TEXT, p, TAPE_ESC_MAX * n + 1);
	/* an escaped comm may be longer than the column: still one space */
	do
		*p++ = ' ';
	while (p - start < 16);
	start = p;
	p = put_dec(p, ev->pid);
	*p++ = '/';
	p = put_dec(p, ev->tid);
	while (p - start < 13)
		*p++ = ' ';
	*p++ = ' ';
	p = put_lit(p, nm->ttype, strlen(nm->ttype));
	for (unsigned i = 0; i < tp->nfields; i++) {
		size_t k = nm->off[i + 1] - nm->off[i];

		if (OUT_BUF - (size_t)(p - o->buf) < k + 64)
			p = room_at(o, p, k + 64);
		p = put_lit(p, nm->text + nm->off[i], k);
		p = value_at(o, p, ev, i, TAPE_ESC_TEXT);
	}
	p = room_at(o, p, 1);
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
	if (ev->stack_id)
		text_frames(o, r, ev);
}

/* A JSON string literal of @n bytes at @s, at @p. */
static char *json_str_at(struct out *o, char *p, const char *s, size_t n)
{
	if (TAPE_ESC_MAX * n + 3 < OUT_BUF / 4) {
		p = room_at(o, p, TAPE_ESC_MAX * n + 3);
		*p++ = '"';
		p += tape_escape(s, n, TAPE_ESC_JSON, p, TAPE_ESC_MAX * n + 1);
		*p++ = '"';
		return p;
	}
	o->len = (size_t)(p - o->buf);
	out__json_str(o, s, n);
	return o->buf + o->len;
}

void render__json(struct out *o, struct render *r, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const struct render_names *nm;
	const struct tape_proc_state *ps;
	const char *comm;
	bool any = false;
	char *p;

	if (ev->type == TAPE_TYPE_LOSS || !tp || !(nm = names_of(r, tp)) || !nm->fast) {
		json_slow(o, r, ev);
		return;
	}
	p = out_room(o, 160 + strlen(nm->jtype));
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
	comm = comm_of(r, ev);
	p = json_str_at(o, p, comm, strnlen(comm, 64));
	ps = proc_of(r, ev);
	p = room_at(o, p, 64 + strlen(nm->jtype));
	if (ps && ps->ppid) {
		p = PUT_LIT(p, ",\"ppid\":");
		p = put_dec(p, ps->ppid);
	}
	if (ps && ps->exe) {
		p = PUT_LIT(p, ",\"exe\":");
		p = json_str_at(o, p, ps->exe, strlen(ps->exe));
		p = room_at(o, p, 64 + strlen(nm->jtype));
	}
	if (ps && ps->container && ps->container[0]) {
		p = PUT_LIT(p, ",\"container\":");
		p = json_str_at(o, p, ps->container, strlen(ps->container));
		p = room_at(o, p, 64 + strlen(nm->jtype));
		if (ps->container_name) {
			p = PUT_LIT(p, ",\"container_name\":");
			p = json_str_at(o, p, ps->container_name, strlen(ps->container_name));
			p = room_at(o, p, 64 + strlen(nm->jtype));
		}
	}
	p = PUT_LIT(p, ",\"type\":");
	p = put_lit(p, nm->jtype, strlen(nm->jtype));
	if (r->nsrcs > 1) {
		p = PUT_LIT(p, ",\"source\":");
		p = put_dec(p, ev->source);
	}
	p = PUT_LIT(p, ",\"fields\":{");
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *f = &tp->fields[i];
		const union tape_value *v = &ev->values[i];
		size_t k = nm->joff[i + 1] - nm->joff[i];

		p = room_at(o, p, k + 32);
		if (i)
			*p++ = ',';
		p = put_lit(p, nm->jtext + nm->joff[i], k);
		switch (f->kind) {
		case TAPE_STR:
			p = json_str_at(o, p, v->b.ptr ? v->b.ptr : "", v->b.len);
			break;
		case TAPE_BYTES:
			o->len = (size_t)(p - o->buf);
			json_field(o, ev, i);
			p = o->buf + o->len;
			break;
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
	p = room_at(o, p, 1);
	*p++ = '}';
	for (unsigned i = 0; i < tp->nfields; i++) {
		size_t k = nm->joff[i + 1] - nm->joff[i];

		if (!has_name(ev, i))
			continue;
		p = room_at(o, p, k + 16);
		p = any ? PUT_LIT(p, ",") : PUT_LIT(p, ",\"names\":{");
		any = true;
		p = put_lit(p, nm->jtext + nm->joff[i], k);
		*p++ = '"';
		if (tp->fields[i].display == TAPE_DISP_ERRNO) {
			const char *en = tape_errno_name((int)ev->values[i].s);

			p = room_at(o, p, strlen(en) + 1);
			p = put_lit(p, en, strlen(en));
		} else {
			p = value_at(o, p, ev, i, TAPE_ESC_JSON);
		}
		p = room_at(o, p, 1);
		*p++ = '"';
	}
	p = room_at(o, p, 3);
	if (any)
		*p++ = '}';
	if (ev->stack_id) {
		o->len = (size_t)(p - o->buf);
		json_frames(o, r, ev);
		p = room_at(o, o->buf + o->len, 2);
	}
	*p++ = '}';
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
}
