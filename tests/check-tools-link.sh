#!/usr/bin/env bash
# The offline build must not need libbpf or libelf: check its dynamic deps.
set -eu
bin=$1
if ldd "$bin" | grep -Eq 'libbpf|libelf'; then
	echo "error: $bin links libbpf/libelf; the offline verbs must not" >&2
	ldd "$bin" >&2
	exit 1
fi
echo "  CHECK    $bin has no libbpf/libelf dependency"
