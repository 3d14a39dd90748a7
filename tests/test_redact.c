// SPDX-License-Identifier: MIT
/* Redaction primitives: SipHash-2-4 against the paper's vectors, tokens,
 * argv lists, socket addresses, keys; and filter --redact on generic probe
 * events (tracepoints decoded from raw records, uprobe string arguments). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "../replay/redact.h"
#include "private/siphash.h"
#include <bpftape/tape.h>
#include "../cli/verbs.h"

static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* Aumasson & Bernstein, SipHash paper, appendix A, and the reference
 * implementation's vectors.h (key 00..0f, message 00..len-1). */
static void test_siphash_vectors(void **state)
{
	static const uint64_t want[] = {
		0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
		0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
		0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	};
	uint8_t msg[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		if (tape__siphash24(key, msg, n) != want[n])
			fail_msg("length %zu: %016llx", n,
				 (unsigned long long)tape__siphash24(key, msg, n));
	/* the paper's worked example: 15 bytes */
	assert_true(tape__siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static void test_tokens(void **state)
{
	uint8_t other[16];
	char a[64], b[64], c[64];

	(void)state;
	memcpy(other, key, 16);
	other[0] ^= 1;
	assert_int_equal(redact_token(key, "path", "/etc/passwd", 11, a), 21);
	assert_memory_equal(a, "path:", 5);
	for (int i = 5; i < 21; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	redact_token(key, "path", "/etc/passwd", 11, b);
	assert_string_equal(a, b); /* stable */
	redact_token(other, "path", "/etc/passwd", 11, c);
	assert_string_not_equal(a, c); /* keyed */
	redact_token(key, "path", "/etc/passwe", 11, c);
	assert_string_not_equal(a, c);
}

static void test_lists(void **state)
{
	static const char argv[] = "cat\0/etc/shadow\0\0-n";
	char out[512], t[64];
	size_t n;

	(void)state;
	assert_true(redact_list_size(sizeof(argv)) >= 4 * 22);
	n = redact_list(key, "argv", argv, sizeof(argv), out);
	/* four elements (one empty), each a token and a NUL */
	assert_int_equal(n, 4 * 22);
	redact_token(key, "argv", "/etc/shadow", 11, t);
	assert_string_equal(out + 22, t);
	assert_null(memmem(out, n, "shadow", 6));
}

static void test_sockaddr(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)}, sout;
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)}, s6out;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint8_t out[256];
	size_t n, len;

	(void)state;
	inet_pton(AF_INET, "192.168.1.20", &sin.sin_addr);
	assert_int_equal(redact_sockaddr(key, &sin, sizeof(sin), out), sizeof(sin));
	memcpy(&sout, out, sizeof(sout));
	assert_int_equal(sout.sin_family, AF_INET);
	assert_int_equal(ntohs(sout.sin_port), 8080);
	assert_memory_not_equal(&sout.sin_addr, &sin.sin_addr, 4);
	/* the same address on another port: the same token */
	sin.sin_port = htons(55402);
	assert_int_equal(redact_sockaddr(key, &sin, sizeof(sin), out), sizeof(sin));
	assert_memory_equal(out + 4, &sout.sin_addr, 4);
	assert_int_equal(ntohs(((struct sockaddr_in *)out)->sin_port), 55402);

	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	s6.sin6_scope_id = 3;
	assert_int_equal(redact_sockaddr(key, &s6, sizeof(s6), out), sizeof(s6));
	memcpy(&s6out, out, sizeof(s6out));
	assert_int_equal(s6out.sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6out.sin6_port), 443);
	assert_int_equal(s6out.sin6_scope_id, 0);
	assert_null(memmem(out, sizeof(s6), "\x20\x01\x0d\xb8", 4));
	s6.sin6_port = htons(8443);
	s6.sin6_flowinfo = 7;
	{
		uint8_t again[sizeof(s6)];

		assert_int_equal(redact_sockaddr(key, &s6, sizeof(s6), again), sizeof(s6));
		assert_memory_equal(again + 8, out + 8, 16);
	}

	strcpy(sun.sun_path, "/run/user/1000/bus");
	len = offsetof(struct sockaddr_un, sun_path) + strlen(sun.sun_path) + 1;
	n = redact_sockaddr(key, &sun, len, out);
	assert_int_equal(out[0] | out[1] << 8, AF_UNIX);
	assert_memory_equal(out + 2, "addr:", 5);
	assert_null(memmem(out, n, "/run/user", 9));
	/* abstract names keep their leading NUL */
	memset(sun.sun_path, 0, sizeof(sun.sun_path));
	memcpy(sun.sun_path + 1, "secret-abstract", 15);
	len = offsetof(struct sockaddr_un, sun_path) + 16;
	n = redact_sockaddr(key, &sun, len, out);
	assert_int_equal(out[2], 0);
	assert_memory_equal(out + 3, "addr:", 5);
	assert_null(memmem(out, n, "secret", 6));
}

