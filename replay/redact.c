// SPDX-License-Identifier: MIT
/* Redaction tokens (see redact.h). */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "redact.h"

int redact_parse(const char *list, unsigned *what)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{"paths", REDACT_PATHS}, {"path", REDACT_PATHS},      {"argv", REDACT_ARGV},
		{"env", REDACT_ENV},	 {"addrs", REDACT_ADDRS},     {"addr", REDACT_ADDRS},
		{"host", REDACT_HOST},	 {"symbols", REDACT_SYMBOLS},
	};
	const char *s = list;

	*what = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		bool found = false;

		if (len == 3 && !strncmp(s, "all", 3)) {
			*what |= REDACT_PATHS | REDACT_ARGV | REDACT_ENV | REDACT_ADDRS |
				 REDACT_HOST;
			found = true;
		}
		for (size_t i = 0; !found && i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncmp(s, names[i].name, len)) {
				*what |= names[i].bit;
				found = true;
			}
		if (!found && len)
			return -EINVAL;
		s += len;
		if (*s)
			s++;
	}
	return *what ? 0 : -EINVAL;
}

static int read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, buf + *got, len - *got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		*got += (size_t)n;
	}
	return 0;
}

int redact_key(const char *path, uint8_t key[SIPHASH_KEY_LEN])
{
	static const uint8_t k0[SIPHASH_KEY_LEN] = "bpftape-key-0\0\0";
	static const uint8_t k1[SIPHASH_KEY_LEN] = "bpftape-key-1\0\0";
	uint8_t buf[4096];
	size_t got;
	int fd, rc;

	fd = open(path ? path : "/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = read_all(fd, buf, path ? sizeof(buf) : SIPHASH_KEY_LEN, &got);
	close(fd);
	if (rc)
		return rc;
	if (!path) {
		if (got != SIPHASH_KEY_LEN)
			return -EIO;
		memcpy(key, buf, SIPHASH_KEY_LEN);
		return 0;
	}
	/* a key file too short to hold 128 bits of secret is a mistake */
	if (got < SIPHASH_KEY_LEN)
		return -EINVAL;
	{
		uint64_t a = tape__siphash24(k0, buf, got), b = tape__siphash24(k1, buf, got);

		memcpy(key, &a, 8);
		memcpy(key + 8, &b, 8);
	}
	return 0;
}

static bool name_has(const char *name, const char *part)
{
	return strstr(name, part) != NULL;
}

/* The class a field's name and display give it, among those in @what. */
static unsigned name_class(const struct tape_field *f, unsigned what)
{
	const char *n = f->name;

	if (f->kind == TAPE_STR || f->kind == TAPE_BYTES) {
		if ((what & REDACT_ADDRS) &&
		    (f->display == TAPE_DISP_SOCKADDR || f->display == TAPE_DISP_IPV6))
			return REDACT_ADDRS;
		if ((what & REDACT_ENV) && (!strcmp(n, "env") || !strcmp(n, "envp")))
			return REDACT_ENV;
		if ((what & REDACT_ARGV) &&
		    (f->display == TAPE_DISP_ARGV || !strcmp(n, "argv") || !strcmp(n, "args")))
			return REDACT_ARGV;
		if ((what & REDACT_PATHS) &&
		    (!strcmp(n, "exe") || name_has(n, "path") || name_has(n, "file") ||
		     !strcmp(n, "name") || !strcmp(n, "dir") || !strcmp(n, "target")))
			return REDACT_PATHS;
		if ((what & REDACT_HOST) && (name_has(n, "cgroup") || name_has(n, "host") ||
					     name_has(n, "container") || !strcmp(n, "pod")))
			return REDACT_HOST;
		return 0;
	}
	if ((what & REDACT_ADDRS) && f->display == TAPE_DISP_IPV4)
		return REDACT_ADDRS;
	return 0;
}

static const char *const generic_kinds[] = {
	"tracepoint:", "uprobe:", "uretprobe:", "usdt:", "kprobe:", "kretprobe:",
};

/* Length of the generic probe kind @src starts with ("uprobe:"), or 0. */
static size_t generic_prefix(const char *src)
{
	for (size_t i = 0; src && i < sizeof(generic_kinds) / sizeof(generic_kinds[0]); i++) {
		size_t n = strlen(generic_kinds[i]);

		if (!strncmp(src, generic_kinds[i], n))
			return n;
	}
	return 0;
}

static bool has_format(const struct tape_type *tp)
{
	return tp->format && tp->format[0];
}

bool redact_type_generic(const struct tape_type *tp)
{
	return has_format(tp) || generic_prefix(tp->source);
}

bool redact_type_raw(const struct tape_type *tp)
{
	return (has_format(tp) || (tp->source && !strncmp(tp->source, "tracepoint:", 11))) &&
	       tp->nfields == 1 && tp->fields[0].kind == TAPE_BYTES &&
	       !strcmp(tp->fields[0].name, "raw");
}

/*
 * Is tracepoint field @name a fixed array of integers wider than a byte
 * ("unsigned long args[6]; ... size:48")?  Those hold numbers like integer
 * fields do, not text or address bytes.  Anything not recognised, dynamic
 * arrays included, is not: it gets redacted.
 */
static bool wide_int_array(const char *format, const char *name)
{
	size_t nl = strlen(name);
	const char *p = format;

	while (nl && (p = strstr(p, "field:"))) {
		const char *end = strchr(p, ';'), *eol, *q;

		if (!end)
			return false;
		for (q = p + 6; q + nl < end; q++)
			if ((q[-1] == ' ' || q[-1] == '*' || q[-1] == ':') && q[nl] == '[' &&
			    !memcmp(q, name, nl))
				break;
		if (q + nl < end) {
			unsigned long count, size;
			const char *sz;
			char *e;

			count = strtoul(q + nl + 1, &e, 10);
			if (e == q + nl + 1 || *e != ']' || !count)
				return false;
			eol = strchr(end, '\n');
			sz = strstr(end, "size:");
			if (!sz || (eol && sz > eol))
				return false;
			size = strtoul(sz + 5, NULL, 10);
			return size % count == 0 && size / count > 1;
		}
		p = end;
	}
	return false;
}

/*
 * The string and byte fields known to tell nothing that --redact hides,
 * whatever was asked: a comm (every event header shows comm in clear:
 * prev_comm, next_comm, parent_comm), and a tracepoint's fixed arrays of
 * integers wider than a byte, numbers like integer fields.  An allow-list:
 * anything else is redacted.
 */
static bool harmless(const struct tape_type *tp, const struct tape_field *f)
{
	size_t n = strlen(f->name);

	if (f->kind == TAPE_STR && n >= 4 && !strcmp(f->name + n - 4, "comm"))
		return true;
	return f->kind == TAPE_BYTES && has_format(tp) && wide_int_array(tp->format, f->name);
}

unsigned redact_field_class(const struct tape_type *tp, unsigned idx, unsigned what)
{
	const unsigned every = REDACT_PATHS | REDACT_ARGV | REDACT_ENV | REDACT_ADDRS | REDACT_HOST;
	const struct tape_field *f = &tp->fields[idx];
	unsigned c = name_class(f, what);

	if (c || !what)
		return c;
	if (f->kind != TAPE_STR && f->kind != TAPE_BYTES)
		/* a kernel's or a spec's "saddr", "daddr", "addr" as a u32 */
		return (what & REDACT_ADDRS) && f->kind == TAPE_U32 && name_has(f->name, "addr")
			       ? REDACT_ADDRS
			       : 0;
	/* named for a class nobody asked to hide */
	if (name_class(f, every))
		return 0;
	if (harmless(tp, f))
		return 0;
	/* what a string of unknown meaning holds cannot be told, whoever
	 * defined the type (a probe spec, a kernel format, a program writing
	 * tapes through the library): it may be any of the classes asked for */
	return REDACT_OPAQUE;
}

/* Metadata keys whose values tell nothing --redact hides. */
static const char *const harmless_keys[] = {
	"host.kernel",	    "host.machine",    "host.ncpus",	    "clock.boottime_to_realtime_ns",
	"recorder.version", "record.start_ts", "record.start_time", "record.cmd_user",
	"filter.redacted",
};

/* A decimal number, maybe signed or with a fraction: a count, a time, an
 * id, never a path, an argument, an address or a host's name. */
static bool numeric(const char *v)
{
	bool digits = false;

	if (*v == '-' || *v == '+')
		v++;
	for (; *v; v++) {
		if (*v >= '0' && *v <= '9')
			digits = true;
		else if (*v != '.')
			return false;
	}
	return digits;
}

unsigned redact_meta_class(const char *k, const char *v, unsigned what)
{
	if (!what)
		return 0;
	if (!strcmp(k, "host.name") || strstr(k, "hostname") || strstr(k, "machine_id") ||
	    strstr(k, "boot_id") || strstr(k, "cgroup"))
		return what & REDACT_HOST;
	if (!strcmp(k, "record.filter"))
		return 0; /* redact_record_filter() takes it apart */
	if (!strcmp(k, "recorder.cmdline"))
		/* the command line names paths and arguments */
		return what & (REDACT_HOST | REDACT_PATHS | REDACT_ARGV) ? REDACT_ARGV : 0;
	for (size_t i = 0; i < sizeof(harmless_keys) / sizeof(harmless_keys[0]); i++)
		if (!strcmp(k, harmless_keys[i]))
			return 0;
	return numeric(v) ? 0 : REDACT_OPAQUE;
}

void redact_bytes(const uint8_t *key, const void *v, size_t len, uint8_t *out)
{
	uint64_t blk[2] = {tape__siphash24(key, v, len), 0};

	for (size_t i = 0; i < len; i += 8) {
		uint64_t b;

		blk[1] = i / 8;
		b = tape__siphash24(key, blk, sizeof(blk));
		memcpy(out + i, &b, len - i < 8 ? len - i : 8);
	}
}

size_t redact_token(const uint8_t *key, const char *cls, const void *v, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = tape__siphash24(key, v, len);
	size_t n = strlen(cls);

	memcpy(out, cls, n);
	out[n++] = ':';
	for (int i = 15; i >= 0; i--)
		out[n++] = hex[(h >> (4 * i)) & 15];
	out[n] = '\0';
	return n;
}

size_t redact_list_size(size_t len)
{
	/* worst case: every byte a one-byte element, each a 21-byte token + NUL */
	return (len + 1) * 32;
}

size_t redact_list(const uint8_t *key, const char *cls, const char *v, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t e = i;

		while (e < len && v[e])
			e++;
		o += redact_token(key, cls, v + i, e - i, out + o);
		out[o++] = '\0';
		i = e + 1;
	}
	return o;
}

