// SPDX-License-Identifier: MIT
/*
 * Kernel tracepoint format descriptions.  The text looks like
 *
 *	name: sched_process_exec
 *	ID: 365
 *	format:
 *		field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *		...
 *
 *		field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
 *
 *	print fmt: "filename=%s ...", __get_str(filename), ...
 *
 * Only `name:` and the `field:` lines matter for decoding; the print format
 * is C the kernel evaluates and we do not.  The field's size, not its type,
 * decides how wide an integer is (syscall tracepoints declare `int dfd` in an
 * 8-byte slot).  The text may come from anyone's tape: every number is
 * range-checked, every allocation is bounded by the text's size and by
 * TAPE_MAX_FIELDS, and decoding clamps every access to the record.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private/tpfmt.h"

/* Records are bounded by the perf/ftrace buffers (a page); 64 KiB leaves room
 * and keeps every offset+size sum far from overflowing. */
#define TPFMT_MAX_OFFSET 65535u
#define TPFMT_MAX_COMMON 16
#define TPFMT_MAX_NAME	 256

enum tpfield_class {
	TPF_INT,       /* integer of 1, 2, 4 or 8 bytes */
	TPF_PTR,       /* pointer: shown as an address */
	TPF_CSTR,      /* char[N] in the record */
	TPF_STR_LOC,   /* __data_loc char[] */
	TPF_STR_REL,   /* __rel_loc char[] */
	TPF_BYTES,     /* any other fixed-size field */
	TPF_BYTES_LOC, /* __data_loc T[] */
	TPF_BYTES_REL, /* __rel_loc T[] */
	TPF_BYTES_END, /* T name[] with size 0: everything up to the record's end */
};

struct tpfield {
	uint32_t offset;
	uint32_t size;
	bool is_signed;
	uint8_t cls; /* enum tpfield_class */
};

struct dynfield {
	uint32_t offset;
	bool rel;
};

struct tpfmt {
	char *name;
	uint16_t nfields;
	uint32_t fixed_size;
	struct tape_field fields[TAPE_MAX_FIELDS];
	struct tpfield layout[TAPE_MAX_FIELDS];
	unsigned ndyn;
	struct dynfield dyn[TAPE_MAX_FIELDS + TPFMT_MAX_COMMON];
};

static void set_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Parse "key:NUMBER;" at *@p (after optional blanks); advance past ';'. */
static int parse_attr(const char **p, const char *end, const char *key, uint32_t max, uint32_t *val)
{
	const char *s = *p;
	size_t klen = strlen(key);
	uint64_t v = 0;
	bool digits = false;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if ((size_t)(end - s) < klen || memcmp(s, key, klen))
		return -EINVAL;
	s += klen;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > max)
			return -ERANGE;
		digits = true;
		s++;
	}
	if (!digits || s >= end || *s != ';')
		return -EINVAL;
	*val = v;
	*p = s + 1;
	return 0;
}

static bool has_word(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= len; i++) {
		if (memcmp(s + i, word, wl))
			continue;
		if ((i == 0 || !is_ident(s[i - 1])) && (i + wl == len || !is_ident(s[i + wl])))
			return true;
	}
	return false;
}

/* Is the element type of an array `char` (a string), not `unsigned char`/`u8`? */
static bool is_char_type(const char *t, size_t len)
{
	return has_word(t, len, "char") && !has_word(t, len, "unsigned") &&
	       !has_word(t, len, "signed");
}

struct decl {
	const char *type; /* without __data_loc and the array suffix */
	size_t type_len;
	const char *name;
	size_t name_len;
	bool array;
	bool loc, rel;
};

/* Split "TYPE NAME", "TYPE NAME[N]", "__data_loc TYPE[] NAME". */
static int parse_decl(const char *s, size_t len, struct decl *d, const char **why)
{
	const char *e = s + len;
	const char *t;

	memset(d, 0, sizeof(*d));
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e > s && e[-1] == ']') {
		const char *b = e - 1;

		while (b > s && *b != '[')
			b--;
		if (*b != '[') {
			*why = "unbalanced ']' in field declaration";
			return -EINVAL;
		}
		d->array = true;
		e = b;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
	}
	t = e;
	while (t > s && is_ident(t[-1]))
		t--;
	if (t == e || isdigit((unsigned char)*t)) {
		*why = "field declaration without a name";
		return -EINVAL;
	}
	if ((size_t)(e - t) >= TPFMT_MAX_NAME) {
		*why = "field name too long";
		return -EINVAL;
	}
	d->name = t;
	d->name_len = e - t;
	while (t > s && isspace((unsigned char)t[-1]))
		t--;
	d->type = s;
	d->type_len = t - s;
	if (!d->type_len) {
		*why = "field declaration without a type";
		return -EINVAL;
	}
	d->loc = has_word(d->type, d->type_len, "__data_loc");
	d->rel = has_word(d->type, d->type_len, "__rel_loc");
	if (memchr(d->type, '[', d->type_len))
		d->array = true;
	return 0;
}

