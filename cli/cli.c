// SPDX-License-Identifier: MIT
/* Usage errors and progress lines of the offline verbs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include <bpftape/tape.h>

int cli__check_inputs(const char *verb, char *const *paths, size_t n, const char *stdin_use)
{
	size_t dashes = 0;

	for (size_t i = 0; i < n; i++)
		dashes += !strcmp(paths[i], "-");
	if (dashes && stdin_use)
		return cli__usage(verb, "FILE -: %s", stdin_use);
	if (dashes > 1)
		return cli__usage(verb, "FILE - (standard input) given %zu times; it is read once",
				  dashes);
	return 0;
}

void cli__getopt_init(void)
{
	optind = 0; /* glibc: 0 also resets the scan of a previous verb */
	opterr = 0;
}

/*
 * Write the @n bytes of message text at @s to @f through format's one
 * renderer.  A message carries what came from a tape or a command line
 * (paths, names, metadata, the reader's texts, SQLite's): none of their
 * bytes may reach the terminal as they are.  TAPE_ESC_TEXT, but a quote
 * stays a quote: in a message it is the message's own, and with every
 * backslash escaped the text still gives back the bytes.
 */
static void put_text(FILE *f, const char *s, size_t n)
{
	char buf[TAPE_ESC_MAX * 256 + 1];

	while (n) {
		size_t k = 0;

		while (k < n && k < 256 && s[k] != '"')
			k++;
		/* a piece never ends inside a UTF-8 sequence, which would then
		 * be escaped as invalid bytes */
		if (k == 256 && k < n)
			while (k > 252 && (s[k] & 0xc0) == 0x80)
				k--;
		tape_escape(s, k, TAPE_ESC_TEXT, buf, sizeof(buf));
		fputs(buf, f);
		if (k < n && s[k] == '"') {
			fputc('"', f);
			k++;
		}
		s += k;
		n -= k;
	}
}

/* Format and write the text of a message as put_text() does; a newline
 * that ends @fmt's text is the message's own and is kept. */
static void vput_message(FILE *f, const char *fmt, va_list ap)
{
	char small[1024], *text = small;
	bool nl;
	va_list aq;
	int len;

	va_copy(aq, ap);
	len = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(small)) {
		text = malloc((size_t)len + 1);
		if (text) {
			vsnprintf(text, (size_t)len + 1, fmt, ap);
		} else {
			text = small; /* what fits, rather than nothing */
			len = sizeof(small) - 1;
		}
	}
	nl = len && text[len - 1] == '\n';
	put_text(f, text, (size_t)len - nl);
	if (nl)
		fputc('\n', f);
	if (text != small)
		free(text);
}

void cli__eprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput_message(stderr, fmt, ap);
	va_end(ap);
}

void cli__fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput_message(f, fmt, ap);
	va_end(ap);
}

static int vusage(const char *verb, const char *fmt, va_list ap)
{
	fprintf(stderr, "bpftape %s: ", verb);
	vput_message(stderr, fmt, ap);
	fprintf(stderr, "; see 'bpftape %s --help'\n", verb);
	return CLI_EXIT_USAGE;
}

int cli__usage(const char *verb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vusage(verb, fmt, ap);
	va_end(ap);
	return rc;
}

/* The long options that "--@name" (of @len bytes, a prefix) could mean. */
static int long_matches(const struct option *longopts, const char *name, size_t len,
			const struct option **first)
{
	int n = 0;

	*first = NULL;
	for (const struct option *o = longopts; o && o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len) {
			*first = o; /* an exact match wins over longer ones */
			return 1;
		}
		if (!n++)
			*first = o;
	}
	return n;
}

int cli__bad_option(const char *verb, int c, char *const *argv, const struct option *longopts)
{
	/* getopt_long() has stepped past the word it complains about, except
	 * inside a cluster of short options ("-qz"): there optopt says it */
	const char *arg = optind > 0 && argv[optind - 1] ? argv[optind - 1] : "";
	bool is_long = !strncmp(arg, "--", 2) && arg[2];
	size_t len = is_long ? strcspn(arg + 2, "=") : 0;
	const struct option *o = NULL;
	int n = is_long ? long_matches(longopts, arg + 2, len, &o) : 0;

	if (c == ':') {
		if (is_long && o && (o->val == optopt || n == 1))
			return cli__usage(verb, "option '--%s' needs a value", o->name);
		return cli__usage(verb, "option '-%c' needs a value", optopt);
	}
	if (!optopt && is_long) {
		char list[256] = "";
		size_t used = 0;

		if (n < 2)
			return cli__usage(verb, "unknown option '%.*s'", (int)len + 2, arg);
		for (const struct option *m = longopts; m->name && used < sizeof(list); m++)
			if (!strncmp(m->name, arg + 2, len))
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s--%s",
							 used ? ", " : "", m->name);
		return cli__usage(verb, "option '%.*s' is ambiguous: %s", (int)len + 2, arg, list);
	}
	if (is_long && arg[2 + len] == '=' && o && o->val == optopt && o->has_arg == no_argument)
		return cli__usage(verb, "option '--%s' takes no value", o->name);
	if (optopt > ' ' && optopt < 0x7f)
		return cli__usage(verb, "unknown option '-%c'", optopt);
	return cli__usage(verb, "unknown option '%s'", arg);
}

