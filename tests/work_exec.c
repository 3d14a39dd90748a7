// SPDX-License-Identifier: MIT
/*
 * Workload for test_record: processes with known lifecycles.  Usage:
 * work_exec.  It forks three children: one execs /bin/true with two
 * arguments, one exits with code 7, one is killed by SIGKILL; then tries to
 * exec a missing program (ENOENT) and exits with code 3.  Prints the pids:
 *   child_exec PID / child_exit PID / child_kill PID
 *
 * work_exec argv: for each argument list of exec_case() (tests/exec_cases.h,
 * which tests/test_record.c uses too), a child execs /bin/true with it and the process
 * then fails to exec /nonexistent/argv with it.  Prints  case N PID  per
 * list, PID being the child's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* the argument lists, shared with tests/test_record.c */
#include "exec_cases.h"

static int argv_cases(void)
{
	static char store[8192];
	char *v[80];

	for (int n = 0; n < EXEC_CASES; n++) {
		pid_t p;

		exec_case(n, v, store);
		p = fork();
		if (p == 0) {
			execv("/bin/true", v);
			_exit(100);
		}
		printf("case %d %d\n", n, p);
		waitpid(p, NULL, 0);
		if (execv("/nonexistent/argv", v) == 0 || errno != ENOENT)
			return 1;
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	char *targv[] = {"true", "first arg", "--second", NULL};
	char *margv[] = {"no-such-program", "x", NULL};
	pid_t p;

	if (argc > 1 && !strcmp(argv[1], "argv"))
		return argv_cases();
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