static int classify(const struct decl *d, uint32_t size, bool is_signed, struct tpfield *lf,
		    struct tape_field *tf, const char **why)
{
	bool ptr = memchr(d->type, '*', d->type_len) != NULL;

	lf->size = size;
	lf->is_signed = is_signed;
	tf->display = TAPE_DISP_DEFAULT;
	tf->enumeration = NULL;
	if (d->loc || d->rel) {
		if (size != 4) {
			*why = "dynamic field descriptor is not 4 bytes";
			return -EINVAL;
		}
		if (is_char_type(d->type, d->type_len)) {
			lf->cls = d->rel ? TPF_STR_REL : TPF_STR_LOC;
			tf->kind = TAPE_STR;
		} else {
			lf->cls = d->rel ? TPF_BYTES_REL : TPF_BYTES_LOC;
			tf->kind = TAPE_BYTES;
		}
		return 0;
	}
	if (d->array) {
		if (!size) {
			lf->cls = TPF_BYTES_END;
			tf->kind = TAPE_BYTES;
		} else if (is_char_type(d->type, d->type_len)) {
			lf->cls = TPF_CSTR;
			tf->kind = TAPE_STR;
		} else {
			lf->cls = TPF_BYTES;
			tf->kind = TAPE_BYTES;
		}
		return 0;
	}
	if (ptr && (size == 4 || size == 8)) {
		lf->cls = TPF_PTR;
		tf->kind = TAPE_U64;
		tf->display = TAPE_DISP_PTR;
		return 0;
	}
	lf->cls = TPF_INT;
	switch (size) {
	case 1:
		tf->kind = is_signed ? TAPE_S8 : TAPE_U8;
		break;
	case 2:
		tf->kind = is_signed ? TAPE_S16 : TAPE_U16;
		break;
	case 4:
		tf->kind = is_signed ? TAPE_S32 : TAPE_U32;
		break;
	case 8:
		tf->kind = is_signed ? TAPE_S64 : TAPE_U64;
		break;
	default:
		/* 16-byte ints, structs by value: keep the bytes. */
		lf->cls = TPF_BYTES;
		tf->kind = TAPE_BYTES;
		break;
	}
	/* The kernel's convention for a signed "ret" (sys_exit_*, most
	 * function-return tracepoints): negative values are -errno. */
	if (lf->cls == TPF_INT && is_signed && size >= 4 && d->name_len == 3 &&
	    !memcmp(d->name, "ret", 3))
		tf->display = TAPE_DISP_ERRNO;
	(void)why;
	return 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* One "field:DECL;\toffset:N;\tsize:N;\tsigned:N;" line (leading blanks gone). */
static int parse_field(struct tpfmt *f, const char *s, const char *end, unsigned line,
		       unsigned *ncommon, char *err, size_t errlen)
{
	const char *semi, *why = NULL;
	struct decl d;
	uint32_t off, size, sgn;
	struct tpfield lf = {0};
	struct tape_field tf = {0};
	bool common;
	int ret;

	s += strlen("field:");
	semi = memchr(s, ';', end - s);
	/* A ':' before the ';' means the declaration's ';' is missing. */
	if (!semi || memchr(s, ':', semi - s)) {
		set_err(err, errlen, line, "expected ';' after the field declaration");
		return -EINVAL;
	}
	ret = parse_decl(s, semi - s, &d, &why);
	if (ret) {
		set_err(err, errlen, line, "%s", why);
		return ret;
	}
	s = semi + 1;
	ret = parse_attr(&s, end, "offset:", TPFMT_MAX_OFFSET, &off);
	if (!ret)
		ret = parse_attr(&s, end, "size:", TPFMT_MAX_OFFSET, &size);
	if (ret) {
		set_err(err, errlen, line, "expected 'offset:N;\tsize:N;' with N <= %u",
			TPFMT_MAX_OFFSET);
		return -EINVAL;
	}
	/* Very old kernels print no signed: attribute. */
	sgn = 0;
	if (s < end && parse_attr(&s, end, "signed:", 1, &sgn)) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s < end) {
			set_err(err, errlen, line, "expected 'signed:0;' or 'signed:1;'");
			return -EINVAL;
		}
	}
	if (off + size > TPFMT_MAX_OFFSET) {
		set_err(err, errlen, line, "field ends past %u bytes", TPFMT_MAX_OFFSET);
		return -EINVAL;
	}
	ret = classify(&d, size, sgn, &lf, &tf, &why);
	if (ret) {
		set_err(err, errlen, line, "%s", why);
		return ret;
	}
	lf.offset = off;
	if (off + size > f->fixed_size)
		f->fixed_size = off + size;
	if (lf.cls == TPF_STR_LOC || lf.cls == TPF_STR_REL || lf.cls == TPF_BYTES_LOC ||
	    lf.cls == TPF_BYTES_REL) {
		if (f->ndyn >= sizeof(f->dyn) / sizeof(f->dyn[0])) {
			set_err(err, errlen, line, "too many dynamic fields");
			return -E2BIG;
		}
		f->dyn[f->ndyn].offset = off;
		f->dyn[f->ndyn].rel = d.rel;
		f->ndyn++;
	}

	common = !f->nfields && d.name_len > 7 && !memcmp(d.name, "common_", 7);
	if (common) {
		if (++*ncommon > TPFMT_MAX_COMMON) {
			set_err(err, errlen, line, "more than %d common fields", TPFMT_MAX_COMMON);
			return -E2BIG;
		}
		return 0;
	}
	if (f->nfields >= TAPE_MAX_FIELDS) {
		set_err(err, errlen, line, "more than %d fields", TAPE_MAX_FIELDS);
		return -E2BIG;
	}
	for (unsigned i = 0; i < f->nfields; i++) {
		if (strlen(f->fields[i].name) == d.name_len &&
		    !memcmp(f->fields[i].name, d.name, d.name_len)) {
			set_err(err, errlen, line, "duplicate field '%.*s'", (int)d.name_len,
				d.name);
			return -EINVAL;
		}
	}
	tf.name = dup_n(d.name, d.name_len);
	if (!tf.name) {
		set_err(err, errlen, line, "out of memory");
		return -ENOMEM;
	}
	f->fields[f->nfields] = tf;
	f->layout[f->nfields] = lf;
	f->nfields++;
	return 0;
}

