// SPDX-License-Identifier: MIT
/*
 * The probe spec parser.  A hand-written scanner over the text so that every
 * error can point at the column where the text stops making sense; it is
 * fuzzed (tests/fuzz/fuzz_probespec.c) because specs come from scripts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probespec.h"

/* A spec longer than this is a mistake, not a probe (PATH_MAX + change). */
#define PROBE_SPEC_MAX 8192

static const struct {
	const char *name;
	enum probe_kind kind;
} kinds[] = {
	{"tracepoint", PROBE_TRACEPOINT}, {"uprobe", PROBE_UPROBE},
	{"uretprobe", PROBE_URETPROBE},	  {"usdt", PROBE_USDT},
	{"kprobe", PROBE_KPROBE},	  {"kretprobe", PROBE_KRETPROBE},
};

static const char *const arg_types[] = {
	[PROBE_ARG_STR] = "str", [PROBE_ARG_U8] = "u8",	  [PROBE_ARG_U16] = "u16",
	[PROBE_ARG_U32] = "u32", [PROBE_ARG_U64] = "u64", [PROBE_ARG_S8] = "s8",
	[PROBE_ARG_S16] = "s16", [PROBE_ARG_S32] = "s32", [PROBE_ARG_S64] = "s64",
	[PROBE_ARG_PTR] = "ptr",
};

const char *probe_kind__name(enum probe_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "?";
}

const char *probe_arg_type__name(unsigned type)
{
	if (type < 1 || type >= sizeof(arg_types) / sizeof(arg_types[0]))
		return NULL;
	return arg_types[type];
}

struct scan {
	const char *text;
	const char *p;
	char *err;
	size_t errlen;
};

