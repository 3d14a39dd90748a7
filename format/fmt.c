// SPDX-License-Identifier: MIT
/*
 * The one renderer of values: display text of fields (symbolic flags,
 * enums, errnos, addresses) and the escaping of every byte string that came
 * from a tape, for terminals, JSON and CSV.  Every output of every verb goes
 * through here, so they agree and a reader can undo them (tape.h, enum
 * tape_esc).  It writes digits and escapes by hand: text replay spends most
 * of its time here.
 */
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
	size_t len; /* bytes at buf, the NUL included */
	size_t pos;
};

/* Room for @n more bytes and the NUL: then writers go straight in. */
static inline bool fits(const struct out *o, size_t n)
{
	return o->pos < o->len && o->len - o->pos > n;
}

static inline void put(struct out *o, const void *p, size_t n)
{
	if (fits(o, n)) {
		/* most pieces are a few bytes: a loop beats a call to memcpy */
		if (n <= 16) {
			const char *c = p;

			for (size_t i = 0; i < n; i++)
				o->buf[o->pos + i] = c[i];
		} else {
			memcpy(o->buf + o->pos, p, n);
		}
	} else if (o->pos + 1 < o->len) {
		memcpy(o->buf + o->pos, p, o->len - 1 - o->pos);
	}
	o->pos += n;
}

