// SPDX-License-Identifier: MIT
/* The -f expression language (see expr.h): parser, binder, evaluator. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include <bpftape/tape_proctab.h>

typedef __int128 i128;

enum tok {
	T_END,
	T_LP,
	T_RP,
	T_AND,
	T_OR,
	T_NOT,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_GLOB,
	T_NGLOB,
	T_BAND,
	T_BOR,
	T_MINUS,
	T_INT,
	T_STR,
	T_NAME,
	T_BAD, /* a byte that starts no token; the parser says where it hurts */
};

enum node_type {
	N_OR = 1,
	N_AND,
	N_NOT,
	N_CMP,
	N_TRUTH,
};

enum cmp_op {
	C_EQ,
	C_NE,
	C_LT,
	C_LE,
	C_GT,
	C_GE,
	C_GLOB,
	C_NGLOB,
	C_BAND,
};

enum opnd_kind {
	O_NAME = 1, /* a field, or a symbolic value of the other side's field */
	O_SYMS,	    /* NAME|NAME...: symbolic values only */
	O_INT,
	O_STR,
};

struct opnd {
	uint8_t kind;
	bool neg; /* -NAME */
	unsigned col;
	i128 ival;
	char *str;   /* O_NAME, O_STR: the text; O_SYMS: names separated by NUL */
	size_t nsym; /* O_SYMS */
};

struct node {
	uint8_t type;
	uint8_t op;
	int a, b; /* children of N_OR/N_AND/N_NOT */
	struct opnd l, r;
};

/* ---- bound form ---- */

enum bsrc {
	B_MISSING = 0,
	B_INT, /* constant */
	B_STR, /* constant */
	B_FIELD,
	B_TS,
	B_PID,
	B_TID,
	B_CPU,
	B_COMM,
	/* the process's, from the process table (expr__set_procs()) */
	B_CONTAINER,
	B_CONTAINER_NAME,
	B_RUNTIME,
	B_POD,
};

enum bmode {
	M_INT,
	M_STR,
};

struct bopnd {
	uint8_t src;
	uint8_t kind; /* tape kind of a B_FIELD */
	bool text;    /* read the field as its displayed text */
	int16_t idx;
	i128 ival;
	const char *s;
	size_t slen;
};

struct bnode {
	int8_t cval; /* -1: evaluate; 0/1: constant */
	uint8_t mode;
	struct bopnd l, r;
};

struct bprog {
	const struct tape_type *tp;
	struct bnode *nodes;
	int8_t root_cval;
};

struct bsrc_tab {
	unsigned ntypes;
	struct bprog *progs; /* indexed by type id */
};

#define SCRATCH	  4096
#define MAX_DEPTH 200

struct expr {
	struct node *nodes;
	int nnodes, cap;
	int root;
	struct bsrc_tab *srcs;
	unsigned nsrcs;
	struct tape_proctab *const *pt; /* per source, not owned: the container fields */
	size_t npt;
	char scratch[2][SCRATCH];
};

/* ---- parser ---- */

struct parser {
	const char *s;
	size_t pos;
	struct expr *e;
	char *err;
	size_t errlen;
	int depth;
	enum tok tok;
	size_t tok_pos;
	i128 ival;
	char *sval;
	bool failed;
};

