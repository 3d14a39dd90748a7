// SPDX-License-Identifier: MIT
/*
 * A shared object whose CFI is in .debug_frame only (built with
 * -fno-asynchronous-unwind-tables -fno-unwind-tables -g, no start files):
 * tests/test_unwind.c unwinds through dbgframe_leaf() by it.
 */
int dbgframe_leaf(int x);

__attribute__((noinline)) int dbgframe_leaf(int x)
{
	return x * 3 + 1;
}
