/* SPDX-License-Identifier: MIT */
/*
 * Untyped labels, as hand-written assembly has them (ld.so's _start), for
 * test_elfsym: the entry point unsized, a sized label, an unsized label
 * that is not the entry point, and a sized one in data.  Runs (exit 0).
 */
	.text
	.globl	_start
_start:
	xor	%edi, %edi
	mov	$60, %eax
	syscall
labels_sized:
	nop
	nop
	ret
	.size	labels_sized, . - labels_sized
labels_bare:
	nop
	ret

	.data
labels_data:
	.quad	0
	.size	labels_data, . - labels_data

	.section .note.GNU-stack, "", @progbits
