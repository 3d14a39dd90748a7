// SPDX-License-Identifier: MIT
/*
 * Workload for test_record: processes with known lifecycles.  Usage:
 * work_exec.  It forks three children: one execs /bin/true with two
 * arguments, one exits with code 7, one is killed by SIGKILL; then tries to
 * exec a missing program (ENOENT) and exits with code 3.  Prints the pids:
 *   child_exec PID / child_exit PID / child_kill PID
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char *targv[] = {"true", "first arg", "--second", NULL};
	char *margv[] = {"no-such-program", "x", NULL};
	pid_t p;

	p = fork();
	if (p == 0) {
		execv("/bin/true", targv);
		_exit(100);
	}
	printf("child_exec %d\n", p);
	waitpid(p, NULL, 0);

	p = fork();
	if (p == 0)
		_exit(7);
	printf("child_exit %d\n", p);
	waitpid(p, NULL, 0);

	p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	printf("child_kill %d\n", p);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);

	printf("failed_exec %d\n", execv("/nonexistent/no-such-program", margv) ? -errno : 0);
	fflush(stdout);
	return 3;
}