static int scan_fail(struct scan *s, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report "bad probe spec 'TEXT': WHAT at column N" for position @at. */
static int scan_fail(struct scan *s, const char *at, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (!s->err || !s->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "bad probe spec '%.*s': %s at column %zu",
		 (int)strnlen(s->text, 200), s->text, what, (size_t)(at - s->text) + 1);
	return -EINVAL;
}

static bool is_sym_char(char c)
{
	/* C identifiers, C++ mangled names, versioned symbols (abc@LIBXYZ),
	 * compiler clones (foo.isra.0). */
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '@' || c == '$';
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static bool is_event_char(char c)
{
	/* '*' and '?': a glob over this kernel's tracepoints */
	return is_ident_char(c) || c == '-' || c == '.' || c == '*' || c == '?';
}

static int dup_span(struct scan *s, const char *from, const char *to, char **out)
{
	(void)s;
	*out = strndup(from, to - from);
	return *out ? 0 : -ENOMEM;
}

/* Expect ':' then a non-empty run of @ok characters; @what names it. */
static int field(struct scan *s, bool (*ok)(char), const char *what, char **out)
{
	const char *start;

	if (*s->p != ':')
		return scan_fail(s, s->p, "expected ':%s'", what);
	start = ++s->p;
	while (*s->p && ok(*s->p))
		s->p++;
	if (s->p == start)
		return scan_fail(s, start, "expected %s", what);
	return dup_span(s, start, s->p, out);
}

/* ':PATH': anything up to the next ':' (paths with ':' are not supported). */
static int path_field(struct scan *s, char **out)
{
	const char *start;

	if (*s->p != ':')
		return scan_fail(s, s->p, "expected ':PATH'");
	start = ++s->p;
	while (*s->p && *s->p != ':' && *s->p != '(')
		s->p++;
	if (s->p == start)
		return scan_fail(s, start, "expected PATH");
	return dup_span(s, start, s->p, out);
}

static int number(struct scan *s, uint64_t *v)
{
	const char *start = s->p;
	bool hex = s->p[0] == '0' && (s->p[1] == 'x' || s->p[1] == 'X');
	const char *digits = hex ? s->p + 2 : s->p;
	char *end;

	if (!isdigit((unsigned char)*s->p))
		return scan_fail(s, s->p, "expected a number");
	/* strtoull() would take blanks and signs: insist on a digit. */
	if (!(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		return scan_fail(s, start, "bad number");
	errno = 0;
	/* Decimal or 0x hex; a leading 0 is not octal. */
	*v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno)
		return scan_fail(s, start, "bad number");
	s->p = end;
	if (is_ident_char(*s->p))
		return scan_fail(s, s->p, "bad number");
	return 0;
}

/* FUNC[+OFF], or an address 0xADDR when @allow_addr. */
static int func_field(struct scan *s, struct probe_spec *ps, bool allow_off, bool allow_addr)
{
	int ret;

	if (*s->p != ':')
		return scan_fail(s, s->p, "expected ':FUNC'");
	if (allow_addr && s->p[1] == '0' && (s->p[2] == 'x' || s->p[2] == 'X')) {
		s->p++;
		ret = number(s, &ps->offset);
		if (ret)
			return ret;
		if (!ps->offset)
			return scan_fail(s, s->p - 1, "address 0 is not a probe address");
		return 0;
	}
	ret = field(s, is_sym_char, "FUNC", &ps->func);
	if (ret)
		return ret;
	if (*s->p == '+') {
		if (!allow_off)
			return scan_fail(s, s->p, "a return probe takes no +OFFSET");
		s->p++;
		ret = number(s, &ps->offset);
	}
	return ret;
}

static void skip_blanks(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t')
		s->p++;
}

static int arg_type(struct scan *s, uint8_t *type)
{
	const char *start = s->p;
	size_t n;

	while (is_ident_char(*s->p))
		s->p++;
	n = s->p - start;
	for (unsigned t = 1; t < sizeof(arg_types) / sizeof(arg_types[0]); t++) {
		if (strlen(arg_types[t]) == n && !memcmp(arg_types[t], start, n)) {
			*type = t;
			return 0;
		}
	}
	if (!n)
		return scan_fail(s, start, "expected an argument type");
	return scan_fail(s, start, "unknown type '%.*s' (str, u8..u64, s8..s64, ptr)",
			 (int)(n > 32 ? 32 : n), start);
}

/*
 * "(ARGS)" after the probe, up to @max arguments; for return probes
 * (@ret) a single TYPE for the value.  Absent parentheses mean no argument
 * (a return probe then records its value as s64).
 */
static int arg_list(struct scan *s, struct probe_spec *ps, unsigned max, bool ret)
{
	if (ret) {
		ps->nargs = 1;
		strcpy(ps->args[0].name, "ret");
		ps->args[0].type = PROBE_ARG_S64;
	}
	if (*s->p != '(')
		return 0;
	s->p++;
	skip_blanks(s);
	if (*s->p == ')' && !ret) {
		s->p++;
		return 0;
	}
	if (ret) {
		int err = arg_type(s, &ps->args[0].type);

		if (err)
			return err;
		skip_blanks(s);
		if (*s->p != ')')
			return scan_fail(s, s->p, "expected ')' after the return value's type");
		s->p++;
		return 0;
	}
	for (;;) {
		struct probe_arg *a = &ps->args[ps->nargs];
		const char *start = s->p, *colon;
		int err;

		if (ps->nargs >= max)
			return scan_fail(s, s->p, "more than %u arguments", max);
		/* NAME:TYPE or TYPE */
		colon = start;
		while (is_ident_char(*colon))
			colon++;
		if (*colon == ':') {
			size_t n = colon - start;

			if (!n || isdigit((unsigned char)*start))
				return scan_fail(s, start, "expected an argument name");
			if (n >= PROBE_ARG_NAME_LEN)
				return scan_fail(s, start, "argument name longer than %d",
						 PROBE_ARG_NAME_LEN - 1);
			memcpy(a->name, start, n);
			a->name[n] = '\0';
			for (unsigned i = 0; i < ps->nargs; i++)
				if (!strcmp(ps->args[i].name, a->name))
					return scan_fail(s, start, "duplicate argument name '%s'",
							 a->name);
			s->p = colon + 1;
		} else {
			snprintf(a->name, sizeof(a->name), "arg%u", ps->nargs);
		}
		err = arg_type(s, &a->type);
		if (err)
			return err;
		ps->nargs++;
		skip_blanks(s);
		if (*s->p == ')') {
			s->p++;
			break;
		}
		if (*s->p != ',')
			return scan_fail(s, s->p, "expected ',' or ')'");
		s->p++;
		skip_blanks(s);
	}
	/* A name given to one argument may be arg%u of another. */
	for (unsigned i = 0; i < ps->nargs; i++)
		for (unsigned j = i + 1; j < ps->nargs; j++)
			if (!strcmp(ps->args[i].name, ps->args[j].name))
				return scan_fail(s, s->p - 1, "duplicate argument name '%s'",
						 ps->args[i].name);
	return 0;
}

static int parse(struct scan *s, struct probe_spec *ps)
{
	const char *start = s->p;
	size_t n;
	int ret = -EINVAL;

	while (isalpha((unsigned char)*s->p))
		s->p++;
	n = s->p - start;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == n && !memcmp(kinds[i].name, start, n))
			ps->kind = kinds[i].kind;
	if (!ps->kind || *s->p != ':')
		return scan_fail(s, start,
				 "unknown probe kind '%.*s' (tracepoint, uprobe, uretprobe, usdt, "
				 "kprobe, kretprobe)",
				 (int)(n > 32 ? 32 : n), start);

	switch (ps->kind) {
	case PROBE_TRACEPOINT:
		ret = field(s, is_event_char, "SUBSYS", &ps->subsys);
		if (!ret)
			ret = field(s, is_event_char, "NAME", &ps->name);
		if (!ret && *s->p == '(')
			return scan_fail(s, s->p,
					 "a tracepoint takes no argument list (its whole record "
					 "is stored)");
		break;
	case PROBE_UPROBE:
	case PROBE_URETPROBE:
		ret = path_field(s, &ps->path);
		if (!ret)
			ret = func_field(s, ps, ps->kind == PROBE_UPROBE, true);
		if (!ret)
			ret = arg_list(s, ps, PROBE_MAX_REG_ARGS, ps->kind == PROBE_URETPROBE);
		break;
	case PROBE_USDT:
		ret = path_field(s, &ps->path);
		if (!ret)
			ret = field(s, is_ident_char, "PROVIDER", &ps->provider);
		if (!ret)
			ret = field(s, is_ident_char, "NAME", &ps->name);
		if (!ret)
			ret = arg_list(s, ps, PROBE_MAX_USDT_ARGS, false);
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		ret = func_field(s, ps, ps->kind == PROBE_KPROBE, false);
		if (!ret)
			ret = arg_list(s, ps, PROBE_MAX_REG_ARGS, ps->kind == PROBE_KRETPROBE);
		break;
	}
	if (ret)
		return ret;
	if (*s->p)
		return scan_fail(s, s->p, "unexpected '%c'", *s->p);
	return 0;
}

struct probe_spec *probe_spec__parse(const char *text, char *err, size_t errlen)
{
	struct scan s = {.text = text, .p = text, .err = err, .errlen = errlen};
	struct probe_spec *ps = NULL;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		errno = EINVAL;
		return NULL;
	}
	if (strnlen(text, PROBE_SPEC_MAX + 1) > PROBE_SPEC_MAX) {
		ret = scan_fail(&s, text + PROBE_SPEC_MAX, "longer than %d characters",
				PROBE_SPEC_MAX);
		goto cleanup;
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ps->text = strdup(text);
	if (!ps->text) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = parse(&s, ps);
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory");
	if (ret)
		goto cleanup;
	return ps;

cleanup:
	probe_spec__free(ps);
	errno = -ret;
	return NULL;
}

void probe_spec__free(struct probe_spec *ps)
{
	if (!ps)
		return;
	free(ps->text);
	free(ps->path);
	free(ps->func);
	free(ps->provider);
	free(ps->name);
	free(ps->subsys);
	free(ps);
}

bool probe_spec__is_glob(const struct probe_spec *ps)
{
	return ps->kind == PROBE_TRACEPOINT &&
	       (strpbrk(ps->subsys, "*?") || strpbrk(ps->name, "*?"));
}

void probe_spec__type_name(const struct probe_spec *ps, char *buf, size_t len)
{
	char addr[32];
	const char *what = ps->func;

	if (!len)
		return;
	if (!what) {
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)ps->offset);
		what = addr;
	}
	switch (ps->kind) {
	case PROBE_TRACEPOINT:
		snprintf(buf, len, "%s", ps->name);
		break;
	case PROBE_USDT:
		snprintf(buf, len, "usdt_%s_%s", ps->provider, ps->name);
		break;
	default:
		snprintf(buf, len, "%s_%s", probe_kind__name(ps->kind), what);
		break;
	}
	for (char *c = buf; *c; c++)
		if (!is_ident_char(*c))
			*c = '_';
}
