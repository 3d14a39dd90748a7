// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket syscalls (connect, accept, bind) at syscall exit with the user's
 * sockaddr, and TCP state changes from sock:inet_sock_set_state.
 */
#include "sock.bpf.h"

const volatile __u32 want = WANT_CONNECT | WANT_ACCEPT | WANT_BIND | WANT_TCP_STATE;

/*
 * Socket syscalls, when the file family is not loaded: per-syscall
 * tracepoints fire for these syscalls alone (see exec.bpf.h).
 */
SEC("tracepoint/syscalls/sys_exit_connect")
int net_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_CONNECT) && tape_want())
		sock_sys_exit(user_regs(), __NR_connect, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int net_bind_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_BIND) && tape_want())
		sock_sys_exit(user_regs(), __NR_bind, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int net_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_ACCEPT) && tape_want())
		sock_sys_exit(user_regs(), __NR_accept, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int net_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_ACCEPT) && tape_want())
		sock_sys_exit(user_regs(), __NR_accept4, ctx->ret);
	return 0;
}

/* struct sockaddr_in / sockaddr_in6, little-endian host, network-order port */
static __always_inline __u8 put_addr(__u8 *dst, __u16 family, __u16 port_be, const void *addr)
{
	__u16 *f = (__u16 *)dst;

	f[0] = family;
	f[1] = port_be;
	if (family == AF_INET) {
		bpf_probe_read_kernel(dst + 4, 4, addr);
		__builtin_memset(dst + 8, 0, 8);
		return 16;
	}
	__builtin_memset(dst + 4, 0, 4); /* flowinfo */
	bpf_probe_read_kernel(dst + 8, 16, addr);
	__builtin_memset(dst + 24, 0, 4); /* scope id */
	return 28;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct rec_tcp_state *r;
	__u16 family, sport, dport;

	if (!(want & WANT_TCP_STATE) || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (!tape_want())
		return 0;
	r = tape_reserve(sizeof(*r), REC_TCP_STATE);
	if (!r)
		return 0;
	r->oldstate = oldstate;
	r->newstate = newstate;
	r->pad = 0;
	sport = __builtin_bswap16(sk->__sk_common.skc_num);
	dport = sk->__sk_common.skc_dport;
	if (family == AF_INET) {
		r->saddr_len = put_addr(r->saddr, family, sport, &sk->__sk_common.skc_rcv_saddr);
		r->daddr_len = put_addr(r->daddr, family, dport, &sk->__sk_common.skc_daddr);
	} else {
		r->saddr_len = put_addr(r->saddr, family, sport, &sk->__sk_common.skc_v6_rcv_saddr);
		r->daddr_len = put_addr(r->daddr, family, dport, &sk->__sk_common.skc_v6_daddr);
	}
	tape_submit(r);
	return 0;
}