struct tpfmt *tape__tpfmt_parse(const char *text, char *err, size_t errlen)
{
	struct tpfmt *f = NULL;
	const char *p = text, *end;
	unsigned line = 0, ncommon = 0, seen = 0;
	int ret = -EINVAL;

	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		set_err(err, errlen, 0, "no format text");
		goto cleanup;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		set_err(err, errlen, 0, "out of memory");
		goto cleanup;
	}
	end = text + strlen(text);
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		const char *s = p, *le;

		if (!eol)
			eol = end;
		le = eol;
		if (le > s && le[-1] == '\r')
			le--;
		line++;
		p = eol < end ? eol + 1 : end;
		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		if ((size_t)(le - s) >= 6 && !memcmp(s, "field:", 6)) {
			ret = parse_field(f, s, le, line, &ncommon, err, errlen);
			if (ret)
				goto cleanup;
			seen++;
		} else if (!f->name && (size_t)(le - s) >= 5 && !memcmp(s, "name:", 5)) {
			s += 5;
			while (s < le && isspace((unsigned char)*s))
				s++;
			if ((size_t)(le - s) >= TPFMT_MAX_NAME) {
				set_err(err, errlen, line, "event name too long");
				ret = -EINVAL;
				goto cleanup;
			}
			f->name = dup_n(s, le - s);
			if (!f->name) {
				ret = -ENOMEM;
				set_err(err, errlen, line, "out of memory");
				goto cleanup;
			}
		} else if ((size_t)(le - s) >= 10 && !memcmp(s, "print fmt:", 10)) {
			break; /* the rest is C for the kernel, not layout */
		}
	}
	if (!seen) {
		set_err(err, errlen, line, "no 'field:' lines: not a tracepoint format");
		ret = -EINVAL;
		goto cleanup;
	}
	return f;