static void test_parse_and_keys(void **state)
{
	char path[] = "/tmp/bpftape-test-key-XXXXXX";
	uint8_t k1[16], k2[16];
	unsigned what;
	int fd;

	(void)state;
	assert_int_equal(redact_parse("paths,argv", &what), 0);
	assert_int_equal(what, REDACT_PATHS | REDACT_ARGV);
	assert_int_equal(redact_parse("all", &what), 0);
	assert_int_equal(what,
			 REDACT_PATHS | REDACT_ARGV | REDACT_ENV | REDACT_ADDRS | REDACT_HOST);
	assert_int_equal(redact_parse("paths,nope", &what), -EINVAL);
	assert_int_equal(redact_parse("", &what), -EINVAL);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	assert_int_equal(redact_key(path, k1), -EINVAL);
	assert_int_equal(write(fd, " but now long enough", 20), 20);
	close(fd);
	assert_int_equal(redact_key(path, k1), 0);
	assert_int_equal(redact_key(path, k2), 0);
	assert_memory_equal(k1, k2, 16); /* a key file gives the same key every time */
	unlink(path);
	assert_int_equal(redact_key(NULL, k1), 0);
	assert_int_equal(redact_key(NULL, k2), 0);
	assert_memory_not_equal(k1, k2, 16); /* random keys differ */
	assert_int_equal(redact_key("/nonexistent/key", k1), -ENOENT);
}

static void test_spec_paths(void **state)
{
	char tok[64], want[256];
	char *s;

	(void)state;
	redact_token(key, "path", "/usr/bin/app", 12, tok);
	snprintf(want, sizeof(want), "uprobe:%s:main(x:str)", tok);
	s = redact_spec_paths(key, "uprobe:/usr/bin/app:main(x:str)");
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	s = redact_spec_paths(key, "sys_exit(open,openat)");
	assert_string_equal(s, "sys_exit(open,openat)");
	free(s);
	/* a binary found in $PATH is named without a '/' */
	redact_token(key, "path", "secret-app", 10, tok);
	snprintf(want, sizeof(want), "usdt:%s:prov:probe(str)", tok);
	s = redact_spec_paths(key, "usdt:secret-app:prov:probe(str)");
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	s = redact_spec_paths(key, "tracepoint:sched:sched_process_exec");
	assert_string_equal(s, "tracepoint:sched:sched_process_exec");
	free(s);
}

