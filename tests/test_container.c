// SPDX-License-Identifier: MIT
/*
 * Containers from cgroup paths (format/container.c): the cgroups each
 * runtime makes, as /proc/PID/cgroup shows them under cgroup v1 and v2,
 * with the systemd and the cgroupfs drivers, and paths that only look
 * like one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpftape/tape.h>

#define ID   "c6a4258163d85c270ab4a5b2ee692d63884bcc41e9f6bc3aabc7413e028aa8c9"
#define ID2  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID  "8f3e2c0a-1b2c-4d5e-9f00-112233445566"
#define UIDU "8f3e2c0a_1b2c_4d5e_9f00_112233445566"

struct ctr_case {
	const char *cgroup;
	const char *runtime; /* NULL: not a container */
	const char *id, *name, *pod, *qos;
	size_t cgroup_len; /* 0: the whole path */
};

static const struct ctr_case cases[] = {
	/* podman: cgroupfs driver (v1 and v2 alike, also on hybrid hosts) */
	{"/libpod_parent/libpod-" ID, "podman", ID, "c6a4258163d8", "", NULL, 0},
	/* podman: systemd driver, and the container's own sub-cgroup on v2 */
	{"/machine.slice/libpod-" ID ".scope", "podman", ID, "c6a4258163d8", "", NULL, 0},
	{"/machine.slice/libpod-" ID ".scope/container", "podman", ID, "c6a4258163d8", "", NULL,
	 sizeof("/machine.slice/libpod-" ID ".scope") - 1},
	/* rootless podman */
	{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", "podman",
	 ID, "c6a4258163d8", "", NULL, 0},
	/* conmon is the host side of a container, not in it */
	{"/machine.slice/libpod-conmon-" ID ".scope", NULL, NULL, NULL, NULL, NULL, 0},
	{"/libpod_parent/conmon", NULL, NULL, NULL, NULL, NULL, 0},
	/* docker: cgroupfs driver, systemd driver, docker in docker */
	{"/docker/" ID, "docker", ID, "c6a4258163d8", "", NULL, 0},
	{"/system.slice/docker-" ID ".scope", "docker", ID, "c6a4258163d8", "", NULL, 0},
	{"/docker/" ID2 "/docker/" ID, "docker", ID, "c6a4258163d8", "", NULL, 0},
	/* the docker daemon is no container */
	{"/system.slice/docker.service", NULL, NULL, NULL, NULL, NULL, 0},
	/* Kubernetes, systemd driver: containerd, cri-o, docker; each QoS class */
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU
	 ".slice/cri-containerd-" ID ".scope",
	 "containerd", ID, "c6a4258163d8", UID, "burstable", 0},
	{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU ".slice/crio-" ID
	 ".scope",
	 "cri-o", ID, "c6a4258163d8", UID, "besteffort", 0},
	{"/kubepods.slice/kubepods-pod" UIDU ".slice/docker-" ID ".scope", "docker", ID,
	 "c6a4258163d8", UID, "guaranteed", 0},
	/* cri-o's conmon beside the container */
	{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU
	 ".slice/crio-conmon-" ID ".scope",
	 NULL, NULL, NULL, NULL, NULL, 0},
	/* Kubernetes, cgroupfs driver (cgroup v1 controllers and v2) */
	{"/kubepods/burstable/pod" UID "/" ID, "containerd", ID, "c6a4258163d8", UID, "burstable",
	 0},
	{"/kubepods/pod" UID "/" ID, "containerd", ID, "c6a4258163d8", UID, "guaranteed", 0},
	{"/kubepods/besteffort/pod" UID "/crio-" ID, "cri-o", ID, "c6a4258163d8", UID, "besteffort",
	 0},
	/* systemd-nspawn: run directly, and as systemd-nspawn@.service; names
	 * are unit-escaped */
	{"/machine.slice/machine-web\\x2d1.scope", "systemd-nspawn", "web-1", "web-1", "", NULL, 0},
	{"/machine.slice/machine-web\\x2d1.scope/payload/system.slice/cron.service",
	 "systemd-nspawn", "web-1", "web-1", "", NULL,
	 sizeof("/machine.slice/machine-web\\x2d1.scope") - 1},
	{"/machine.slice/systemd-nspawn@db.service/payload", "systemd-nspawn", "db", "db", "", NULL,
	 sizeof("/machine.slice/systemd-nspawn@db.service") - 1},
	/* LXC 4+ / LXD (v2 and v1), older LXC; the monitor is host side */
	{"/lxc.payload.box1", "lxc", "box1", "box1", "", NULL, 0},
	{"/lxc.payload.box1/init.scope", "lxc", "box1", "box1", "", NULL,
	 sizeof("/lxc.payload.box1") - 1},
	{"/lxc/box2", "lxc", "box2", "box2", "", NULL, 0},
	{"/lxc.monitor.box1", NULL, NULL, NULL, NULL, NULL, 0},
	/* an escape that decodes to NUL names nothing (found by fuzz_container) */
	{"lxc/\\x00b\\x2a", NULL, NULL, NULL, NULL, NULL, 0},
	{"/machine.slice/machine-\\x00.scope", NULL, NULL, NULL, NULL, NULL, 0},
	/* not containers */
	{"/", NULL, NULL, NULL, NULL, NULL, 0},
	{"", NULL, NULL, NULL, NULL, NULL, 0},
	{"/user.slice/user-1000.slice/session-7.scope", NULL, NULL, NULL, NULL, NULL, 0},
	{"/system.slice/machine-x.scope", NULL, NULL, NULL, NULL, NULL, 0},
	{"/docker/" ID "0", NULL, NULL, NULL, NULL, NULL, 0}, /* 65 hex */
	{"/docker/C6A4258163D85C270AB4A5B2EE692D63884BCC41E9F6BC3AABC7413E028AA8C9", NULL, NULL,
	 NULL, NULL, NULL, 0},
	{"/libpod_parent/libpod-" ID2 "x", NULL, NULL, NULL, NULL, NULL, 0},
	{"/other/" ID, NULL, NULL, NULL, NULL, NULL, 0}, /* a bare id outside docker/kubepods */
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ctr_case *k = &cases[i];
		struct tape_container c;
		int r = tape_container__parse(k->cgroup, &c);

		print_message("%s\n", k->cgroup);
		if (!k->runtime) {
			assert_int_equal(r, 0);
			assert_null(c.runtime);
			assert_string_equal(c.id, "");
			continue;
		}
		assert_int_equal(r, 1);
		assert_string_equal(c.runtime, k->runtime);
		assert_string_equal(c.id, k->id);
		assert_string_equal(c.name, k->name);
		assert_string_equal(c.pod, k->pod);
		if (k->qos)
			assert_string_equal(c.qos, k->qos);
		else
			assert_null(c.qos);
		assert_int_equal(c.cgroup_len, k->cgroup_len ? k->cgroup_len : strlen(k->cgroup));
	}
}

static void test_parse_null_and_long(void **state)
{
	struct tape_container c;
	char big[1200];

	(void)state;
	assert_int_equal(tape_container__parse(NULL, &c), 0);
	/* a machine name longer than the struct holds is no container, not a cut one */
	memset(big, 'a', sizeof(big));
	memcpy(big, "/machine.slice/machine-", 23);
	strcpy(big + sizeof(big) - 7, ".scope");
	assert_int_equal(tape_container__parse(big, &c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_null_and_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
