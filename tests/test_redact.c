// SPDX-License-Identifier: MIT
/* Redaction primitives: SipHash-2-4 against the paper's vectors, tokens,
 * argv lists, socket addresses, keys. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "redact.h"
#include "siphash.h"

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
		if (siphash24(key, msg, n) != want[n])
			fail_msg("length %zu: %016llx", n,
				 (unsigned long long)siphash24(key, msg, n));
	/* the paper's worked example: 15 bytes */
	assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
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

	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	s6.sin6_scope_id = 3;
	assert_int_equal(redact_sockaddr(key, &s6, sizeof(s6), out), sizeof(s6));
	memcpy(&s6out, out, sizeof(s6out));
	assert_int_equal(s6out.sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6out.sin6_port), 443);
	assert_int_equal(s6out.sin6_scope_id, 0);
	assert_null(memmem(out, sizeof(s6), "\x20\x01\x0d\xb8", 4));

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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors), cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_lists),		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_parse_and_keys),	cmocka_unit_test(test_spec_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