/* The recorder's record.filter metadata names the command it ran. */
static void test_record_filter(void **state)
{
	char cmd[64], cg[64], want[256];
	char *s;

	(void)state;
	redact_token(key, "argv", "/opt/my app/run", 15, cmd);
	redact_token(key, "host", "/sys/fs/cgroup/secret.slice", 27, cg);
	s = redact_record_filter(
		key, "cmd=/opt/my app/run comm=run cgroup=/sys/fs/cgroup/secret.slice uid=7",
		REDACT_PATHS | REDACT_HOST);
	assert_non_null(s);
	snprintf(want, sizeof(want), "cmd=%s comm=run cgroup=%s uid=7", cmd, cg);
	assert_string_equal(s, want);
	free(s);
	/* a container's name or id names the host's workload as its cgroup does */
	redact_token(key, "host", "web", 3, cg);
	s = redact_record_filter(key, "container=web uid=7", REDACT_HOST);
	snprintf(want, sizeof(want), "container=%s uid=7", cg);
	assert_string_equal(s, want);
	free(s);
	/* only what was asked for */
	s = redact_record_filter(key, "pid=42+children cgroup=/a/b", REDACT_PATHS);
	assert_string_equal(s, "pid=42+children cgroup=/a/b");
	free(s);
	s = redact_record_filter(key, "cmd=./run", REDACT_ARGV);
	redact_token(key, "argv", "./run", 5, cmd);
	snprintf(want, sizeof(want), "cmd=%s", cmd);
	assert_string_equal(s, want);
	free(s);
	s = redact_record_filter(key, "", REDACT_ARGV);
	assert_string_equal(s, "");
	free(s);
}

/* ---- generic probe events through filter --redact ---- */

#define FMT_HEAD                                                                                   \
	"format:\n"                                                                                \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"                     \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"                     \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"             \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"                                 \
	"\n"

/* As a 6.18 kernel's tracefs has it. */
static const char fmt_exec[] =
	"name: sched_process_exec\nID: 365\n" FMT_HEAD
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"filename=%s pid=%d old_pid=%d\"\n";

/* Made up: one field of each shape a tracepoint can have. */
static const char fmt_mix[] = "name: mix\nID: 9999\n" FMT_HEAD
			      "\tfield:__data_loc char[] msg;\toffset:8;\tsize:4;\tsigned:0;\n"
			      "\tfield:char prev_comm[16];\toffset:12;\tsize:16;\tsigned:0;\n"
			      "\tfield:__u8 saddr[4];\toffset:28;\tsize:4;\tsigned:0;\n"
			      "\tfield:__u32 daddr;\toffset:32;\tsize:4;\tsigned:0;\n"
			      "\tfield:unsigned long args[2];\toffset:40;\tsize:16;\tsigned:0;\n"
			      "\tfield:__data_loc u8[] blob;\toffset:56;\tsize:4;\tsigned:0;\n"
			      "\n"
			      "print fmt: \"msg=%s\"\n";

/* The first two are paths: --redact addrs leaves them. */
static const char *const gsecrets[] = {
	"/secret/exec/path", "secret-app",	"secret message", "/secret/arg0",
	"secret-where",	     "secret readline", "secret-blob",
};
static const uint8_t gaddr[4] = {10, 9, 8, 7};

static void gput(uint8_t *rec, size_t off, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++)
		rec[off + i] = (uint8_t)(v >> (8 * i));
}

/* The first secret @p holds, or NULL; @keep_path: the paths may stay (the
 * exec filename and the probed binary: paths were not asked for). */
static const char *gfind(const void *p, size_t n, bool keep_path)
{
	for (size_t i = keep_path ? 2 : 0; i < sizeof(gsecrets) / sizeof(gsecrets[0]); i++)
		if (memmem(p, n, gsecrets[i], strlen(gsecrets[i])))
			return gsecrets[i];
	if (memmem(p, n, gaddr, sizeof(gaddr)))
		return "the address bytes 10.9.8.7";
	return NULL;
}

static void gscan(const char *what, const void *p, size_t n, bool keep_path)
{
	const char *s = gfind(p, n, keep_path);

	if (s)
		fail_msg("%s still holds '%s'", what, s);
}

/* The first secret in the file at @path, raw or in any of its zstd frames
 * decompressed, or NULL. */