cleanup:
	tape__tpfmt_free(f);
	errno = -ret;
	return NULL;
}

void tape__tpfmt_free(struct tpfmt *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->nfields; i++)
		free((char *)f->fields[i].name);
	free(f->name);
	free(f);
}

uint16_t tape__tpfmt_nfields(const struct tpfmt *f)
{
	return f ? f->nfields : 0;
}

const struct tape_field *tape__tpfmt_fields(const struct tpfmt *f)
{
	return f ? f->fields : NULL;
}

uint32_t tape__tpfmt_fixed_size(const struct tpfmt *f)
{
	return f ? f->fixed_size : 0;
}

int tape__tpfmt_dynamic(const struct tpfmt *f, unsigned i, uint32_t *off, bool *rel)
{
	if (!f || i >= f->ndyn)
		return -ENOENT;
	*off = f->dyn[i].offset;
	*rel = f->dyn[i].rel;
	return 0;
}

const char *tape__tpfmt_name(const struct tpfmt *f)
{
	return f && f->name ? f->name : "";
}

/* Records are in the recorded machine's byte order; tapes come from
 * little-endian machines (docs/FORMAT.md). */
static uint64_t get_uint(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Where a __data_loc/__rel_loc field's data lies, clamped to the record. */
static void dyn_span(const struct tpfield *lf, const uint8_t *raw, size_t len, size_t *start,
		     size_t *n)
{
	uint64_t desc, off, l;

	*start = 0;
	*n = 0;
	if ((uint64_t)lf->offset + 4 > len)
		return;
	desc = get_uint(raw + lf->offset, 4);
	off = desc & 0xffff;
	l = desc >> 16;
	if (lf->cls == TPF_STR_REL || lf->cls == TPF_BYTES_REL)
		off += lf->offset + 4; /* relative to the end of the descriptor */
	if (off >= len)
		return;
	if (l > len - off)
		l = len - off;
	*start = off;
	*n = l;
}

int tape__tpfmt_decode(const struct tpfmt *f, const void *raw, size_t len, union tape_value *out,
		       char *scratch, size_t scratch_len)
{
	static const char empty[1];
	const uint8_t *r = raw;
	size_t used = 0;

	if (!f || (!raw && len) || !out || (!scratch && scratch_len))
		return -EINVAL;
	for (unsigned i = 0; i < f->nfields; i++) {
		const struct tpfield *lf = &f->layout[i];
		size_t start = lf->offset, n = 0;
		bool str = false;

		memset(&out[i], 0, sizeof(out[i]));
		switch (lf->cls) {
		case TPF_INT:
		case TPF_PTR:
			if ((uint64_t)lf->offset + lf->size <= len) {
				uint64_t v = get_uint(r + lf->offset, lf->size);

				if (lf->cls == TPF_INT && lf->is_signed && lf->size < 8) {
					uint64_t sign = 1ull << (8 * lf->size - 1);

					v = (v ^ sign) - sign;
				}
				out[i].u = v;
			}
			continue;
		case TPF_CSTR:
		case TPF_BYTES:
			if (start < len)
				n = lf->size < len - start ? lf->size : len - start;
			str = lf->cls == TPF_CSTR;
			break;
		case TPF_BYTES_END:
			if (start < len)
				n = len - start;
			break;
		case TPF_STR_LOC:
		case TPF_STR_REL:
			dyn_span(lf, r, len, &start, &n);
			str = true;
			break;
		case TPF_BYTES_LOC:
		case TPF_BYTES_REL:
			dyn_span(lf, r, len, &start, &n);
			break;
		}
		if (!str) {
			out[i].b.ptr = n ? (const void *)(r + start) : (const void *)empty;
			out[i].b.len = n;
			continue;
		}
		/* Strings stop at their NUL; copy so the reader gets one. */
		n = n ? strnlen((const char *)r + start, n) : 0;
		if (used >= scratch_len) {
			out[i].b.ptr = empty;
			continue;
		}
		if (n > scratch_len - used - 1)
			n = scratch_len - used - 1;
		if (n)
			memcpy(scratch + used, r + start, n);
		scratch[used + n] = '\0';
		out[i].b.ptr = scratch + used;
		out[i].b.len = n;
		used += n + 1;
	}
	return 0;
}
