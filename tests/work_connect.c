// SPDX-License-Identifier: MIT
/*
 * Workload for test_record: one TCP connection over 127.0.0.1.  Binds a
 * listener to an ephemeral port, connects to it, accepts, closes.  Prints
 *   listen FD PORT / connect FD PORT RET / accept FD NEWFD PEERPORT
 * and a connect to a closed port (ECONNREFUSED):  refused FD PORT RET
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET}, peer;
	socklen_t len = sizeof(addr);
	int ls, cs, as, rs, r;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) || listen(ls, 4) ||
	    getsockname(ls, (struct sockaddr *)&addr, &len)) {
		perror("listener");
		return 1;
	}
	printf("listen %d %u\n", ls, ntohs(addr.sin_port));

	cs = socket(AF_INET, SOCK_STREAM, 0);
	r = connect(cs, (struct sockaddr *)&addr, sizeof(addr));
	printf("connect %d %u %d\n", cs, ntohs(addr.sin_port), r ? -errno : 0);

	len = sizeof(peer);
	as = accept(ls, (struct sockaddr *)&peer, &len);
	printf("accept %d %d %u\n", ls, as < 0 ? -errno : as, ntohs(peer.sin_port));
	close(as);
	close(cs);

	/* the listener's port, closed now: refused */
	close(ls);
	rs = socket(AF_INET, SOCK_STREAM, 0);
	r = connect(rs, (struct sockaddr *)&addr, sizeof(addr));
	printf("refused %d %u %d\n", rs, ntohs(addr.sin_port), r ? -errno : 0);
	close(rs);
	fflush(stdout);
	return 0;
}