static const char *gfind_file(const char *path, bool keep_path)
{
	const char *found;
	struct stat st;
	char *data;
	int fd, frames = 0;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0 && !fstat(fd, &st));
	data = malloc((size_t)st.st_size + 1);
	assert_non_null(data);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	found = gfind(data, (size_t)st.st_size, keep_path);
	for (size_t off = 0; !found && off + 4 <= (size_t)st.st_size; off++) {
		size_t csize, dsize;
		unsigned long long want;
		void *dst;

		if (memcmp(data + off, "\x28\xb5\x2f\xfd", 4))
			continue;
		csize = ZSTD_findFrameCompressedSize(data + off, (size_t)st.st_size - off);
		if (ZSTD_isError(csize))
			continue;
		want = ZSTD_getFrameContentSize(data + off, csize);
		if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN ||
		    want > (1u << 26))
			continue;
		dst = malloc(want ? want : 1);
		assert_non_null(dst);
		dsize = ZSTD_decompress(dst, want, data + off, csize);
		if (!ZSTD_isError(dsize)) {
			found = gfind(dst, dsize, keep_path);
			frames++;
		}
		free(dst);
	}
	assert_true(found || frames >= 1);
	free(data);
	return found;
}

/* Run `bpftape filter` with @args in a child, its stderr into @err. */
static int run_filter(char *const *args, char *err, size_t errlen)
{
	char errp[] = "/tmp/bpftape-test-redact-err-XXXXXX";
	int fd = mkstemp(errp), status;
	pid_t pid;
	ssize_t n;

	assert_true(fd >= 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int argc = 0;

		dup2(fd, 2);
		dup2(fd, 1);
		while (args[argc])
			argc++;
		_exit(cmd_filter(argc, (char **)args));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = pread(fd, err, errlen - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(errp);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

struct gtape {
	char dir[64], in[128], out[128], key[128];
};

static void gtape_paths(struct gtape *g)
{
	snprintf(g->dir, sizeof(g->dir), "/tmp/bpftape-test-redact-XXXXXX");
	assert_non_null(mkdtemp(g->dir));
	snprintf(g->in, sizeof(g->in), "%s/in.tape", g->dir);
	snprintf(g->out, sizeof(g->out), "%s/out.tape", g->dir);
	snprintf(g->key, sizeof(g->key), "%s/key", g->dir);
}

static void gtape_clean(struct gtape *g)
{
	unlink(g->in);
	unlink(g->out);
	unlink(g->key);
	rmdir(g->dir);
}

/* A tape as `record -e tracepoint:... -e uprobe:...` writes it: raw
 * tracepoint records with their format text, probe arguments as fields. */
static void write_generic_tape(const char *path)
{
	static const struct tape_field raw[] = {{"raw", TAPE_BYTES, 0, NULL}};
	static const struct tape_field up[] = {{"arg0", TAPE_STR, 0, NULL},
					       {"where", TAPE_STR, 0, NULL}};
	static const struct tape_field uret[] = {{"ret", TAPE_STR, 0, NULL}};
	struct tape_type t_exec = {
		0, "sched_process_exec", "tracepoint:sched:sched_process_exec", fmt_exec, 1, raw};
	struct tape_type t_mix = {0, "mix", "tracepoint:test:mix", fmt_mix, 1, raw};
	struct tape_type t_up = {
		0, "uprobe_open64", "uprobe:secret-app:open64(str,where:str)", "", 2, up};
	struct tape_type t_uret = {
		0, "uretprobe_readline", "uretprobe:/bin/bash:readline(str)", "", 1, uret};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	uint8_t rexec[64] = {0}, rmix[96] = {0};
	union tape_value v[2];
	struct tape_event ev = {.pid = 7, .tid = 7, .comm = "app", .values = v};
	struct tape_writer *w = tape_writer__open(path, &opts);

	assert_non_null(w);
	gput(rexec, 8, 20 | (18u << 16), 4); /* the kernel counts the NUL */
	gput(rexec, 12, 7, 4);
	gput(rexec, 16, 7, 4);
	memcpy(rexec + 20, "/secret/exec/path", 18);
	gput(rmix, 8, 60 | (15u << 16), 4);
	memcpy(rmix + 12, "kworker/0:1", 11);
	memcpy(rmix + 28, gaddr, 4);
	gput(rmix, 32, 0x0a090807, 4);
	gput(rmix, 40, 0x1111, 8);
	gput(rmix, 48, 0x2222, 8);
	gput(rmix, 56, 75 | (11u << 16), 4);
	memcpy(rmix + 60, "secret message", 15);
	memcpy(rmix + 75, "secret-blob", 11);

	ev.type = (uint16_t)tape_writer__add_type(w, &t_exec);
	ev.ts = 10;
	v[0] = (union tape_value){.b = {rexec, 38}};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &t_mix);
	ev.ts = 20;
	v[0] = (union tape_value){.b = {rmix, 86}};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &t_up);
	ev.ts = 30;
	v[0] = (union tape_value){.b = {"/secret/arg0", 12}};
	v[1] = (union tape_value){.b = {"secret-where", 12}};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &t_uret);
	ev.ts = 40;
	v[0] = (union tape_value){.b = {"secret readline", 15}};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

static const union tape_value *field(const struct tape_event *ev, const char *name)
{
	int i = tape_type__field_index(ev->tp, name);

	if (i < 0)
		fail_msg("type %s has no field %s", ev->tp->name, name);
	return &ev->values[i];
}

/* Read @path back: every value scanned, the kept ones checked.  @addrs_only:
 * the tape was redacted with --redact addrs, not paths. */
static void check_generic_out(const char *path, bool addrs_only)
{
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	char err[256];
	int n = 0;

	r = tape_reader__open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", path, err);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		const struct tape_type *tp = ev->tp;

		if (!ev->type)
			continue;
		n++;
		for (unsigned i = 0; i < tp->nfields; i++)
			if (tp->fields[i].kind == TAPE_STR || tp->fields[i].kind == TAPE_BYTES)
				gscan("an event value", ev->values[i].b.ptr, ev->values[i].b.len,
				      addrs_only);
		if (!addrs_only && tp->source)
			gscan("a type's source", tp->source, strlen(tp->source), false);
		if (!strcmp(tp->name, "sched_process_exec")) {
			/* decoded fields, as the reader presents them */
			const char *fn = field(ev, "filename")->b.ptr;

			if (addrs_only)
				assert_string_equal(fn, "/secret/exec/path");
			else
				assert_memory_equal(fn, "path:", 5);
			assert_int_equal(field(ev, "pid")->s, 7);
		} else if (!strcmp(tp->name, "mix")) {
			/* a string named for no class: a token under any class */
			assert_memory_equal(field(ev, "msg")->b.ptr, "str:", 4);
			/* comm is in every event header in clear: kept */
			assert_string_equal(field(ev, "prev_comm")->b.ptr, "kworker/0:1");
			/* address bytes keep their length */
			assert_int_equal(field(ev, "saddr")->b.len, 4);
			assert_int_equal(field(ev, "blob")->b.len, 11);
			/* integer arrays are numbers, kept like integer fields */
			assert_int_equal(field(ev, "args")->b.len, 16);
			assert_memory_equal(field(ev, "args")->b.ptr,
					    "\x11\x11\0\0\0\0\0\0\x22\x22\0\0\0\0\0\0", 16);
			if (addrs_only)
				assert_int_not_equal(field(ev, "daddr")->u, 0x0a090807);
			else
				assert_int_equal(field(ev, "daddr")->u, 0x0a090807);
		} else if (!strcmp(tp->name, "uprobe_open64")) {
			assert_memory_equal(field(ev, "arg0")->b.ptr, "str:", 4);
			assert_memory_equal(field(ev, "where")->b.ptr, "str:", 4);
		} else if (!strcmp(tp->name, "uretprobe_readline")) {
			assert_memory_equal(field(ev, "ret")->b.ptr, "str:", 4);
		}
	}
	assert_int_equal(n, 4);
	tape_cursor__free(c);
	tape_reader__free(r);
}