static void perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = true;
	if (!p->err || !p->errlen)
		return;
	n = snprintf(p->err, p->errlen, "column %zu: ", pos + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static int lex_string(struct parser *p)
{
	char q = p->s[p->pos++];
	size_t start = p->tok_pos, cap = 16, len = 0;
	char *out = malloc(cap);

	if (!out)
		return -ENOMEM;
	for (;;) {
		char c = p->s[p->pos];

		if (!c) {
			free(out);
			perr(p, start, "unterminated string");
			return -EINVAL;
		}
		p->pos++;
		if (c == q)
			break;
		if (c == '\\') {
			char d = p->s[p->pos];

			if (!d)
				continue;
			p->pos++;
			switch (d) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '0':
				c = '\0';
				break;
			default:
				c = d;
				break;
			}
		}
		if (len + 2 > cap) {
			char *n = realloc(out, cap * 2);

			if (!n) {
				free(out);
				return -ENOMEM;
			}
			out = n;
			cap *= 2;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	p->sval = out;
	p->tok = T_STR;
	return 0;
}

/* Read the next token into p->tok.  0, -EINVAL (p->err set), -ENOMEM. */
static int lex(struct parser *p)
{
	const char *s = p->s;
	char c;

	free(p->sval);
	p->sval = NULL;
	while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')
		p->pos++;
	p->tok_pos = p->pos;
	c = s[p->pos];
	if (!c) {
		p->tok = T_END;
		return 0;
	}
	if (c == '"' || c == '\'')
		return lex_string(p);
	if (c >= '0' && c <= '9') {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(s + p->pos, &end, 0);
		if (errno || is_name_char(*end)) {
			perr(p, p->pos, errno ? "number out of range" : "bad number");
			return -EINVAL;
		}
		p->ival = (i128)v;
		p->pos = (size_t)(end - s);
		p->tok = T_INT;
		return 0;
	}
	if (is_name_start(c)) {
		size_t start = p->pos;

		while (is_name_char(s[p->pos]))
			p->pos++;
		p->sval = strndup(s + start, p->pos - start);
		if (!p->sval)
			return -ENOMEM;
		p->tok = T_NAME;
		return 0;
	}
	p->pos++;
	switch (c) {
	case '(':
		p->tok = T_LP;
		return 0;
	case ')':
		p->tok = T_RP;
		return 0;
	case '-':
		p->tok = T_MINUS;
		return 0;
	case '&':
		p->tok = T_BAND;
		if (s[p->pos] == '&') {
			p->pos++;
			p->tok = T_AND;
		}
		return 0;
	case '|':
		p->tok = T_BOR;
		if (s[p->pos] == '|') {
			p->pos++;
			p->tok = T_OR;
		}
		return 0;
	case '!':
		p->tok = T_NOT;
		if (s[p->pos] == '=') {
			p->pos++;
			p->tok = T_NE;
		} else if (s[p->pos] == '~') {
			p->pos++;
			p->tok = T_NGLOB;
		}
		return 0;
	case '=':
		p->tok = T_EQ;
		if (s[p->pos] == '=') {
			p->pos++;
		} else if (s[p->pos] == '~') {
			p->pos++;
			p->tok = T_GLOB;
		}
		return 0;
	case '<':
		p->tok = T_LT;
		if (s[p->pos] == '=') {
			p->pos++;
			p->tok = T_LE;
		}
		return 0;
	case '>':
		p->tok = T_GT;
		if (s[p->pos] == '=') {
			p->pos++;
			p->tok = T_GE;
		}
		return 0;
	default:
		break;
	}
	p->tok = T_BAD;
	return 0;
}

static void perr_bad(struct parser *p)
{
	unsigned char c = (unsigned char)p->s[p->tok_pos];

	if (c >= 0x20 && c < 0x7f)
		perr(p, p->tok_pos, "unexpected '%c'", c);
	else
		perr(p, p->tok_pos, "unexpected byte 0x%02x", c);
}

static int new_node(struct parser *p, uint8_t type)
{
	struct expr *e = p->e;

	if (e->nnodes == e->cap) {
		int cap = e->cap ? e->cap * 2 : 16;
		struct node *n = realloc(e->nodes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		e->nodes = n;
		e->cap = cap;
	}
	memset(&e->nodes[e->nnodes], 0, sizeof(e->nodes[0]));
	e->nodes[e->nnodes].type = type;
	e->nodes[e->nnodes].a = e->nodes[e->nnodes].b = -1;
	return e->nnodes++;
}

static int parse_or(struct parser *p);

/* Append NAME to a NUL-separated symbol list. */
static int syms_add(struct opnd *o, const char *name)
{
	size_t old = 0, n = strlen(name) + 1;
	char *s;

	for (size_t i = 0; i < o->nsym; i++)
		old += strlen(o->str + old) + 1;
	s = realloc(o->str, old + n);
	if (!s)
		return -ENOMEM;
	memcpy(s + old, name, n);
	o->str = s;
	o->nsym++;
	return 0;
}

static int parse_operand(struct parser *p, struct opnd *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->col = (unsigned)p->tok_pos + 1;
	if (p->tok == T_MINUS) {
		o->neg = true;
		if ((err = lex(p)))
			return err;
		if (p->tok == T_INT) {
			o->kind = O_INT;
			o->ival = -p->ival;
			return lex(p);
		}
		if (p->tok != T_NAME) {
			perr(p, p->tok_pos, "expected a number or a name after '-'");
			return -EINVAL;
		}
	}
	switch (p->tok) {
	case T_INT:
		o->kind = O_INT;
		o->ival = p->ival;
		return lex(p);
	case T_STR:
		o->kind = O_STR;
		o->str = p->sval;
		p->sval = NULL;
		return lex(p);
	case T_NAME:
		o->kind = O_NAME;
		o->str = p->sval;
		p->sval = NULL;
		if ((err = lex(p)))
			return err;
		if (p->tok != T_BOR)
			return 0;
		/* NAME|NAME|...: a set of flags */
		{
			char *first = o->str;

			o->str = NULL;
			o->kind = O_SYMS;
			err = syms_add(o, first);
			free(first);
			if (err)
				return err;
		}
		while (p->tok == T_BOR) {
			if ((err = lex(p)))
				return err;
			if (p->tok != T_NAME) {
				perr(p, p->tok_pos, "expected a flag name after '|'");
				return -EINVAL;
			}
			if ((err = syms_add(o, p->sval)) || (err = lex(p)))
				return err;
		}
		return 0;
	case T_END:
		perr(p, p->tok_pos, "expected a field or value, found the end");
		return -EINVAL;
	case T_BAD:
		perr_bad(p);
		return -EINVAL;
	default:
		perr(p, p->tok_pos, "expected a field or value");
		return -EINVAL;
	}
}

static int parse_primary(struct parser *p)
{
	struct opnd l, r;
	int n, err, op = -1;

	if (p->tok == T_LP) {
		size_t open = p->tok_pos;

		if (++p->depth > MAX_DEPTH) {
			perr(p, open, "expression nested too deeply");
			return -EINVAL;
		}
		if ((err = lex(p)))
			return err;
		n = parse_or(p);
		if (n < 0)
			return n;
		if (p->tok != T_RP) {
			perr(p, p->tok_pos, "expected ')'");
			return -EINVAL;
		}
		p->depth--;
		if ((err = lex(p)))
			return err;
		return n;
	}
	if ((err = parse_operand(p, &l)))
		goto fail_l;
	switch (p->tok) {
	case T_EQ:
		op = C_EQ;
		break;
	case T_NE:
		op = C_NE;
		break;
	case T_LT:
		op = C_LT;
		break;
	case T_LE:
		op = C_LE;
		break;
	case T_GT:
		op = C_GT;
		break;
	case T_GE:
		op = C_GE;
		break;
	case T_GLOB:
		op = C_GLOB;
		break;
	case T_NGLOB:
		op = C_NGLOB;
		break;
	case T_BAND:
		op = C_BAND;
		break;
	default:
		break;
	}
	if (op < 0) {
		if (l.kind != O_NAME) {
			perr(p, l.col - 1, "expected a comparison");
			err = -EINVAL;
			goto fail_l;
		}
		n = new_node(p, N_TRUTH);
		if (n < 0) {
			err = n;
			goto fail_l;
		}
		p->e->nodes[n].l = l;
		return n;
	}
	if ((err = lex(p)))
		goto fail_l;
	if ((op == C_GLOB || op == C_NGLOB) && p->tok != T_STR) {
		perr(p, p->tok_pos, "expected a quoted pattern after '%s'",
		     op == C_GLOB ? "=~" : "!~");
		err = -EINVAL;
		goto fail_l;
	}
	if ((err = parse_operand(p, &r)))
		goto fail_r;
	n = new_node(p, N_CMP);
	if (n < 0) {
		err = n;
		goto fail_r;
	}
	p->e->nodes[n].op = (uint8_t)op;
	p->e->nodes[n].l = l;
	p->e->nodes[n].r = r;
	return n;
fail_r:
	free(r.str);
fail_l:
	free(l.str);
	return err;
}

static int parse_unary(struct parser *p)
{
	int n, c, err;

	if (p->tok != T_NOT)
		return parse_primary(p);
	if (++p->depth > MAX_DEPTH) {
		perr(p, p->tok_pos, "expression nested too deeply");
		return -EINVAL;
	}
	if ((err = lex(p)))
		return err;
	c = parse_unary(p);
	if (c < 0)
		return c;
	p->depth--;
	n = new_node(p, N_NOT);
	if (n < 0)
		return n;
	p->e->nodes[n].a = c;
	return n;
}

static int parse_binary(struct parser *p, enum tok tok, uint8_t type)
{
	int l = type == N_AND ? parse_unary(p) : parse_binary(p, T_AND, N_AND);

	while (l >= 0 && p->tok == tok) {
		int r, n, err;

		if ((err = lex(p)))
			return err;
		r = type == N_AND ? parse_unary(p) : parse_binary(p, T_AND, N_AND);
		if (r < 0)
			return r;
		n = new_node(p, type);
		if (n < 0)
			return n;
		p->e->nodes[n].a = l;
		p->e->nodes[n].b = r;
		l = n;
	}
	return l;
}

static int parse_or(struct parser *p)
{
	return parse_binary(p, T_OR, N_OR);
}

static void unbind(struct expr *e)
{
	for (unsigned s = 0; s < e->nsrcs; s++) {
		for (unsigned t = 0; t < e->srcs[s].ntypes; t++)
			free(e->srcs[s].progs[t].nodes);
		free(e->srcs[s].progs);
	}
	free(e->srcs);
	e->srcs = NULL;
	e->nsrcs = 0;
}

void expr__free(struct expr *e)
{
	if (!e)
		return;
	unbind(e);
	for (int i = 0; i < e->nnodes; i++) {
		free(e->nodes[i].l.str);
		free(e->nodes[i].r.str);
	}
	free(e->nodes);
	free(e);
}

struct expr *expr__compile(const char *text, char *err, size_t errlen)
{
	struct parser p = {.s = text, .err = err, .errlen = errlen};
	int rc;

	if (err && errlen)
		err[0] = '\0';
	p.e = calloc(1, sizeof(*p.e));
	if (!p.e) {
		errno = ENOMEM;
		return NULL;
	}
	rc = lex(&p);
	if (!rc && p.tok == T_END) {
		perr(&p, p.tok_pos, "empty expression");
		rc = -EINVAL;
	}
	if (!rc) {
		rc = parse_or(&p);
		if (rc >= 0) {
			p.e->root = rc;
			rc = 0;
			if (p.tok == T_BAD) {
				perr_bad(&p);
				rc = -EINVAL;
			} else if (p.tok == T_RP) {
				perr(&p, p.tok_pos, "unbalanced ')'");
				rc = -EINVAL;
			} else if (p.tok != T_END) {
				perr(&p, p.tok_pos, "expected '&&', '||' or the end");
				rc = -EINVAL;
			}
		}
	}
	free(p.sval);
	if (rc) {
		if (rc == -EINVAL && !p.failed)
			perr(&p, p.tok_pos, "syntax error");
		expr__free(p.e);
		errno = -rc;
		return NULL;
	}
	return p.e;
}

/* ---- binding ---- */

static int common_field(const char *name)
{
	static const struct {
		const char *name;
		int src;
	} common[] = {
		{"ts", B_TS},
		{"pid", B_PID},
		{"tid", B_TID},
		{"cpu", B_CPU},
		{"comm", B_COMM},
		{"container", B_CONTAINER},
		{"container_name", B_CONTAINER_NAME},
		{"runtime", B_RUNTIME},
		{"pod", B_POD},
	};

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (!strcmp(name, common[i].name))
			return common[i].src;
	return -1;
}

static int errno_value(const char *name)
{
	for (int i = 1; i < 4096; i++) {
		const char *n = tape_errno_name(i);

		if (n && !strcmp(n, name))
			return i;
	}
	return -1;
}

static bool enum_value(const struct tape_enum *en, const char *name, uint64_t *v)
{
	if (!en)
		return false;
	for (uint32_t i = 0; i < en->count; i++)
		if (en->names[i] && !strcmp(en->names[i], name)) {
			*v = en->values[i];
			return true;
		}
	return false;
}

/* Value of symbol @name for field @f, or false if it names nothing there. */
static bool sym_value(const struct tape_field *f, const char *name, bool neg, i128 *out)
{
	uint64_t v;

	if (f->display == TAPE_DISP_ERRNO) {
		int e = errno_value(name);

		if (e < 0)
			return false;
		/* ENOENT and -ENOENT both mean the -2 the field stores */
		*out = -(i128)e;
		return true;
	}
	if (enum_value(f->enumeration, name, &v)) {
		*out = neg ? -(i128)v : (i128)v;
		return true;
	}
	return false;
}

static bool is_int_kind(uint8_t k)
{
	return k >= TAPE_U8 && k <= TAPE_S64;
}

/* Resolve an operand that names a field (not yet symbols). */
static void bind_name(const struct tape_type *tp, const struct opnd *o, struct bopnd *b)
{
	int c, i;

	memset(b, 0, sizeof(*b));
	switch (o->kind) {
	case O_INT:
		b->src = B_INT;
		b->ival = o->ival;
		return;
	case O_STR:
		b->src = B_STR;
		b->s = o->str;
		b->slen = strlen(o->str);
		return;
	case O_SYMS:
		b->src = B_MISSING;
		return;
	default:
		break;
	}
	if (!strcmp(o->str, "type")) {
		b->src = B_STR;
		b->s = tp->name;
		b->slen = strlen(tp->name);
		return;
	}
	c = common_field(o->str);
	if (c >= 0) {
		b->src = (uint8_t)c;
		b->kind = c >= B_COMM ? TAPE_STR : TAPE_U64;
		return;
	}
	i = tape_type__field_index(tp, o->str);
	if (i >= 0 && !o->neg) {
		b->src = B_FIELD;
		b->idx = (int16_t)i;
		b->kind = tp->fields[i].kind;
		return;
	}
	b->src = B_MISSING;
}

/* @o (a name that is not a field, or a flag set) as a symbolic value of the
 * field on the other side. */
static bool bind_sym(const struct tape_type *tp, const struct opnd *o, const struct bopnd *other,
		     struct bopnd *b)
{
	const struct tape_field *f;
	i128 v = 0, x;

	if (other->src != B_FIELD || !is_int_kind(other->kind))
		return false;
	f = &tp->fields[other->idx];
	if (o->kind == O_NAME) {
		if (!sym_value(f, o->str, o->neg, &v))
			return false;
	} else {
		const char *s = o->str;

		for (size_t i = 0; i < o->nsym; i++, s += strlen(s) + 1) {
			if (!sym_value(f, s, false, &x))
				return false;
			v |= x;
		}
	}
	memset(b, 0, sizeof(*b));
	b->src = B_INT;
	b->ival = v;
	return true;
}

static bool is_str_src(const struct bopnd *b)
{
	return b->src == B_STR || b->src >= B_COMM ||
	       (b->src == B_FIELD && (b->kind == TAPE_STR || b->kind == TAPE_BYTES));
}

static void bind_cmp(const struct tape_type *tp, const struct node *n, struct bnode *bn)
{
	bool ls, rs;

	bn->cval = -1;
	bind_name(tp, &n->l, &bn->l);
	bind_name(tp, &n->r, &bn->r);
	if ((n->l.kind == O_NAME || n->l.kind == O_SYMS) && bn->l.src == B_MISSING)
		bind_sym(tp, &n->l, &bn->r, &bn->l);
	if ((n->r.kind == O_NAME || n->r.kind == O_SYMS) && bn->r.src == B_MISSING)
		bind_sym(tp, &n->r, &bn->l, &bn->r);
	if (bn->l.src == B_MISSING || bn->r.src == B_MISSING) {
		bn->cval = 0;
		return;
	}
	ls = is_str_src(&bn->l);
	rs = is_str_src(&bn->r);
	if (n->op == C_GLOB || n->op == C_NGLOB) {
		bn->mode = M_STR;
		if (!ls)
			bn->l.text = true;
	} else if (n->op == C_BAND) {
		if (ls || rs) {
			bn->cval = 0;
			return;
		}
		bn->mode = M_INT;
	} else if (ls || rs) {
		/* a string against a number compares with the number's display */
		if ((bn->l.src == B_INT) || (bn->r.src == B_INT)) {
			bn->cval = 0;
			return;
		}
		bn->mode = M_STR;
		bn->l.text = !ls;
		bn->r.text = !rs;
	} else {
		bn->mode = M_INT;
	}
	/* a bytes field read as a string is shown as text too */
	if (bn->mode == M_STR) {
		if (bn->l.src == B_FIELD && bn->l.kind == TAPE_BYTES)
			bn->l.text = true;
		if (bn->r.src == B_FIELD && bn->r.kind == TAPE_BYTES)
			bn->r.text = true;
	}
	if (bn->l.src == B_STR && bn->r.src == B_STR) {
		int c = strcmp(bn->l.s, bn->r.s);

		switch (n->op) {
		case C_EQ:
			bn->cval = c == 0;
			break;
		case C_NE:
			bn->cval = c != 0;
			break;
		case C_LT:
			bn->cval = c < 0;
			break;
		case C_LE:
			bn->cval = c <= 0;
			break;
		case C_GT:
			bn->cval = c > 0;
			break;
		case C_GE:
			bn->cval = c >= 0;
			break;
		case C_GLOB:
			bn->cval = fnmatch(bn->r.s, bn->l.s, 0) == 0;
			break;
		case C_NGLOB:
			bn->cval = fnmatch(bn->r.s, bn->l.s, 0) != 0;
			break;
		}
	}
}

static int8_t fold(const struct expr *e, struct bnode *bn, int i)
{
	const struct node *n = &e->nodes[i];
	int8_t a, b;

	switch (n->type) {
	case N_OR:
		a = fold(e, bn, n->a);
		b = fold(e, bn, n->b);
		bn[i].cval = (a == 1 || b == 1) ? 1 : (a == 0 && b == 0) ? 0 : -1;
		break;
	case N_AND:
		a = fold(e, bn, n->a);
		b = fold(e, bn, n->b);
		bn[i].cval = (a == 0 || b == 0) ? 0 : (a == 1 && b == 1) ? 1 : -1;
		break;
	case N_NOT:
		a = fold(e, bn, n->a);
		bn[i].cval = a < 0 ? -1 : !a;
		break;
	default:
		break;
	}
	return bn[i].cval;
}

static int bind_type(struct expr *e, unsigned source, const struct tape_type *tp)
{
	struct bsrc_tab *st;
	struct bnode *bn;

	if (source >= e->nsrcs) {
		struct bsrc_tab *n = realloc(e->srcs, (source + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + e->nsrcs, 0, (source + 1 - e->nsrcs) * sizeof(*n));
		e->srcs = n;
		e->nsrcs = source + 1;
	}
	st = &e->srcs[source];
	if (tp->id >= st->ntypes) {
		unsigned nt = tp->id + 1u;
		struct bprog *np = realloc(st->progs, nt * sizeof(*np));

		if (!np)
			return -ENOMEM;
		memset(np + st->ntypes, 0, (nt - st->ntypes) * sizeof(*np));
		st->progs = np;
		st->ntypes = nt;
	}
	bn = calloc(e->nnodes, sizeof(*bn));
	if (!bn)
		return -ENOMEM;
	for (int i = 0; i < e->nnodes; i++) {
		const struct node *n = &e->nodes[i];

		bn[i].cval = -1;
		if (n->type == N_CMP) {
			bind_cmp(tp, n, &bn[i]);
		} else if (n->type == N_TRUTH) {
			bind_name(tp, &n->l, &bn[i].l);
			if (bn[i].l.src == B_MISSING)
				bn[i].cval = 0;
			else if (bn[i].l.src == B_STR)
				bn[i].cval = bn[i].l.slen > 0;
			bn[i].mode = is_str_src(&bn[i].l) ? M_STR : M_INT;
		}
	}
	fold(e, bn, e->root);
	free(st->progs[tp->id].nodes);
	st->progs[tp->id].tp = tp;
	st->progs[tp->id].nodes = bn;
	st->progs[tp->id].root_cval = bn[e->root].cval;
	return 0;
}

int expr__bind_type(struct expr *e, unsigned source, const struct tape_type *tp, char *err,
		    size_t errlen)
{
	int rc = bind_type(e, source, tp);

	/* binding only fails for memory: unknown names are expr__bind()'s check */
	if (rc && err && errlen)
		snprintf(err, errlen, "out of memory binding type '%s'", tp->name);
	return rc;
}

/* Is @name known in any type of the readers: a field, an enum/flags name, an
 * errno name? */
static bool name_known(struct tape_reader *const *readers, size_t n, const char *name)
{
	if (!strcmp(name, "type") || common_field(name) >= 0 || errno_value(name) >= 0)
		return true;
	for (size_t r = 0; r < n; r++) {
		unsigned max = tape_reader__max_type(readers[r]);

		for (unsigned t = 1; t <= max; t++) {
			const struct tape_type *tp = tape_reader__type(readers[r], t);

			if (!tp)
				continue;
			for (unsigned f = 0; f < tp->nfields; f++) {
				uint64_t v;

				if (!strcmp(tp->fields[f].name, name) ||
				    enum_value(tp->fields[f].enumeration, name, &v))
					return true;
			}
		}
	}
	return false;
}

static int check_opnd(struct tape_reader *const *readers, size_t n, const struct opnd *o, char *err,
		      size_t errlen)
{
	const char *s = o->str;

	if (o->kind == O_NAME) {
		if (name_known(readers, n, s))
			return 0;
		snprintf(err, errlen, "column %u: unknown field or name '%s'", o->col, s);
		return -EINVAL;
	}
	if (o->kind == O_SYMS)
		for (size_t i = 0; i < o->nsym; i++, s += strlen(s) + 1)
			if (!name_known(readers, n, s)) {
				snprintf(err, errlen, "column %u: unknown name '%s'", o->col, s);
				return -EINVAL;
			}
	return 0;
}

int expr__bind(struct expr *e, struct tape_reader *const *readers, size_t n, char *err,
	       size_t errlen)
{
	int rc;

	if (err && errlen)
		err[0] = '\0';
	for (int i = 0; i < e->nnodes; i++) {
		if (e->nodes[i].type != N_CMP && e->nodes[i].type != N_TRUTH)
			continue;
		if ((rc = check_opnd(readers, n, &e->nodes[i].l, err, errlen)) ||
		    (rc = check_opnd(readers, n, &e->nodes[i].r, err, errlen)))
			return rc;
	}
	unbind(e);
	for (size_t r = 0; r < n; r++) {
		unsigned max = tape_reader__max_type(readers[r]);

		for (unsigned t = 1; t <= max; t++) {
			const struct tape_type *tp = tape_reader__type(readers[r], t);

			if (tp && (rc = expr__bind_type(e, (unsigned)r, tp, err, errlen)))
				return rc;
		}
	}
	return 0;
}

/* ---- evaluation ---- */

static const struct bprog *prog_for(const struct expr *e, unsigned source, unsigned type)
{
	if (source >= e->nsrcs || type >= e->srcs[source].ntypes)
		return NULL;
	if (!e->srcs[source].progs[type].nodes)
		return NULL;
	return &e->srcs[source].progs[type];
}

bool expr__may_match(const struct expr *e, unsigned source, unsigned type)
{
	const struct bprog *p = prog_for(e, source, type);

	return p && p->root_cval != 0;
}

static i128 int_of(const struct bopnd *b, const struct tape_event *ev)
{
	switch (b->src) {
	case B_INT:
		return b->ival;
	case B_TS:
		return ev->ts;
	case B_PID:
		return ev->pid;
	case B_TID:
		return ev->tid;
	case B_CPU:
		return ev->cpu;
	case B_FIELD:
		if (b->kind >= TAPE_S8 && b->kind <= TAPE_S64)
			return ev->values[b->idx].s;
		return ev->values[b->idx].u;
	default:
		return 0;
	}
}

/* NUL-separated argv shown space-separated, so globs see every argument. */
static const char *argv_text(const union tape_value *v, char *buf)
{
	uint32_t n = v->b.len < SCRATCH - 1 ? v->b.len : SCRATCH - 1;

	memcpy(buf, v->b.ptr, n);
	while (n && buf[n - 1] == '\0')
		n--;
	for (uint32_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return buf;
}

/* A container field of @ev's process; "" for a process the table lacks. */
static const char *proc_str(const struct expr *e, uint8_t src, const struct tape_event *ev)
{
	const struct tape_proc_state *s = ev->source < e->npt && e->pt[ev->source]
						  ? tape_proctab__get(e->pt[ev->source], ev->pid)
						  : NULL;
	const char *v = NULL;

	if (s)
		v = src == B_CONTAINER	      ? s->container
		    : src == B_CONTAINER_NAME ? s->container_name
		    : src == B_RUNTIME	      ? s->runtime
					      : s->pod;
	return v ? v : "";
}

static const char *str_of(const struct expr *e, const struct bopnd *b, const struct tape_event *ev,
			  char *buf)
{
	const struct tape_field *f;

	switch (b->src) {
	case B_STR:
		return b->s;
	case B_COMM:
		return ev->comm ? ev->comm : "";
	case B_CONTAINER:
	case B_CONTAINER_NAME:
	case B_RUNTIME:
	case B_POD:
		return proc_str(e, b->src, ev);
	case B_TS:
	case B_PID:
	case B_TID:
	case B_CPU:
		snprintf(buf, SCRATCH, "%lld", (long long)int_of(b, ev));
		return buf;
	case B_FIELD:
		f = &ev->tp->fields[b->idx];
		if (!b->text)
			return ev->values[b->idx].b.ptr ? ev->values[b->idx].b.ptr : "";
		if (f->display == TAPE_DISP_ARGV && f->kind == TAPE_BYTES)
			return argv_text(&ev->values[b->idx], buf);
		tape_format_value(ev->tp, (unsigned)b->idx, &ev->values[b->idx], TAPE_ESC_RAW, buf,
				  SCRATCH);
		return buf;
	default:
		return "";
	}
}

static bool eval_cmp(struct expr *e, const struct node *n, const struct bnode *bn,
		     const struct tape_event *ev)
{
	if (bn->mode == M_INT) {
		i128 a = int_of(&bn->l, ev), b = int_of(&bn->r, ev);

		switch (n->op) {
		case C_EQ:
			return a == b;
		case C_NE:
			return a != b;
		case C_LT:
			return a < b;
		case C_LE:
			return a <= b;
		case C_GT:
			return a > b;
		case C_GE:
			return a >= b;
		case C_BAND:
			return (a & b) != 0;
		default:
			return false;
		}
	} else {
		const char *a = str_of(e, &bn->l, ev, e->scratch[0]);
		const char *b = str_of(e, &bn->r, ev, e->scratch[1]);
		int c;

		switch (n->op) {
		case C_GLOB:
			return fnmatch(b, a, 0) == 0;
		case C_NGLOB:
			return fnmatch(b, a, 0) != 0;
		default:
			break;
		}
		c = strcmp(a, b);
		switch (n->op) {
		case C_EQ:
			return c == 0;
		case C_NE:
			return c != 0;
		case C_LT:
			return c < 0;
		case C_LE:
			return c <= 0;
		case C_GT:
			return c > 0;
		case C_GE:
			return c >= 0;
		default:
			return false;
		}
	}
}

static bool eval_node(struct expr *e, const struct bnode *bn, int i, const struct tape_event *ev)
{
	const struct node *n = &e->nodes[i];

	if (bn[i].cval >= 0)
		return bn[i].cval;
	switch (n->type) {
	case N_OR:
		return eval_node(e, bn, n->a, ev) || eval_node(e, bn, n->b, ev);
	case N_AND:
		return eval_node(e, bn, n->a, ev) && eval_node(e, bn, n->b, ev);
	case N_NOT:
		return !eval_node(e, bn, n->a, ev);
	case N_CMP:
		return eval_cmp(e, n, &bn[i], ev);
	case N_TRUTH:
		if (bn[i].mode == M_INT)
			return int_of(&bn[i].l, ev) != 0;
		return str_of(e, &bn[i].l, ev, e->scratch[0])[0] != '\0';
	default:
		return false;
	}
}

void expr__set_procs(struct expr *e, struct tape_proctab *const *pt, size_t n)
{
	e->pt = pt;
	e->npt = n;
}

bool expr__eval(struct expr *e, const struct tape_event *ev)
{
	const struct bprog *p = prog_for(e, ev->source, ev->type);

	if (!p || !ev->tp)
		return false;
	if (p->root_cval >= 0)
		return p->root_cval;
	return eval_node(e, p->nodes, e->root, ev);
}