static inline void putch(struct out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
				     "25262728293031323334353637383940414243444546474849"
				     "50515253545556575859606162636465666768697071727374"
				     "75767778798081828384858687888990919293949596979899";

static void put_dec(struct out *o, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	if (v < 10 && fits(o, 1)) {
		o->buf[o->pos++] = (char)('0' + v);
		return;
	}
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--p = digit_pairs[d + 1];
		*--p = digit_pairs[d];
	}
	if (v >= 10) {
		*--p = digit_pairs[v * 2 + 1];
		*--p = digit_pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_sdec(struct out *o, int64_t v)
{
	if (v < 0) {
		putch(o, '-');
		put_dec(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_dec(o, (uint64_t)v);
	}
}

/* printf's "%#x" and "%#o": the prefix only for non-zero values. */
static void put_radix(struct out *o, uint64_t v, unsigned shift, const char *prefix)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24], *p = tmp + sizeof(tmp);

	if (!v) {
		putch(o, '0');
		return;
	}
	while (v) {
		*--p = digits[v & ((1u << shift) - 1)];
		v >>= shift;
	}
	puts_(o, prefix);
	put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

bool tape_field__has_text(const struct tape_field *f)
{
	if (!f)
		return false;
	switch (f->display) {
	case TAPE_DISP_ENUM:
	case TAPE_DISP_FLAGS:
	case TAPE_DISP_ERRNO:
	case TAPE_DISP_SOCKADDR:
	case TAPE_DISP_IPV4:
	case TAPE_DISP_IPV6:
	case TAPE_DISP_ARGV:
	case TAPE_DISP_NSEC:
		return true;
	case TAPE_DISP_OCTAL:
	case TAPE_DISP_HEX:
		return f->kind != TAPE_STR && f->kind != TAPE_BYTES;
	default:
		return false;
	}
}

const char *tape_errno_name(int err)
{
	if (err < -4095 || err > 4095 || err == 0)
		return NULL;
	if (err < 0)
		err = -err;
	return strerrorname_np(err);
}

/* ---- escaping ---- */

/* Length of the valid UTF-8 sequence at @s (@n > 0 bytes, s[0] >= 0x80),
 * or 0: overlong forms, surrogates and code points past U+10FFFF are not
 * UTF-8 and get escaped byte by byte. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	size_t len;
	uint32_t cp;

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

static const char hexd[] = "0123456789abcdef";

/* Bytes every mode writes as they are: printable ASCII but quote and
 * backslash. */
static const bool as_is[256] = {
	[0x20 ... 0x21] = true,
	[0x23 ... 0x5b] = true,
	[0x5d ... 0x7e] = true,
};

/* The "\xNN" escape of byte @c at @d; in JSON its backslash is itself
 * escaped.  Returns the end. */
static inline char *xesc(char *d, uint8_t c, enum tape_esc esc)
{
	*d++ = '\\';
	if (esc == TAPE_ESC_JSON)
		*d++ = '\\';
	*d++ = 'x';
	*d++ = hexd[c >> 4];
	*d++ = hexd[c & 15];
	return d;
}

static void put_xesc(struct out *o, uint8_t c, enum tape_esc esc)
{
	char tmp[5], *end = xesc(tmp, c, esc);

	for (char *t = tmp; t < end; t++)
		putch(o, *t);
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* True if none of the 8 bytes of @x needs an escape in any mode: no byte
 * below 0x20, none from 0x7f up, no quote, no backslash.  The bit tricks
 * may see a byte that is not there (a borrow from a real one below it),
 * never miss one, so a false answer only takes the byte-wise way. */
static inline bool word_as_is(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return !((((x - ONES * 0x20) & ~x) | ((x + ONES) | x) | ((q - ONES) & ~q) |
		  ((b - ONES) & ~b)) &
		 HIGHS);
}

/*
 * The one escaping of the library (tape.h, enum tape_esc): @n bytes at @s
 * into @d, which has room for TAPE_ESC_MAX * @n bytes.  Returns the end.
 */
static char *escape_to(char *d, const uint8_t *s, size_t n, enum tape_esc esc)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c;

		/* paths and names are mostly plain ASCII: eight bytes a time */
		while (i + 8 <= n) {
			uint64_t x;

			memcpy(&x, s + i, 8);
			if (!word_as_is(x))
				break;
			memcpy(d, &x, 8);
			d += 8;
			i += 8;
		}
		if (i == n)
			break;
		c = s[i];

		if (as_is[c]) {
			*d++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t l = utf8_len(s + i, n - i);

			if (!l) {
				d = xesc(d, c, esc);
				i++;
			} else if (esc == TAPE_ESC_TEXT && c == 0xc2 && s[i + 1] < 0xa0) {
				/* C1 controls: U+009B is a CSI to some terminals */
				d = xesc(d, c, esc);
				d = xesc(d, s[i + 1], esc);
				i += 2;
			} else {
				while (l--)
					*d++ = (char)s[i++];
			}
			continue;
		}
		i++;
		switch (c) {
		case '\\':
			*d++ = '\\';
			*d++ = '\\';
			if (esc == TAPE_ESC_JSON) {
				*d++ = '\\';
				*d++ = '\\';
			}
			break;
		case '"':
			if (esc != TAPE_ESC_PLAIN)
				*d++ = '\\';
			*d++ = '"';
			break;
		case '\t':
		case '\n':
		case '\r':
			if (esc == TAPE_ESC_PLAIN) {
				*d++ = (char)c;
			} else {
				*d++ = '\\';
				*d++ = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
			}
			break;
		default: /* the other control bytes and DEL */
			d = xesc(d, c, esc);
		}
	}
	return d;
}

static void escape(struct out *o, const uint8_t *s, size_t n, enum tape_esc esc)
{
	char tmp[TAPE_ESC_MAX * 64];

	if (esc == TAPE_ESC_RAW) {
		put(o, s, n);
		return;
	}
	if (fits(o, TAPE_ESC_MAX * n)) {
		o->pos = (size_t)(escape_to(o->buf + o->pos, s, n, esc) - o->buf);
		return;
	}
	/* near the end of the buffer: in pieces that never end inside a UTF-8
	 * sequence, which would then be escaped as invalid bytes */
	while (n) {
		size_t k = n < 64 ? n : 64;

		while (k < n && k > 60 && (s[k] & 0xc0) == 0x80)
			k--;
		put(o, tmp, (size_t)(escape_to(tmp, s, k, esc) - tmp));
		s += k;
		n -= k;
	}
}

static void finish(struct out *o)
{
	if (o->len)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = 0;
}

ssize_t tape_escape(const void *src, size_t n, enum tape_esc esc, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (len)
		buf[0] = 0;
	if (esc > TAPE_ESC_LAST || (!src && n))
		return -EINVAL;
	escape(&o, src, n, esc);
	finish(&o);
	return (ssize_t)o.pos;
}

/* A string of the tape: quoted in text, where the quotes keep `a="x y"` one
 * value; the other modes are inside a JSON string or a CSV cell already. */
static void out_str(struct out *o, const uint8_t *p, size_t n, enum tape_esc esc)
{
	if (esc == TAPE_ESC_TEXT)
		putch(o, '"');
	escape(o, p, n, esc);
	if (esc == TAPE_ESC_TEXT)
		putch(o, '"');
}

static void out_hex(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		putch(o, hexd[p[i] >> 4]);
		putch(o, hexd[p[i] & 15]);
	}
}