/* A tracepoint's raw record is decoded, then redacted field by field; the
 * strings of uprobes hide under any class, whatever the user named them. */
static void test_generic_events(void **state)
{
	struct gtape g;
	char err[1024];
	int fd;

	(void)state;
	gtape_paths(&g);
	write_generic_tape(g.in);
	fd = open(g.key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef-generic", 24), 24);
	close(fd);

	/* the unredacted copy holds the secrets: the scan can see them */
	{
		char *a[] = {"filter", "-q", "-o", g.out, g.in, NULL};
		struct tape_reader *r;

		assert_int_equal(run_filter(a, err, sizeof(err)), 0);
		r = tape_reader__open(g.out, err, sizeof(err));
		assert_non_null(r);
		tape_reader__free(r);
		assert_non_null(gfind_file(g.out, false));
	}
	{
		char *a[] = {"filter", "-q",	"-o",  g.out, "--redact",
			     "paths",  "--key", g.key, g.in,  NULL};

		if (run_filter(a, err, sizeof(err)))
			fail_msg("filter --redact paths: %s", err);
		check_generic_out(g.out, false);
		if (gfind_file(g.out, false))
			fail_msg("%s still holds '%s'", g.out, gfind_file(g.out, false));
	}
	{
		char *a[] = {"filter", "-q",	"-o",  g.out, "--redact",
			     "addrs",  "--key", g.key, g.in,  NULL};

		if (run_filter(a, err, sizeof(err)))
			fail_msg("filter --redact addrs: %s", err);
		check_generic_out(g.out, true);
		if (gfind_file(g.out, true))
			fail_msg("%s still holds '%s'", g.out, gfind_file(g.out, true));
	}
	gtape_clean(&g);
}

/* A raw tracepoint type whose format does not parse cannot be redacted by
 * field: filter --redact refuses it, naming it, and writes nothing. */
static void test_generic_raw_refused(void **state)
{
	static const struct tape_field raw[] = {{"raw", TAPE_BYTES, 0, NULL}};
	struct tape_type t = {0, "odd_tp", "tracepoint:odd:odd_tp", "not a format", 1, raw};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	union tape_value v[] = {{.b = {"\0\0\0\0\0\0\0\0/secret/raw", 19}}};
	struct tape_event ev = {.ts = 5, .pid = 1, .tid = 1, .comm = "x", .values = v};
	struct tape_writer *w;
	struct gtape g;
	char err[1024];

	(void)state;
	gtape_paths(&g);
	w = tape_writer__open(g.in, &opts);
	assert_non_null(w);
	ev.type = (uint16_t)tape_writer__add_type(w, &t);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	{
		char *a[] = {"filter", "-q", "-o", g.out, "--redact", "host", g.in, NULL};

		assert_int_equal(run_filter(a, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "type 'odd_tp'"));
		assert_non_null(strstr(err, "does not parse"));
		assert_int_equal(access(g.out, F_OK), -1);
	}
	{
		/* leaving the type out is the way through */
		char *a[] = {"filter",	 "-q",	 "-o", g.out,
			     "--redact", "host", "-f", "type != \"odd_tp\"",
			     g.in,	 NULL};

		if (run_filter(a, err, sizeof(err)))
			fail_msg("filter -f 'type != odd_tp': %s", err);
	}
	{
		/* without --redact the raw record is copied as it is */
		char *a[] = {"filter", "-q", "-o", g.out, g.in, NULL};

		assert_int_equal(run_filter(a, err, sizeof(err)), 0);
	}
	gtape_clean(&g);
}

/* ---- --redact all: an allow-list, not field names ---- */

static const char *const osecrets[] = {
	"https://secret.example/x", "secret-query", "secret --cmdline", "secret-sock",
	"SECRET_TOKEN=hunter2",	    "secret-meta",  "/opt/secret-app",
};

/* The first of @secrets in @p, or NULL. */
static const char *ofind(const void *p, size_t n)
{
	for (size_t i = 0; i < sizeof(osecrets) / sizeof(osecrets[0]); i++)
		if (memmem(p, n, osecrets[i], strlen(osecrets[i])))
			return osecrets[i];
	return NULL;
}

/* The first secret in the file, raw or in any zstd frame, or NULL. */
static const char *ofind_file(const char *path)
{
	const char *found;
	struct stat st;
	char *data;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0 && !fstat(fd, &st));
	data = malloc((size_t)st.st_size + 1);
	assert_non_null(data);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	found = ofind(data, (size_t)st.st_size);
	for (size_t off = 0; !found && off + 4 <= (size_t)st.st_size; off++) {
		size_t csize, dsize;
		unsigned long long want;
		void *dst;

		if (memcmp(data + off, "\x28\xb5\x2f\xfd", 4))
			continue;
		csize = ZSTD_findFrameCompressedSize(data + off, (size_t)st.st_size - off);
		if (ZSTD_isError(csize))
			continue;
		want = ZSTD_getFrameContentSize(data + off, csize);
		if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN ||
		    want > (1u << 26))
			continue;
		dst = malloc(want ? want : 1);
		assert_non_null(dst);
		dsize = ZSTD_decompress(dst, want, data + off, csize);
		if (!ZSTD_isError(dsize))
			found = ofind(dst, dsize);
		free(dst);
	}
	free(data);
	return found;
}

