// SPDX-License-Identifier: MIT
/* A shared object tests/work_dlopen.c loads once a recording runs. */
int work_dso_add(int x);

int work_dso_add(int x)
{
	return x + 1;
}
