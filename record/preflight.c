// SPDX-License-Identifier: MIT
/* Up-front checks of the machine for `bpftape record` (preflight.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/btf.h>

#include "preflight.h"

/* Older headers name neither (both are Linux 5.8). */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int preflight__privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};

	/* no libcap for two bits: the raw syscall */
	if (syscall(SYS_capget, &h, d))
		return 0; /* cannot tell: let the kernel decide */
	if (has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON)))
		return 0;
	if (geteuid())
		snprintf(err, errlen,
			 "loading BPF programs needs root (CAP_BPF and CAP_PERFMON, or "
			 "CAP_SYS_ADMIN), and uid %u has neither; run it with sudo",
			 (unsigned)geteuid());
	else
		snprintf(err, errlen,
			 "loading BPF programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), "
			 "and this root process lacks them; run it with those capabilities (a "
			 "container needs --cap-add BPF --cap-add PERFMON, or --privileged)");
	return -EPERM;
}

int preflight__btf(char *err, size_t errlen)
{
	struct btf *btf;
	int e;

	if (!access(PREFLIGHT_BTF_PATH, R_OK))
		return 0;
	e = errno;
	/* a container may hide /sys/kernel/btf while the kernel has BTF */
	btf = btf__load_vmlinux_btf();
	if (btf) {
		btf__free(btf);
		return 0;
	}
	if (e == ENOENT)
		snprintf(err, errlen,
			 "no kernel BTF: %s does not exist; recording needs a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y (most distribution kernels are): boot one",
			 PREFLIGHT_BTF_PATH);
	else
		snprintf(err, errlen,
			 "no kernel BTF: %s: %s; make it readable, or boot a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 PREFLIGHT_BTF_PATH, strerror(e));
	return -e;
}
