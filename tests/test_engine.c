// SPDX-License-Identifier: MIT
/*
 * The engines of filter, replay and export called as a program would call
 * them: options in a struct, no argv, no terminal, nothing printed.  Each
 * runs over the golden tape (tests/golden_gen.h) written into a scratch
 * directory, and its result is checked against what the library's own
 * cursor reads from the same tape.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../replay/export.h"
#include "../replay/filter.h"
#include "golden_gen.h"
#include "../replay/redact.h"
#include "../replay/replay.h"
#include <bpftape/tape.h>

static char dir[256];  /* scratch directory */
static char tape[300]; /* the golden tape in it */
static char *inputs[1] = {tape};

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct golden_mem m;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/bpftape-engine-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(tape, sizeof(tape), "%s/basic.tape", dir);
	if (golden_basic_mem(&m))
		return -1;
	spit(tape, m.data, m.len);
	free(m.data);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* What the library's cursor reads from @path: events of @pid (0: any) and
 * of type @type (NULL: any, loss records included). */
static uint64_t count(const char *path, uint32_t pid, const char *type)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(path, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	uint64_t n = 0;

	assert_non_null(r);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		if (pid && ev->pid != pid)
			continue;
		if (type && (ev->type == TAPE_TYPE_LOSS || strcmp(ev->tp->name, type)))
			continue;
		n++;
	}
	tape_cursor__free(c);
	tape_reader__free(r);
	return n;
}