/*
 * Types as a program writing tapes through the library defines them (no
 * probe spec, no format), and as a usdt probe with fields named by whoever
 * wrote the spec: url, query, cmdline, a bytes sock.  An env list, and
 * metadata keys nobody planned for.
 */
static void write_opaque_tape(const char *path)
{
	static const struct tape_field app_f[] = {
		{"url", TAPE_STR, 0, NULL},	    {"query", TAPE_STR, 0, NULL},
		{"cmdline", TAPE_STR, 0, NULL},	    {"sock", TAPE_BYTES, 0, NULL},
		{"worker_comm", TAPE_STR, 0, NULL}, {"code", TAPE_U32, 0, NULL},
	};
	static const struct tape_field usdt_f[] = {{"url", TAPE_STR, 0, NULL},
						   {"query", TAPE_STR, 0, NULL},
						   {"cmdline", TAPE_STR, 0, NULL}};
	static const struct tape_field spawn_f[] = {{"env", TAPE_BYTES, TAPE_DISP_ARGV, NULL}};
	struct tape_type t_app = {0, "app_request", "", "", 6, app_f};
	struct tape_type t_usdt = {0,
				   "usdt_app_req",
				   "usdt:/opt/secret-app:app:req(url:str,query:str,cmdline:str)",
				   "",
				   3,
				   usdt_f};
	struct tape_type t_spawn = {0, "spawn", NULL, NULL, 1, spawn_f};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	static const char env[] = "SECRET_TOKEN=hunter2\0HOME=/root";
	union tape_value v[6];
	struct tape_event ev = {.pid = 7, .tid = 7, .comm = "app", .values = v};
	struct tape_writer *w = tape_writer__open(path, &opts);

	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "app.secret", "secret-meta"), 0);
	assert_int_equal(tape_writer__set_meta(w, "app.count", "42"), 0);
	assert_int_equal(tape_writer__set_meta(w, "host.kernel", "6.18.44"), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &t_app);
	ev.ts = 10;
	v[0] = (union tape_value){.b = {"https://secret.example/x", 24}};
	v[1] = (union tape_value){.b = {"secret-query", 12}};
	v[2] = (union tape_value){.b = {"secret --cmdline", 16}};
	v[3] = (union tape_value){.b = {"secret-sock", 11}};
	v[4] = (union tape_value){.b = {"kworker/1:0", 11}};
	v[5] = (union tape_value){.u = 200};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &t_usdt);
	ev.ts = 20;
	v[0] = (union tape_value){.b = {"https://secret.example/x", 24}};
	v[1] = (union tape_value){.b = {"secret-query", 12}};
	v[2] = (union tape_value){.b = {"secret --cmdline", 16}};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &t_spawn);
	ev.ts = 30;
	v[0] = (union tape_value){.b = {env, sizeof(env)}};
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