static void out_sockaddr(struct out *o, const uint8_t *p, size_t n, enum tape_esc esc)
{
	char ip[INET6_ADDRSTRLEN];
	uint16_t family;

	if (n < 2) {
		puts_(o, n ? "?" : "none");
		return;
	}
	memcpy(&family, p, 2);
	if (family == AF_INET && n >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, p, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
		puts_(o, ip);
		putch(o, ':');
		put_dec(o, ntohs(sin.sin_port));
	} else if (family == AF_INET6 && n >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, p, sizeof(sin6));
		inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof(ip));
		putch(o, '[');
		puts_(o, ip);
		puts_(o, "]:");
		put_dec(o, ntohs(sin6.sin6_port));
	} else if (family == AF_UNIX) {
		const uint8_t *path = p + 2;
		size_t len = n - 2;

		if (!len) {
			/* autobind, socketpair: no string to quote */
			puts_(o, "unix:unnamed");
		} else if (!path[0]) {
			/* an abstract name is its whole length, NULs included */
			putch(o, '@');
			out_str(o, path + 1, len - 1, esc);
		} else {
			len = strnlen((const char *)path, len);
			if (path[0] == '@' && esc != TAPE_ESC_TEXT && esc != TAPE_ESC_RAW) {
				/* unquoted, a path starting with '@' would read as abstract */
				put_xesc(o, '@', esc);
				path++;
				len--;
			}
			out_str(o, path, len, esc);
		}
	} else {
		puts_(o, "family");
		put_dec(o, family);
		putch(o, ':');
		out_hex(o, p + 2, n - 2);
	}
}

/* NUL-separated arguments.  Text quotes each; unquoted, they are separated by
 * one space and a space inside an argument is "\x20", so that splitting on
 * spaces before unescaping gives the arguments back. */
static void out_argv(struct out *o, const uint8_t *p, size_t len, enum tape_esc esc)
{
	for (size_t i = 0; i < len;) {
		size_t n = strnlen((const char *)p + i, len - i);

		if (i)
			putch(o, ' ');
		if (esc == TAPE_ESC_PLAIN || esc == TAPE_ESC_JSON) {
			for (size_t k = 0; k < n;) {
				const uint8_t *sp = memchr(p + i + k, ' ', n - k);
				size_t run = sp ? (size_t)(sp - (p + i + k)) : n - k;

				escape(o, p + i + k, run, esc);
				k += run;
				if (sp) {
					put_xesc(o, ' ', esc);
					k++;
				}
			}
		} else {
			out_str(o, p + i, n, esc);
		}
		i += n + 1;
	}
}

static void out_flags(struct out *o, const struct tape_enum *e, uint64_t v, enum tape_esc esc)
{
	uint64_t left = v;
	bool first = true;

	if (!v) {
		for (uint32_t i = 0; i < e->count; i++)
			if (!e->values[i]) {
				escape(o, (const uint8_t *)e->names[i], strlen(e->names[i]), esc);
				return;
			}
		putch(o, '0');
		return;
	}
	for (uint32_t i = 0; i < e->count; i++) {
		uint64_t m = e->values[i];

		if (m && (v & m) == m && (left & m)) {
			if (!first)
				putch(o, '|');
			escape(o, (const uint8_t *)e->names[i], strlen(e->names[i]), esc);
			left &= ~m;
			first = false;
		}
	}
	if (left) {
		if (!first)
			putch(o, '|');
		put_radix(o, left, 4, "0x");
	}
}

