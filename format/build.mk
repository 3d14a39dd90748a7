# format/: the tape library (libc and zstd only).
FORMAT_SRCS += format/crc32c.c format/buf.c format/names.c format/schema.c format/writer.c \
	format/reader.c format/cursor.c format/fmt.c format/recover.c format/tpfmt_hook.c \
	format/outfile.c format/proctab.c format/container.c format/mapping.c format/siphash.c \
	format/stacks.c
# Tracepoint format descriptions (generic probes engineer): parser, decoder,
# its unit test and fuzz target.
FORMAT_SRCS += format/tpfmt.c
UNIT_TESTS += tests/test_tpfmt.c
FUZZERS += tests/fuzz/fuzz_tpfmt.c
# stack blocks (issue 12)
FUZZERS += tests/fuzz/fuzz_stacks.c
# the process table (tape_proctab.h), through its public API
UNIT_TESTS += tests/test_proctab.c
UNIT_TESTS += tests/test_container.c
FUZZERS += tests/fuzz/fuzz_container.c
# symbol tables and binary blocks (issue 12): symbols travel with the tape
FORMAT_SRCS += format/symtab.c
# symbolize's copy of a tape with richer binary blocks
FORMAT_SRCS += format/binrewrite.c
UNIT_TESTS += tests/test_symtab.c
FUZZERS += tests/fuzz/fuzz_symtab.c

# the mapping block (type 9): its parser's fuzz target (block bodies)
FUZZERS += tests/fuzz/fuzz_mapping.c