size_t redact_sockaddr(const uint8_t *key, const void *v, size_t len, uint8_t *out)
{
	const uint8_t *in = v;
	uint16_t family;
	uint64_t h[2];

	if (len < 2) {
		memset(out, 0, len);
		return len;
	}
	memcpy(&family, in, 2);
	memcpy(out, in, len);
	/* the token is the address's alone, not its port's: one host keeps one
	 * token across its connections, as "same value, same token" says */
	if (family == AF_INET && len >= 8) {
		h[0] = tape__siphash24(key, in + 4, 4);
		memcpy(out + 4, h, 4); /* sin_addr; sin_port at 2..3 kept */
		return len;
	}
	if (family == AF_INET6 && len >= 24) {
		h[0] = tape__siphash24(key, in + 8, 16);
		h[1] = tape__siphash24(key, &h[0], sizeof(h[0]));
		memset(out + 4, 0, 4); /* flowinfo */
		memcpy(out + 8, h, 16);
		if (len >= 28)
			memset(out + 24, 0, 4); /* scope id */
		return len;
	}
	if (family == AF_UNIX) {
		size_t n;

		/* an abstract name keeps its leading NUL */
		out[2] = 0;
		n = len > 2 && in[2] == 0 ? 3 : 2;
		n += redact_token(key, "addr", in + 2, len - 2, (char *)out + n);
		return n;
	}
	/* unknown family: keep the family, hide the rest */
	memset(out + 2, 0, len - 2);
	return len;
}

