// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for tape_container__parse(): any path either names a
 * container whose fields are consistent, or none; never a crash, never a
 * read past the string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	struct tape_container c;

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (tape_container__parse(path, &c) == 1) {
		size_t idlen = strlen(c.id);

		if (!c.runtime || !idlen || !c.name[0] || c.cgroup_len > strlen(path) ||
		    c.cgroup_len == 0)
			abort();
		/* the OCI runtimes' ids are 64 lower-case hex, their names the short id */
		if (idlen == 64 && strncmp(c.name, c.id, 12) && strcmp(c.runtime, "lxc") &&
		    strcmp(c.runtime, "systemd-nspawn"))
			abort();
		/* a pod and a QoS class only under kubepods */
		if ((c.pod[0] || c.qos) && !strstr(path, "kubepods"))
			abort();
	} else if (c.runtime || c.id[0] || c.cgroup_len) {
		abort(); /* no container: nothing set */
	}
	free(path);
	return 0;
}
