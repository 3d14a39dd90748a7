// SPDX-License-Identifier: MIT
/*
 * Workload for test_record: one TCP connection over 127.0.0.1.  Binds a
 * listener to an ephemeral port, connects to it, accepts, closes.  Prints
 *   listen FD PORT / connect FD PORT RET / accept FD NEWFD PEERPORT
 * and a connect to a closed port (ECONNREFUSED):  refused FD PORT RET
 *
 * work_connect serve FILE: a server for a client outside the recording.
 * Listens on an ephemeral port of 127.0.0.1, writes "PORT PID" to FILE
 * (complete once renamed into place), accepts one connection, reads it to
 * its end (the client closes first), closes it and the listener.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve(const char *file)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	char tmp[4096], buf[256];
	int ls, as;
	FILE *f;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) || listen(ls, 4) ||
	    getsockname(ls, (struct sockaddr *)&addr, &len)) {
		perror("listener");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u %d\n", ntohs(addr.sin_port), (int)getpid()) < 0 || fclose(f) ||
	    rename(tmp, file)) {
		perror(file);
		return 1;
	}
	as = accept(ls, NULL, NULL);
	if (as < 0) {
		perror("accept");
		return 1;
	}
	while (read(as, buf, sizeof(buf)) > 0)
		;
	close(as);
	close(ls);
	/* the last ACK comes back through loopback: let it land */
	usleep(200000);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET}, peer;
	socklen_t len = sizeof(addr);
	int ls, cs, as, rs, r;

	if (argc > 2 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
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