char *redact_spec_paths(const uint8_t *key, const char *spec)
{
	size_t len = strlen(spec), o = 0, i = 0;
	char *out = malloc(len * 24 + 1);

	if (!out)
		return NULL;
	if (!strncmp(spec, "uprobe:", 7) || !strncmp(spec, "uretprobe:", 10) ||
	    !strncmp(spec, "usdt:", 5)) {
		/* PATH, also a bare name looked up in $PATH ("uprobe:app:main") */
		size_t e;

		i = generic_prefix(spec);
		memcpy(out, spec, i);
		o = i;
		e = i + strcspn(spec + i, ":");
		if (e > i) {
			o += redact_token(key, "path", spec + i, e - i, out + o);
			i = e;
		}
	}
	while (i < len) {
		size_t e = i;

		if (spec[i] != '/') {
			out[o++] = spec[i++];
			continue;
		}
		while (e < len && !strchr(":(, ", spec[e]))
			e++;
		o += redact_token(key, "path", spec + i, e - i, out + o);
		i = e;
	}
	out[o] = '\0';
	return out;
}

static const char *const filter_keys[] = {"pid=", "cmd=", "comm=", "cgroup=", "container=", "uid="};

/* Length of the record.filter key @s starts with ("cmd="), or 0. */
static size_t filter_key(const char *s)
{
	for (size_t i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++)
		if (!strncmp(s, filter_keys[i], strlen(filter_keys[i])))
			return strlen(filter_keys[i]);
	return 0;
}

char *redact_record_filter(const uint8_t *key, const char *v, unsigned what)
{
	size_t len = strlen(v), o = 0, i = 0;
	char *out = malloc(len * 24 + 1);

	if (!out)
		return NULL;
	while (i < len) {
		size_t k = i == 0 || v[i - 1] == ' ' ? filter_key(v + i) : 0, e;
		const char *cls = NULL;

		if (!k) {
			out[o++] = v[i++];
			continue;
		}
		/* a value (a command path may hold blanks) runs to the next key */
		for (e = i + k; e < len && !(v[e] == ' ' && filter_key(v + e + 1)); e++)
			;
		if (!strncmp(v + i, "cmd=", 4) && (what & (REDACT_PATHS | REDACT_ARGV)))
			cls = "argv";
		else if ((!strncmp(v + i, "cgroup=", 7) || !strncmp(v + i, "container=", 10)) &&
			 (what & REDACT_HOST))
			cls = "host";
		memcpy(out + o, v + i, k);
		o += k;
		if (cls && e > i + k) {
			o += redact_token(key, cls, v + i + k, e - i - k, out + o);
		} else {
			memcpy(out + o, v + i + k, e - i - k);
			o += e - i - k;
		}
		i = e;
	}
	out[o] = '\0';
	return out;
}