/* The metadata value of @k in @r, or NULL. */
static const char *meta(struct tape_reader *r, const char *k)
{
	for (size_t i = 0; i < tape_reader__meta_count(r); i++) {
		const char *mk, *mv;

		if (!tape_reader__meta_at(r, i, &mk, &mv) && !strcmp(mk, k))
			return mv;
	}
	return NULL;
}

/* Read back a tape filtered with --redact @what ("all" or "env"). */
static void check_opaque_out(const char *path, const char *what)
{
	bool all = !strcmp(what, "all");
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	char err[256];
	int n = 0;

	r = tape_reader__open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", path, err);
	assert_memory_equal(meta(r, "app.secret"), "str:", 4);
	assert_string_equal(meta(r, "app.count"), "42");
	assert_string_equal(meta(r, "host.kernel"), "6.18.44");
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		if (!ev->type)
			continue;
		n++;
		if (!strcmp(ev->tp->name, "spawn")) {
			const union tape_value *e = field(ev, "env");
			const char *p = e->b.ptr;

			/* each element its own env token */
			assert_memory_equal(p, "env:", 4);
			assert_int_equal(strlen(p), 20);
			assert_memory_equal(p + 21, "env:", 4);
			assert_int_equal(e->b.len, 42);
			continue;
		}
		assert_memory_equal(field(ev, "url")->b.ptr, "str:", 4);
		assert_memory_equal(field(ev, "query")->b.ptr, "str:", 4);
		assert_memory_equal(field(ev, "cmdline")->b.ptr, "str:", 4);
		if (!strcmp(ev->tp->name, "app_request")) {
			assert_int_equal(field(ev, "sock")->b.len, 11);
			assert_string_equal(field(ev, "worker_comm")->b.ptr, "kworker/1:0");
			assert_int_equal(field(ev, "code")->u, 200);
		} else if (all) {
			assert_null(strstr(ev->tp->source, "secret"));
		}
	}
	assert_int_equal(n, 3);
	tape_cursor__free(c);
	tape_reader__free(r);
}

