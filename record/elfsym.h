/* SPDX-License-Identifier: MIT */
/*
 * What a tape needs from an ELF binary to name its frames later, read at
 * record time with libelf (and liblzma for MiniDebugInfo): the GNU
 * build-id, the PT_LOAD segments (file offset <-> vaddr) and the function
 * symbols of .symtab, else of the separate debug file found by build-id
 * (/usr/lib/debug/.build-id/), else .dynsym, plus the .symtab inside .gnu_debugdata
 * (the xz-compressed ELF Fedora's find-debuginfo adds) merged in.
 *
 * C++ names are kept mangled, as the file has them: demangling is the
 * reader's choice (and the mangled form is shorter to carry).  The result
 * feeds tape__binary_encode() (format/symtab.h) directly.
 */
#ifndef BPFTAPE_ELFSYM_H
#define BPFTAPE_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "private/symtab.h"

/* Everything owned by the struct; names point into it. */
struct elfsym {
	uint8_t build_id[BINARY_MAX_BUILD_ID];
	size_t build_id_len; /* 0: the binary has no build-id note */
	struct symtab_seg *segs;
	size_t nsegs;
	struct symtab_sym *syms; /* in file order, aliases included */
	size_t nsyms;
	uint32_t sources; /* SYMTAB_SRC_* */
	char *strs;	  /* the names */
};

/* Options; NULL for the defaults. */
struct elfsym_opts {
	/* Where separate debug files are (DIR/.build-id/xx/rest.debug, found
	 * by build-id): a binary without .symtab takes that file's instead of
	 * its .dynsym, as perf does.  NULL: /usr/lib/debug; "": none. */
	const char *debug_dir;
	/* The file is a separate debug file (objcopy --only-keep-debug): its
	 * program headers are the stripped binary's, at offsets that are not
	 * this file's, so its build-id comes from its note sections. */
	bool debug_file;
};

/*
 * Read @path.  NULL + errno (the open's errno for a missing or unreadable
 * file, ENOEXEC for what is not an ELF file, EBADMSG for a damaged one,
 * ENOMEM); @err (may be NULL) gets "PATH: what".  A binary without any
 * symbols is not an error: nsyms 0, build-id and segments still there.
 * A damaged .gnu_debugdata is skipped (the other symbols stay).
 */
struct elfsym *elfsym__read(const char *path, char *err, size_t errlen);
struct elfsym *elfsym__read_opts(const char *path, const struct elfsym_opts *opts, char *err,
				 size_t errlen);
/* The same from an open file (not closed; its offset is not used).  @what
 * names it in errors. */
struct elfsym *elfsym__read_fd(int fd, const char *what, char *err, size_t errlen);
struct elfsym *elfsym__read_fd_opts(int fd, const char *what, const struct elfsym_opts *opts,
				    char *err, size_t errlen);
void elfsym__free(struct elfsym *es);

/* The vaddr of file offset @off through the PT_LOAD segment holding it.
 * 0, or -ENOENT outside every segment. */
int elfsym__vaddr(const struct elfsym *es, uint64_t off, uint64_t *vaddr);

/* The load bias (run-time address - vaddr) of the binary mapped at
 * @map_start from file offset @pgoff (bytes, as /proc/PID/maps gives it):
 * what unwind__step() takes.  0, or -ENOENT if no segment holds @pgoff. */
int elfsym__bias(const struct elfsym *es, uint64_t map_start, uint64_t pgoff, uint64_t *bias);

#endif /* BPFTAPE_ELFSYM_H */
