// SPDX-License-Identifier: MIT
/* Display text of field values: symbolic flags, enums, errnos, addresses. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tape_int.h"

/* snprintf-like appender that keeps counting past the end of the buffer. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->pos < o->len ? o->len - o->pos : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += n;
}

static void outc(struct out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
	if (o->len)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = 0;
}

const char *tape_errno_name(int err)
{
	if (err < -4095 || err > 4095 || err == 0)
		return NULL;
	if (err < 0)
		err = -err;
	return strerrorname_np(err);
}

static void out_str(struct out *o, const uint8_t *p, size_t n, bool quote)
{
	if (quote)
		outc(o, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!quote) {
			outc(o, c >= 0x20 && c != 0x7f ? c : '?');
			continue;
		}
		switch (c) {
		case '"':
			outf(o, "\\\"");
			break;
		case '\\':
			outf(o, "\\\\");
			break;
		case '\n':
			outf(o, "\\n");
			break;
		case '\t':
			outf(o, "\\t");
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				outf(o, "\\x%02x", c);
			else
				outc(o, c);
		}
	}
	if (quote)
		outc(o, '"');
}

static void out_hex(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		outf(o, "%02x", p[i]);
}

static void out_sockaddr(struct out *o, const uint8_t *p, size_t n, bool quote)
{
	char ip[INET6_ADDRSTRLEN];
	uint16_t family;

	if (n < 2) {
		outf(o, n ? "?" : "none");
		return;
	}
	memcpy(&family, p, 2);
	if (family == AF_INET && n >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, p, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
		outf(o, "%s:%u", ip, ntohs(sin.sin_port));
	} else if (family == AF_INET6 && n >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, p, sizeof(sin6));
		inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof(ip));
		outf(o, "[%s]:%u", ip, ntohs(sin6.sin6_port));
	} else if (family == AF_UNIX) {
		const uint8_t *path = p + 2;
		size_t len = n - 2;

		if (len && !path[0]) {
			outc(o, '@');
			path++;
			len--;
			out_str(o, path, strnlen((const char *)path, len), quote);
		} else {
			out_str(o, path, strnlen((const char *)path, len), quote);
		}
		if (!len)
			outf(o, "unix:unnamed");
	} else {
		outf(o, "family%u:", family);
		out_hex(o, p + 2, n - 2);
	}
}

static void out_flags(struct out *o, const struct tape_enum *e, uint64_t v)
{
	uint64_t left = v;
	bool first = true;

	if (!v) {
		for (uint32_t i = 0; i < e->count; i++)
			if (!e->values[i]) {
				outf(o, "%s", e->names[i]);
				return;
			}
		outf(o, "0");
		return;
	}
	for (uint32_t i = 0; i < e->count; i++) {
		uint64_t m = e->values[i];

		if (m && (v & m) == m && (left & m)) {
			outf(o, "%s%s", first ? "" : "|", e->names[i]);
			left &= ~m;
			first = false;
		}
	}
	if (left)
		outf(o, "%s%#" PRIx64, first ? "" : "|", left);
}

static void out_nsec(struct out *o, uint64_t ns)
{
	if (ns < 1000)
		outf(o, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		outf(o, "%.3fus", ns / 1e3);
	else if (ns < 1000000000)
		outf(o, "%.3fms", ns / 1e6);
	else
		outf(o, "%.3fs", ns / 1e9);
}

int tape_format_value(const struct tape_type *type, unsigned idx, const union tape_value *v,
		      bool quote, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	const struct tape_field *f;

	if (len)
		buf[0] = 0;
	if (!type || !v || idx >= type->nfields)
		return -EINVAL;
	f = &type->fields[idx];

	if (f->kind == TAPE_STR) {
		out_str(&o, v->b.ptr, v->b.len, quote);
	} else if (f->kind == TAPE_BYTES) {
		const uint8_t *p = v->b.ptr;

		switch (f->display) {
		case TAPE_DISP_SOCKADDR:
			out_sockaddr(&o, p, v->b.len, quote);
			break;
		case TAPE_DISP_IPV6: {
			char ip[INET6_ADDRSTRLEN];

			if (v->b.len == 16 && inet_ntop(AF_INET6, p, ip, sizeof(ip)))
				outf(&o, "%s", ip);
			else
				out_hex(&o, p, v->b.len);
			break;
		}
		case TAPE_DISP_ARGV:
			for (size_t i = 0; i < v->b.len;) {
				size_t n = strnlen((const char *)p + i, v->b.len - i);

				if (i)
					outc(&o, ' ');
				out_str(&o, p + i, n, quote);
				i += n + 1;
			}
			break;
		default:
			out_hex(&o, p, v->b.len);
		}
	} else {
		bool sign = kind_is_signed(f->kind);
		uint64_t u = v->u;

		switch (f->display) {
		case TAPE_DISP_ERRNO:
			if (sign && v->s < 0 && v->s >= -4095 && tape_errno_name(v->s))
				outf(&o, "%" PRId64 "(%s)", v->s, tape_errno_name(v->s));
			else if (sign)
				outf(&o, "%" PRId64, v->s);
			else
				outf(&o, "%" PRIu64, u);
			break;
		case TAPE_DISP_ENUM:
			if (f->enumeration) {
				const struct tape_enum *e = f->enumeration;
				uint32_t i;

				for (i = 0; i < e->count && e->values[i] != u; i++)
					;
				if (i < e->count) {
					outf(&o, "%s", e->names[i]);
					break;
				}
			}
			outf(&o, sign ? "%" PRId64 : "%" PRIu64, u);
			break;
		case TAPE_DISP_FLAGS:
			if (f->enumeration)
				out_flags(&o, f->enumeration, u);
			else
				outf(&o, "%#" PRIx64, u);
			break;
		case TAPE_DISP_HEX:
		case TAPE_DISP_PTR:
			outf(&o, "%#" PRIx64, u);
			break;
		case TAPE_DISP_OCTAL:
			outf(&o, "%#" PRIo64, u);
			break;
		case TAPE_DISP_NSEC:
			out_nsec(&o, u);
			break;
		case TAPE_DISP_IPV4: {
			uint32_t a = (uint32_t)u;
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a, ip, sizeof(ip));
			outf(&o, "%s", ip);
			break;
		}
		default:
			outf(&o, sign ? "%" PRId64 : "%" PRIu64, u);
		}
	}
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = 0;
	return o.pos;
}