static char *slurp_fd(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t k;

	assert_non_null(buf);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((k = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A scratch file for an engine's output, unlinked already. */
static int scratch_fd(void)
{
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/out-XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

struct damage_log {
	unsigned damage, notes;
	char last[512];
};

static void on_damage(void *ctx, const char *path, const char *what)
{
	struct damage_log *d = ctx;

	(void)path;
	d->damage++;
	snprintf(d->last, sizeof(d->last), "%s", what);
}

static void on_note(void *ctx, const char *path, const char *what)
{
	struct damage_log *d = ctx;

	(void)path;
	d->notes++;
	snprintf(d->last, sizeof(d->last), "%s", what);
}

static void test_filter_pid(void **state)
{
	struct filter_opts o = {.inputs = inputs, .ninputs = 1};
	struct filter_result res;
	uint32_t pid = 101;
	char out[320];

	(void)state;
	snprintf(out, sizeof(out), "%s/cut.tape", dir);
	o.output = out;
	o.pred.pids = &pid;
	o.pred.npids = 1;
	assert_int_equal(filter__run(&o, &res), 0);
	assert_string_equal(res.err, "");
	/* the index skips the chunks without pid 101 */
	assert_true(res.read >= res.kept && res.read <= count(tape, 0, NULL));
	/* the loss overlaps the range: a cut tape keeps it whatever --pid says */
	assert_int_equal(res.losses, 1);
	assert_int_equal(res.kept, count(tape, 101, NULL));
	assert_true(res.kept > 0 && res.kept < count(tape, 0, NULL));
	assert_int_equal(res.kept + res.losses, count(out, 0, NULL));
	assert_int_equal(count(out, 101, NULL), res.kept);
	assert_int_equal(res.bad_chunks, 0);
	{
		struct stat st;

		assert_int_equal(stat(out, &st), 0);
		assert_int_equal((uint64_t)st.st_size, res.bytes);
	}
}

static void test_filter_redact(void **state)
{
	struct filter_opts o = {
		.inputs = inputs, .ninputs = 1, .redact = REDACT_PATHS | REDACT_ARGV};
	struct filter_result res;
	char out[320], key[320];

	(void)state;
	snprintf(out, sizeof(out), "%s/red.tape", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	spit(key, "0123456789abcdef0123456789abcdef", 32);
	o.output = out;
	o.keyfile = key;
	assert_int_equal(filter__run(&o, &res), 0);
	assert_int_equal(res.kept + res.losses, count(tape, 0, NULL));
	{
		char err[256];
		struct tape_reader *r = tape_reader__open(out, err, sizeof(err));

		assert_non_null(r);
		assert_string_equal(tape_reader__meta(r, "filter.redacted"), "paths,argv");
		tape_reader__free(r);
	}
	/* the paths are tokens now: read the new tape with the replay engine */
	{
		char *in[1] = {out};
		struct replay_opts ro = {.inputs = in, .ninputs = 1, .speed = 1.0};
		struct replay_result rres;
		size_t len;
		char *text;

		ro.out_fd = scratch_fd();
		assert_int_equal(replay__run(&ro, &rres), 0);
		text = slurp_fd(ro.out_fd, &len);
		close(ro.out_fd);
		assert_null(strstr(text, GOLDEN_SECRET_PATH));
		assert_non_null(strstr(text, "path:"));
		free(text);
	}
}

static void test_filter_errors(void **state)
{
	struct filter_opts o = {.inputs = inputs, .ninputs = 1};
	struct filter_result res;
	char *types[] = {"opne"};
	char out[320];

	(void)state;
	/* the output is the input: refused before anything is read */
	o.output = tape;
	assert_int_equal(filter__run(&o, &res), -EINVAL);
	assert_true(res.usage);
	assert_non_null(strstr(res.err, "is also an input"));

	/* a type no tape has: the selection's fault, no output left */
	snprintf(out, sizeof(out), "%s/none.tape", dir);
	o.output = out;
	o.pred.types = types;
	o.pred.ntypes = 1;
	assert_true(filter__run(&o, &res) < 0);
	assert_true(res.usage);
	assert_non_null(strstr(res.err, "no type 'opne'"));
	assert_int_equal(access(out, F_OK), -1);

	/* a key file too short: not the selection's fault */
	o.pred.ntypes = 0;
	o.redact = REDACT_PATHS;
	{
		char key[320];

		snprintf(key, sizeof(key), "%s/short.key", dir);
		spit(key, "short", 5);
		o.keyfile = key;
		assert_true(filter__run(&o, &res) < 0);
		assert_false(res.usage);
		assert_non_null(strstr(res.err, "fewer than 16 bytes"));
	}
	assert_int_equal(access(out, F_OK), -1);
}

static void test_replay_text_json(void **state)
{
	struct replay_opts o = {.inputs = inputs, .ninputs = 1, .speed = 1.0};
	struct replay_result res;
	size_t len;
	char *text;

	(void)state;
	o.out_fd = scratch_fd();
	assert_int_equal(replay__run(&o, &res), 0);
	assert_int_equal(res.events, count(tape, 0, NULL));
	text = slurp_fd(o.out_fd, &len);
	assert_int_equal(lines(text), res.events);
	assert_non_null(strstr(text, "/etc/missing.conf"));
	free(text);
	close(o.out_fd);

	/* the selection and JSON: one object per exec */
	{
		char *types[] = {"exec"};

		o.out_fd = scratch_fd();
		o.json = true;
		o.pred.types = types;
		o.pred.ntypes = 1;
		assert_int_equal(replay__run(&o, &res), 0);
		assert_int_equal(res.events, count(tape, 0, "exec"));
		text = slurp_fd(o.out_fd, &len);
		assert_int_equal(lines(text), res.events);
		assert_int_equal(text[0], '{');
		assert_non_null(strstr(text, "\"type\":\"exec\""));
		assert_null(strstr(text, "\"type\":\"open\""));
		free(text);
		close(o.out_fd);
	}
}

/* A tape without its footer: read by scanning, which the engine says
 * through the note callback, not on stderr. */
static void test_replay_note(void **state)
{
	struct replay_opts o = {.ninputs = 1, .speed = 1.0};
	struct replay_result res;
	struct damage_log log = {0};
	struct golden_mem m;
	char cut[320];
	char *in[1] = {cut};

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	snprintf(cut, sizeof(cut), "%s/cut-footer.tape", dir);
	/* every chunk, not the index after them */
	spit(cut, m.data, m.len - 64);
	free(m.data);
	o.inputs = in;
	o.note = on_note;
	o.damage = on_damage;
	o.ctx = &log;
	o.out_fd = scratch_fd();
	assert_int_equal(replay__run(&o, &res), 0);
	close(o.out_fd);
	assert_int_equal(log.notes, 1);
	assert_non_null(strstr(log.last, "no valid index"));
	assert_true(res.events > 0);
}

static void test_replay_stop(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct replay_opts o = {.inputs = inputs, .ninputs = 1, .speed = 1.0, .stop = &stop};
	struct replay_result res;

	(void)state;
	/* asked to stop before it starts: nothing written, no error */
	o.out_fd = scratch_fd();
	assert_int_equal(replay__run(&o, &res), 0);
	assert_int_equal(res.events, 0);
	close(o.out_fd);
}

static void test_export_csv_chrome(void **state)
{
	struct export_opts o = {.inputs = inputs, .ninputs = 1, .format = EXPORT_CSV};
	struct export_result res;
	size_t len;
	char *text;
	uint32_t pid = 200;

	(void)state;
	o.out_fd = scratch_fd();
	o.pred.pids = &pid;
	o.pred.npids = 1;
	assert_int_equal(export__run(&o, &res), 0);
	/* and the loss record: --pid does not apply to losses */
	assert_int_equal(res.events, count(tape, 200, NULL) + 1);
	text = slurp_fd(o.out_fd, &len);
	/* a header, then a row an event */
	assert_int_equal(lines(text), res.events + 1);
	assert_int_equal(strncmp(text, "ts,time,cpu,pid,tid,comm,type", 29), 0);
	assert_non_null(strstr(text, "nginx"));
	assert_null(strstr(text, ",cat,"));
	free(text);
	close(o.out_fd);

	/* into a file by name, as Chrome JSON */
	{
		char out[320];
		int fd;

		snprintf(out, sizeof(out), "%s/trace.json", dir);
		o.format = EXPORT_CHROME;
		o.output = out;
		o.out_fd = -1;
		assert_int_equal(export__run(&o, &res), 0);
		fd = open(out, O_RDONLY);
		assert_true(fd >= 0);
		text = slurp_fd(fd, &len);
		close(fd);
		assert_int_equal(strncmp(text, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 39),
				 0);
		assert_non_null(strstr(text, "\n]}\n"));
		free(text);
	}

	/* no format: an error with its message, nothing written */
	o.format = EXPORT_NONE;
	o.output = NULL;
	o.out_fd = scratch_fd();
	assert_int_equal(export__run(&o, &res), -EINVAL);
	assert_non_null(strstr(res.err, "--format"));
	text = slurp_fd(o.out_fd, &len);
	assert_int_equal(len, 0);
	free(text);
	close(o.out_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_pid),	  cmocka_unit_test(test_filter_redact),
		cmocka_unit_test(test_filter_errors),	  cmocka_unit_test(test_replay_text_json),
		cmocka_unit_test(test_replay_note),	  cmocka_unit_test(test_replay_stop),
		cmocka_unit_test(test_export_csv_chrome),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