/* Under --redact, every string and byte field and metadata value is a
 * token unless known harmless, whatever its name; and env, asked for, is
 * an env list. */
static void test_opaque_fields(void **state)
{
	static const char *const lists[] = {"all", "env"};
	struct gtape g;
	char err[1024];

	(void)state;
	gtape_paths(&g);
	write_opaque_tape(g.in);
	{
		char *a[] = {"filter", "-q", "-o", g.out, g.in, NULL};

		assert_int_equal(run_filter(a, err, sizeof(err)), 0);
		assert_non_null(ofind_file(g.out));
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char *a[] = {"filter", "-q", "-o", g.out, "--redact", (char *)lists[i], g.in, NULL};
		const char *left;

		if (run_filter(a, err, sizeof(err)))
			fail_msg("filter --redact %s: %s", lists[i], err);
		check_opaque_out(g.out, lists[i]);
		left = ofind_file(g.out);
		/* --redact env leaves paths: the probed binary's in the spec */
		if (left && (!strcmp(lists[i], "all") || strcmp(left, "/opt/secret-app")))
			fail_msg("--redact %s: %s still holds '%s'", lists[i], g.out, left);
	}
	gtape_clean(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_parse_and_keys),
		cmocka_unit_test(test_spec_paths),
		cmocka_unit_test(test_record_filter),
		cmocka_unit_test(test_generic_events),
		cmocka_unit_test(test_generic_raw_refused),
		cmocka_unit_test(test_opaque_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
