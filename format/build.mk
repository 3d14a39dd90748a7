# format/: the tape library (libc and zstd only).
FORMAT_SRCS += format/crc32c.c format/buf.c format/schema.c format/writer.c \
	format/reader.c format/cursor.c format/fmt.c format/recover.c