static void out_nsec(struct out *o, uint64_t ns)
{
	if (ns < 1000) {
		put_dec(o, ns);
		put(o, "ns", 2);
	} else if (ns < 1000000) {
		/* ns / 1e3 has exactly three decimals: no rounding to get wrong */
		char frac[6] = {'.',
				(char)('0' + ns % 1000 / 100),
				(char)('0' + ns % 100 / 10),
				(char)('0' + ns % 10),
				'u',
				's'};

		put_dec(o, ns / 1000);
		put(o, frac, 6);
	} else if (ns < 1000000000) {
		outf(o, "%.3fms", ns / 1e6);
	} else {
		outf(o, "%.3fs", ns / 1e9);
	}
}

ssize_t tape_format_value(const struct tape_type *type, unsigned idx, const union tape_value *v,
			  enum tape_esc esc, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	const struct tape_field *f;

	if (len)
		buf[0] = 0;
	if (!type || !v || idx >= type->nfields || esc > TAPE_ESC_LAST)
		return -EINVAL;
	f = &type->fields[idx];

	if (f->kind == TAPE_STR) {
		out_str(&o, v->b.ptr, v->b.len, esc);
	} else if (f->kind == TAPE_BYTES) {
		const uint8_t *p = v->b.ptr;

		switch (f->display) {
		case TAPE_DISP_SOCKADDR:
			out_sockaddr(&o, p, v->b.len, esc);
			break;
		case TAPE_DISP_IPV6: {
			char ip[INET6_ADDRSTRLEN];

			if (v->b.len == 16 && inet_ntop(AF_INET6, p, ip, sizeof(ip)))
				puts_(&o, ip);
			else
				out_hex(&o, p, v->b.len);
			break;
		}
		case TAPE_DISP_ARGV:
			out_argv(&o, p, v->b.len, esc);
			break;
		default:
			out_hex(&o, p, v->b.len);
		}
	} else {
		bool sign = kind_is_signed(f->kind);
		uint64_t u = v->u;

		switch (f->display) {
		case TAPE_DISP_ERRNO: {
			const char *en = sign && v->s < 0 && v->s >= -4095
						 ? tape_errno_name((int)v->s)
						 : NULL;

			if (en) {
				put_sdec(&o, v->s);
				putch(&o, '(');
				puts_(&o, en);
				putch(&o, ')');
			} else if (sign) {
				put_sdec(&o, v->s);
			} else {
				put_dec(&o, u);
			}
			break;
		}
		case TAPE_DISP_ENUM:
			if (f->enumeration) {
				const struct tape_enum *e = f->enumeration;
				uint32_t i;

				for (i = 0; i < e->count && e->values[i] != u; i++)
					;
				if (i < e->count) {
					escape(&o, (const uint8_t *)e->names[i],
					       strlen(e->names[i]), esc);
					break;
				}
			}
			if (sign)
				put_sdec(&o, v->s);
			else
				put_dec(&o, u);
			break;
		case TAPE_DISP_FLAGS:
			if (f->enumeration)
				out_flags(&o, f->enumeration, u, esc);
			else
				put_radix(&o, u, 4, "0x");
			break;
		case TAPE_DISP_HEX:
		case TAPE_DISP_PTR:
			put_radix(&o, u, 4, "0x");
			break;
		case TAPE_DISP_OCTAL:
			put_radix(&o, u, 3, "0");
			break;
		case TAPE_DISP_NSEC:
			out_nsec(&o, u);
			break;
		case TAPE_DISP_IPV4: {
			uint32_t a = (uint32_t)u;
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a, ip, sizeof(ip));
			puts_(&o, ip);
			break;
		}
		default:
			if (sign)
				put_sdec(&o, v->s);
			else
				put_dec(&o, u);
		}
	}
	finish(&o);
	return (ssize_t)o.pos;
}