void cli_progress__init(struct cli_progress *p, const char *verb, bool quiet)
{
	p->verb = verb;
	p->on = !quiet && isatty(STDERR_FILENO);
	p->shown = false;
}

void cli_progress__show(struct cli_progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->on)
		return;
	fprintf(stderr, "\rbpftape %s: ", p->verb);
	va_start(ap, fmt);
	vput_message(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr); /* what a longer earlier line left */
	fflush(stderr);
	p->shown = true;
}

void cli_progress__end(struct cli_progress *p)
{
	if (!p->shown)
		return;
	fputc('\n', stderr);
	p->shown = false;
}

/*
 * A non-negative decimal number at @s (digits, one '.', an exponent), the
 * rest at *@end.  strtod() alone would also take blanks, signs, "nan",
 * "inf" and hex floats.
 */
static int parse_decimal(const char *s, double *v, const char **end)
{
	const char *p = s;
	char *e;

	if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1 + (p[1] == '+' || p[1] == '-');

		if (*q >= '0' && *q <= '9')
			for (p = q; *p >= '0' && *p <= '9'; p++)
				;
	}
	errno = 0;
	*v = strtod(s, &e);
	if (e != p)
		return -EINVAL; /* "1.2.3" */
	if (errno == ERANGE && *v != 0)
		return -ERANGE;
	*end = e;
	return 0;
}

int cli__parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = {
		{"", 1e9},   {"s", 1e9},  {"ms", 1e6},	 {"us", 1e3},
		{"ns", 1.0}, {"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
	};
	const char *end;
	double v;
	int err;

	if (*s == '+')
		s++;
	err = parse_decimal(s, &v, &end);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double r;

		if (strcmp(end, units[i].unit))
			continue;
		r = v * units[i].mul + 0.5;
		/* 2^63 is exact in a double; anything from it on is out of range */
		if (!(r < 9223372036854775808.0))
			return -ERANGE;
		*ns = (uint64_t)r;
		return 0;
	}
	return -EINVAL;
}

int cli__parse_size(const char *s, uint64_t *bytes)
{
	const char *end;
	double v, mul = 1;
	int err;

	err = parse_decimal(s, &v, &end);
	if (err)
		return err;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1024;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1024.0 * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1024.0 * 1024 * 1024;
		end++;
		break;
	}
	if (mul > 1 && *end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	v *= mul;
	/* 2^64 is exact in a double */
	if (!(v < 18446744073709551616.0))
		return -ERANGE;
	*bytes = (uint64_t)v;
	return 0;
}

int cli__parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	bool over = false;
	uint64_t n = 0;

	if (!(*s >= '0' && *s <= '9'))
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = *s - '0';

		if (n > (UINT64_MAX - d) / 10)
			over = true;
		else
			n = n * 10 + d;
	}
	if (*s)
		return -EINVAL;
	if (over || n > max)
		return -ERANGE;
	*v = n;
	return 0;
}

int cli__parse_positive_real(const char *s, double *v)
{
	const char *end;
	double d;
	int err;

	err = parse_decimal(s, &d, &end);
	if (err)
		return err;
	/* an underflow to zero is not a positive number either */
	if (*end || !(d > 0))
		return -EINVAL;
	*v = d;
	return 0;
}

size_t cli__report_damage(const char *verb, const char *path, const struct tape_reader *r,
			  size_t from)
{
	size_t n = tape_reader__problem_count(r);

	for (size_t i = from; i < n; i++)
		cli__eprintf("bpftape %s: %s: %s (skipped)\n", verb, path,
			     tape_reader__problem(r, i));
	return n > from ? n - from : 0;
}

void cli__damage(void *damage, const char *path, const char *what)
{
	struct cli_damage *d = damage;

	if (d->prog)
		cli_progress__end(d->prog);
	cli__eprintf("bpftape %s: %s: %s (skipped)\n", d->verb, path, what);
}

void cli__note(void *damage, const char *path, const char *what)
{
	struct cli_damage *d = damage;

	if (d->prog)
		cli_progress__end(d->prog);
	cli__eprintf("bpftape %s: %s: %s\n", d->verb, path, what);
}

void cli__partial(const char *verb, unsigned long long n)
{
	fprintf(stderr,
		"bpftape %s: %llu damaged block(s) skipped, named above; the rest was read"
		" (status %d)\n",
		verb, n, CLI_EXIT_PARTIAL);
}

int cli__outcome(const char *verb, int rc, bool usage, const char *err, bool closed,
		 unsigned long long bad_chunks)
{
	if (rc) {
		if (usage)
			return cli__usage(verb, "%s", err);
		cli__eprintf("bpftape %s: %s\n", verb, err);
		return 1;
	}
	if (closed)
		return 0;
	if (bad_chunks) {
		cli__partial(verb, bad_chunks);
		return CLI_EXIT_PARTIAL;
	}
	return 0;
}
