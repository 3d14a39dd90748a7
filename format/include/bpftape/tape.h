/* SPDX-License-Identifier: MIT */
/*
 * libtape: read and write bpftape trace files ("tapes").
 *
 * A tape is a sequence of framed, checksummed blocks: metadata, schema,
 * process snapshots, zstd-compressed event chunks, loss records, and a
 * footer index.  docs/FORMAT.md describes the bytes.
 *
 * Conventions used throughout this header:
 *  - int functions return 0 (or a count, where stated) on success and a
 *    negative errno on failure;
 *  - pointer functions return NULL and set errno on failure;
 *  - free functions accept NULL;
 *  - the library never prints and never exits: the reader and the writer
 *    keep a human-readable description of their last error, which names the
 *    block and file offset when the input is at fault
 *    (tape_reader__errmsg(), tape_writer__errmsg());
 *  - strings and arrays handed to the caller are owned by the object that
 *    returned them and stay valid for the lifetime stated at each function.
 *
 * The same struct tape_event carries an event into the writer and out of the
 * reader, so one analysis can run over live records and over a tape.
 */
#ifndef BPFTAPE_TAPE_H
#define BPFTAPE_TAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The file format's version: what a tape's header says (docs/FORMAT.md). */
#define TAPE_VERSION_MAJOR 1
#define TAPE_VERSION_MINOR 2

/*
 * libtape's own version, which the format's does not follow: MAJOR changes
 * when a program built against an older libtape could break (a function or
 * struct in this header removed or changed), and names the shared library
 * (libtape.so.MAJOR); MINOR when the API grows; PATCH for fixes.  The
 * Makefile reads these lines.
 */
#define TAPE_LIB_VERSION_MAJOR 1
#define TAPE_LIB_VERSION_MINOR 1
#define TAPE_LIB_VERSION_PATCH 0

/*
 * The library is built with -fvisibility=hidden: what this header declares
 * is all libtape.so exports, and the library's internal helpers (tape__*)
 * stay inside it.  Declarations added below are exported without more ado.
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

/* ---- schema ------------------------------------------------------------ */

/* How a field's value is stored. */
enum tape_kind {
	TAPE_U8 = 1,
	TAPE_U16,
	TAPE_U32,
	TAPE_U64,
	TAPE_S8,
	TAPE_S16,
	TAPE_S32,
	TAPE_S64,
	TAPE_STR,   /* bytes without NUL; readers add a terminating NUL */
	TAPE_BYTES, /* opaque bytes */
};

/* How a field's value is shown.  Storage does not depend on it. */
enum tape_display {
	TAPE_DISP_DEFAULT = 0,
	TAPE_DISP_HEX,	    /* integer in hex */
	TAPE_DISP_ERRNO,    /* signed: negative values are -errno (Linux numbers) */
	TAPE_DISP_ENUM,	    /* integer named by the field's enum (exact match) */
	TAPE_DISP_FLAGS,    /* integer as OR of the field's enum bit masks */
	TAPE_DISP_SOCKADDR, /* bytes holding a struct sockaddr_{in,in6,un} */
	TAPE_DISP_IPV4,	    /* u32, network byte order */
	TAPE_DISP_IPV6,	    /* 16 bytes */
	TAPE_DISP_NSEC,	    /* duration in nanoseconds */
	TAPE_DISP_ARGV,	    /* bytes: NUL-separated strings */
	TAPE_DISP_PTR,	    /* user or kernel address */
	TAPE_DISP_OCTAL,    /* integer in octal (file modes) */
};

/* A named set of integer values (an enum) or of bit masks (flags). */
struct tape_enum {
	const char *name;
	uint32_t count;
	const uint64_t *values;
	const char *const *names;
};

struct tape_field {
	const char *name;
	uint8_t kind;			     /* enum tape_kind */
	uint8_t display;		     /* enum tape_display */
	const struct tape_enum *enumeration; /* for TAPE_DISP_ENUM/FLAGS, else NULL */
};

/* An event type.  Type ids are per tape; look types up by name across tapes. */
struct tape_type {
	uint16_t id;
	const char *name;   /* unique within a tape, e.g. "open" */
	const char *source; /* what produced it, e.g. "tracepoint:syscalls:sys_enter_openat"; may be
			       "" */
	const char *format; /* kernel tracepoint format text for raw records; may be "" */
	uint16_t nfields;
	const struct tape_field *fields;
};

/* Type id 0 is reserved for loss records produced by the reader (see
 * tape_cursor__next()); writers record losses with tape_writer__add_loss(). */
#define TAPE_TYPE_LOSS	0
#define TAPE_MAX_TYPES	65535
#define TAPE_MAX_FIELDS 64

/* Return the index of the field called @name in @type, or -ENOENT. */
int tape_type__field_index(const struct tape_type *type, const char *name);

/* ---- events ------------------------------------------------------------ */

union tape_value {
	uint64_t u; /* unsigned kinds, zero-extended */
	int64_t s;  /* signed kinds, sign-extended */
	struct {
		const void *ptr; /* reader: NUL-terminated for TAPE_STR */
		uint32_t len;
	} b; /* TAPE_STR and TAPE_BYTES */
};

#define TAPE_COMM_LEN 16

/*
 * One event.  In the writer all fields but @tp and @source are input.  From
 * the reader, the pointers stay valid until the next call on the same cursor.
 */
struct tape_event {
	uint64_t ts;  /* CLOCK_BOOTTIME ns on the recorded machine */
	uint32_t pid; /* process (tgid) */
	uint32_t tid; /* thread */
	uint16_t cpu;
	uint16_t type;
	uint32_t comm_len;		/* writer: 0 means strnlen(comm, TAPE_COMM_LEN) */
	const char *comm;		/* reader: NUL-terminated */
	const union tape_value *values; /* tp->nfields entries */
	const struct tape_type *tp;	/* reader only */
	uint32_t source;		/* reader only: index of the tape in the cursor */
	/* the event's stack (tape_reader__stack()), 0 for none; in the writer,
	 * an id given to tape_writer__add_stack() first.  It sits where the
	 * struct had padding, so callers built before it keep its size. */
	uint32_t stack_id;
};

/*
 * Typed access to an event's fields by index or by name.  Integer getters
 * accept any integer field (signed ones sign-extended, unsigned ones
 * zero-extended); string getters accept TAPE_STR and TAPE_BYTES fields.
 * Return 0, -ENOENT for no such field, -EINVAL for the wrong kind.
 */
int tape_event__int(const struct tape_event *ev, unsigned idx, int64_t *v);
int tape_event__uint(const struct tape_event *ev, unsigned idx, uint64_t *v);
int tape_event__bytes(const struct tape_event *ev, unsigned idx, const void **p, uint32_t *len);
int tape_event__int_by_name(const struct tape_event *ev, const char *name, int64_t *v);
int tape_event__uint_by_name(const struct tape_event *ev, const char *name, uint64_t *v);
int tape_event__bytes_by_name(const struct tape_event *ev, const char *name, const void **p,
			      uint32_t *len);

/* Loss records appear in a cursor as events of type TAPE_TYPE_LOSS with these
 * fields, in this order; ts is the first timestamp of the loss. */
enum tape_loss_field {
	TAPE_LOSS_CPU = 0,  /* u32 */
	TAPE_LOSS_COUNT,    /* u64: events dropped */
	TAPE_LOSS_FIRST_TS, /* u64 */
	TAPE_LOSS_LAST_TS,  /* u64 */
	TAPE_LOSS_NFIELDS,
};

struct tape_loss {
	uint32_t cpu;
	uint64_t count;
	uint64_t first_ts;
	uint64_t last_ts;
};

/* A process as seen at a snapshot (or rebuilt by a filter). */
struct tape_proc {
	uint32_t pid;
	uint32_t ppid;
	uint32_t uid;
	uint64_t start_ts; /* CLOCK_BOOTTIME ns, 0 if unknown */
	const char *comm;
	const char *exe;
	const char *argv;  /* NUL-separated arguments */
	uint32_t argv_len; /* bytes in @argv, separators included */
	const char *cgroup;
	/* The container the process ran in (tape_container__parse() of @cgroup,
	 * and its name from the runtime's state at record time): NULL or ""
	 * outside a container.  Tapes written before these were kept get them
	 * from the cgroup path, with the id as the name. */
	const char *container;	    /* id: 64 hex for OCI runtimes, the name for nspawn and LXC */
	const char *container_name; /* the runtime's name for it, else the short id */
	const char *runtime;	    /* docker, containerd, cri-o, podman, systemd-nspawn, lxc */
	const char *pod;	    /* Kubernetes pod uid, or "" */
};

/*
 * One change to the executable file mappings of a process (the mapping
 * block, docs/FORMAT.md "Mapping block (type 9)").  A process's mappings at
 * time T are the effect of its records with ts <= T, in tape order; user
 * stack frames name a binary id and a file offset, and these records say
 * which pid had which binary where.
 */
enum tape_mapping_kind {
	TAPE_MAPPING_MAP = 1,	/* [start, end) maps @binary from file offset @offset */
	TAPE_MAPPING_UNMAP = 2, /* [start, end) is no longer mapped executable */
	TAPE_MAPPING_EXEC = 3,	/* exec: every mapping of @pid ends */
	TAPE_MAPPING_FORK = 4,	/* @pid is a new process with the mappings of @ppid */
};

struct tape_mapping {
	uint8_t kind; /* enum tape_mapping_kind */
	uint32_t pid; /* a process (tgid); its threads share its mappings */
	uint64_t ts;  /* valid from (CLOCK_BOOTTIME ns) */
	uint64_t start, end;
	uint64_t offset; /* MAP: file offset in bytes of @start */
	uint32_t binary; /* MAP: binary id (>= 1) */
	uint32_t ppid;	 /* FORK: the parent */
};

/* A binary that mappings name, by id (ids are per tape, from 1). */
struct tape_binary {
	uint32_t id;
	const char *path; /* as mapped; a deleted file keeps its path */
};

/*
 * A container as its runtime's cgroup names it.  @runtime and @qos point
 * to static strings (NULL when unknown); the rest is held in the struct.
 */
struct tape_container {
	const char
		*runtime;  /* "docker", "containerd", "cri-o", "podman", "systemd-nspawn", "lxc" */
	char id[256];	   /* 64 lower-case hex, or the machine/container name */
	char name[256];	   /* the name the path holds (nspawn, LXC), else the short id (12 hex) */
	char pod[48];	   /* Kubernetes pod uid (with dashes), or "" */
	const char *qos;   /* Kubernetes QoS class: guaranteed, burstable, besteffort */
	size_t cgroup_len; /* bytes of @cgroup up to the container's own cgroup */
};

/*
 * Parse the cgroup path @cgroup (as in /proc/PID/cgroup, v1 or v2) into
 * @c: 1 if it lies in a container's cgroup, 0 if not (@c zeroed).  A pure
 * function; the innermost container wins.  docs/FORMAT.md lists the forms.
 */
int tape_container__parse(const char *cgroup, struct tape_container *c);

/*
 * How text that came from a tape (strings, names, paths, argv) is written
 * for an output.  Every mode but TAPE_ESC_RAW gives valid UTF-8 from which
 * the recorded bytes come back exactly (docs/USAGE.md, "How values are
 * rendered"):
 *
 *  - TAPE_ESC_PLAIN: valid UTF-8 is kept, except that a backslash becomes
 *    "\\"; each byte of an invalid UTF-8 sequence, each control byte other
 *    than tab, LF and CR, and DEL become "\xNN" (two lower-case hex digits).
 *    This is the text of a CSV cell and of a JSON string once parsed.
 *  - TAPE_ESC_JSON: the PLAIN text, escaped for the inside of a JSON string
 *    literal (no quotes around it).
 *  - TAPE_ESC_TEXT: the PLAIN text for a terminal: tab, LF and CR as "\t",
 *    "\n", "\r", a quote as "\"", and C1 control characters as the
 *    "\xNN" of their bytes, so no byte of a tape can drive a terminal.
 *    tape_format_value() quotes strings in this mode.
 *  - TAPE_ESC_RAW: the bytes as recorded, for a caller that escapes the
 *    result itself (SQL values, pattern matching).
 */
enum tape_esc {
	/* 0 and 1 are what the bool "quote" of earlier versions meant */
	TAPE_ESC_RAW = 0,
	TAPE_ESC_TEXT = 1,
	TAPE_ESC_PLAIN,
	TAPE_ESC_JSON,
	TAPE_ESC_LAST = TAPE_ESC_JSON,
};

/* No mode writes more than this many bytes for one input byte. */
#define TAPE_ESC_MAX 6

/*
 * Write the @n bytes at @src escaped as @esc says into @buf (truncated,
 * always NUL-terminated when @len > 0).  Returns the length the full text
 * needs, like snprintf(), or -EINVAL for an unknown mode.
 */
ssize_t tape_escape(const void *src, size_t n, enum tape_esc esc, char *buf, size_t len);

/*
 * Write the display text of value @v of field @idx of @type into @buf
 * (truncated, always NUL-terminated when @len > 0).  Flags and enums print
 * their symbolic names, errno-valued returns their errno name, addresses in
 * the usual notation; every part that came from the tape (strings, enum
 * names, paths) is escaped as @esc says, and strings are quoted in
 * TAPE_ESC_TEXT.  Returns the length the full text needs, like snprintf(),
 * or -EINVAL.
 */
ssize_t tape_format_value(const struct tape_type *type, unsigned idx, const union tape_value *v,
			  enum tape_esc esc, char *buf, size_t len);

/*
 * True if the display text of @f's values says more than the stored value
 * (names of enums, flags and errnos, addresses, durations, argv, octal and
 * hex integers).  Outputs that show stored values (SQL tables, CSV) add that
 * text beside them as a FIELD_str column, so a number stays a number.
 */
bool tape_field__has_text(const struct tape_field *f);

/* Name of a Linux errno value ("ENOENT"), or NULL if unknown. */
const char *tape_errno_name(int err);

/* ---- stacks ------------------------------------------------------------ */

/*
 * One frame of a recorded stack, innermost first.  Kernel frames were
 * named at record time (kallsyms): @symbol and @offset, @binary the module
 * or NULL for the kernel image, @address 0 (raw kernel addresses never go
 * into a tape).  User frames carry @address, the file offset in @binary,
 * and @symbol when the tape names it (NULL: unknown).  @gap marks where
 * unwinding stopped without reaching the outermost caller: frames after it
 * are not known to be the callers of those before it.
 *
 * @binary_id (user frames): the tape's id of @binary, the id space of the
 * mapping blocks (tape_reader__binary_by_id()) and binary blocks.  A writer
 * given one uses it (the recorder passes the mapping tracker's ids) and
 * names @binary with it only if no mapping block of the tape has; given 0,
 * the writer numbers binaries by @binary itself.  A tape uses one or the
 * other: the ids would collide.
 */
struct tape_frame {
	uint64_t address;
	const char *symbol;	  /* NULL: unknown */
	uint64_t offset;	  /* into @symbol */
	const char *binary;	  /* user: path; kernel: module, NULL for the kernel image */
	const char *build_id_hex; /* NULL: unknown */
	uint8_t kernel, gap;
	uint32_t binary_id; /* user: 0 or the binary's id in the tape */
};

#define TAPE_MAX_FRAMES 1024 /* frames of one stack */

/* ---- output files ------------------------------------------------------ */

/*
 * The one way bpftape writes a file: the bytes go into a file beside @path
 * that has no name, or a random one, and @path names it only on
 * tape_out__commit(), so @path names the old file or the complete new one,
 * never a part.  No existing path is truncated or followed: a file or a link
 * at @path is replaced by rename.  Only a device, FIFO or socket that we or
 * root own (and a link to it that we or root own) is written where it is;
 * /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N are opened again
 * (our own descriptors), and "-" is standard output itself (a copy of the
 * descriptor, written from where it stands: a pipe needs no seek, as the
 * writer never seeks).  A FIFO without a reader is refused (-ENXIO), never
 * waited on.  While open, the file holds an exclusive flock(2),
 * and a file another output holds is not replaced (-EBUSY, the message
 * names the holder's pid).
 */
struct tape_out;

enum {
	/* the file has a name from the start (tape_out__tmpname()), for
	 * programs that open by name */
	TAPE_OUT_NAMED = 1,
	/* fail with -EEXIST rather than replace an existing @path */
	TAPE_OUT_NOREPLACE = 2,
	/* binary output (a tape): refuse a terminal (-ENOTTY) */
	TAPE_OUT_BINARY = 4,
};

struct tape_out_opts {
	size_t sz;     /* sizeof(struct tape_out_opts) */
	unsigned mode; /* of the new file (0: 0600) */
	unsigned flags;
	/* files that @path must not be, compared by device and inode: an
	 * output never replaces its own input */
	const char *const *inputs;
	size_t ninputs;
};

/* NULL + errno; @err (may be NULL) receives a message naming @path. */
struct tape_out *tape_out__open(const char *path, const struct tape_out_opts *opts, char *err,
				size_t errlen);
/*
 * Whether tape_out__open(@path, @opts) would refuse @path as it is now (an
 * input, a directory, an existing file under TAPE_OUT_NOREPLACE, a file
 * another output holds: -EBUSY naming the holder), by the same rules.
 * Nothing is created or locked, so the answer may change before the open,
 * which checks again: a program checks first to refuse before work the
 * open would waste.  0 or -errno with the message open would give in @err.
 */
int tape_out__check(const char *path, const struct tape_out_opts *opts, char *err, size_t errlen);
/* The descriptor to write; owned by @o, valid until tape_out__free(). */
int tape_out__fd(const struct tape_out *o);
/* The temporary name of a TAPE_OUT_NAMED file until commit, else NULL. */
const char *tape_out__tmpname(const struct tape_out *o);
/* Put the file in place under its path; the descriptor stays open for
 * writing.  0 or -errno with a message in @err. */
int tape_out__commit(struct tape_out *o, char *err, size_t errlen);
/* Close; an uncommitted file is removed. */
void tape_out__free(struct tape_out *o);

/* ---- writer ------------------------------------------------------------ */

/* Where a writer's bytes go.  write() must write all of @len or fail. */
struct tape_io {
	/* return 0 or a negative errno */
	int (*write)(void *ctx, const void *buf, size_t len);
	/* drop everything after the first @off bytes (error recovery); may be NULL */
	int (*truncate)(void *ctx, uint64_t off);
	void *ctx;
};

struct tape_writer_opts {
	size_t sz; /* sizeof(struct tape_writer_opts) */
	/* cut a chunk when its encoded events reach this many bytes (0: 1 MiB) */
	size_t chunk_bytes;
	/* ...or when it spans this much event time (0: 1 s) */
	uint64_t chunk_ns;
	/* zstd compression level (0: library default) */
	int zstd_level;
	/* file mode for tape_writer__open (0: 0600) */
	unsigned mode;
	/*
	 * ...or, at the latest, this long (CLOCK_MONOTONIC) after the first
	 * event of the chunk was appended, so that a live tape never keeps an
	 * event only in memory for longer.  Checked as events are appended and
	 * by tape_writer__tick(), which a live writer calls while no event
	 * comes.  0: never by the clock (the default), so that what a writer
	 * writes depends on its input alone.
	 */
	uint64_t max_delay_ns;
	/* TAPE_WRITER_LIVE */
	unsigned flags;
};

enum {
	/*
	 * The file gets its name as soon as it holds the header, not at
	 * tape_writer__finish(): a recorder killed at any point leaves a tape
	 * whose complete chunks are readable, and live readers follow it.
	 */
	TAPE_WRITER_LIVE = 1,
};

struct tape_writer;

/*
 * Write a tape to @path through a tape_out: @path names the finished tape
 * after tape_writer__finish() (or, with TAPE_WRITER_LIVE, the growing tape
 * from the start); freed unfinished, a tape that was not live leaves @path
 * as it was.  NULL + errno.
 */
struct tape_writer *tape_writer__open(const char *path, const struct tape_writer_opts *opts);
/* The same on an output the caller opened (to choose its options or get
 * its messages).  The writer owns @out from this call on, also on failure. */
struct tape_writer *tape_writer__open_out(struct tape_out *out,
					  const struct tape_writer_opts *opts);
/* Write a tape through @io.  The writer does not own @io->ctx.  NULL + errno. */
struct tape_writer *tape_writer__new(const struct tape_io *io, const struct tape_writer_opts *opts);

/* Set a metadata key.  Keys set before the first event land in the first
 * metadata block; later keys in another one.  0 or -errno. */
int tape_writer__set_meta(struct tape_writer *w, const char *key, const char *value);

/*
 * Define an event type.  @type->id is ignored: the new id (>= 1) is returned,
 * or a negative errno (-EEXIST for a duplicate name, -EINVAL for a bad
 * field).  The writer copies everything it needs from @type.
 */
int tape_writer__add_type(struct tape_writer *w, const struct tape_type *type);

/* Record processes (a snapshot).  0 or -errno. */
int tape_writer__add_procs(struct tape_writer *w, const struct tape_proc *procs, size_t n);

/* Append one event (ev->type from tape_writer__add_type()).  0 or -errno;
 * -EINVAL for a bad event, I/O errors from the write that a cut caused. */
int tape_writer__append(struct tape_writer *w, const struct tape_event *ev);

/*
 * Define stack @id (>= 1, not defined before in this tape) as the @n
 * frames at @frames, innermost first (n <= TAPE_MAX_FRAMES).  The writer
 * copies them; the stack goes into the tape before the first chunk written
 * after this call, so define a stack before appending events that use it.
 * 0 or -errno (-EEXIST for an id given twice, -EINVAL for a bad frame).
 */
int tape_writer__add_stack(struct tape_writer *w, uint32_t id, const struct tape_frame *frames,
			   size_t n);

/* Record that @loss->count events were dropped.  0 or -errno. */
int tape_writer__add_loss(struct tape_writer *w, const struct tape_loss *loss);

/*
 * Record a change of a process's executable mappings (mapping block,
 * written with the next chunk, before its events, or at finish).  For
 * TAPE_MAPPING_MAP, @path names binary @rec->binary the first time the
 * tape meets that id (later calls may pass NULL; a different path for a
 * known id is ignored).  0, -EINVAL (bad kind, start > end, a MAP without
 * a binary id, an unknown id without a path), or -errno.
 */
int tape_writer__add_mapping(struct tape_writer *w, const struct tape_mapping *rec,
			     const char *path);

/* Cut the current chunk now, compressed and written.  0 or -errno. */
int tape_writer__flush(struct tape_writer *w);

/*
 * Cut the current chunk if its first event waits for longer than
 * opts->max_delay_ns.  Call it at least that often while events may be
 * pending.  1 if a chunk was written, 0 if none was due, or -errno.
 */
int tape_writer__tick(struct tape_writer *w);

/* Bytes written to the output so far. */
uint64_t tape_writer__bytes(const struct tape_writer *w);
/* Events appended so far. */
uint64_t tape_writer__events(const struct tape_writer *w);
/* Events in the chunks written to the output so far: not those still in
 * the chunk being built, nor those of a chunk whose write failed. */
uint64_t tape_writer__events_written(const struct tape_writer *w);

/* Flush, write the index and trailer.  The writer accepts nothing after it.
 * 0 or -errno. */
int tape_writer__finish(struct tape_writer *w);

/* Description of the last error, "" if none.  Valid until the next call. */
const char *tape_writer__errmsg(const struct tape_writer *w);

/* Free the writer; a writer not finished leaves a tape that readers recover.
 * Closes the file it opened. */
void tape_writer__free(struct tape_writer *w);

/* ---- reader ------------------------------------------------------------ */

/* Random-access input for a reader. */
struct tape_input {
	/* read exactly @len bytes at @off; return 0, or a negative errno
	 * (-ENODATA if the input ends before @off + @len) */
	int (*read_at)(void *ctx, void *buf, size_t len, uint64_t off);
	/* current size of the input in bytes */
	int64_t (*size)(void *ctx);
	void *ctx;
};

struct tape_reader;

/*
 * Open a tape.  A tape without a valid footer (a recorder that was killed,
 * a full disk) is scanned instead and yields every complete block; see
 * tape_reader__recovered().  NULL + errno on failure; @err (may be NULL),
 * of @errlen bytes, receives the reason ("offset 0: not a tape (bad magic)").
 * @path "-" is standard input: a regular file there is read in place; a
 * pipe is first copied to its end into an unlinked file in $TMPDIR (or
 * /tmp), since a tape is read at the offsets its index names, so the
 * reader starts once the writer has finished (or died), and uses disk,
 * not memory; a terminal is refused (-ENOTTY).  Read it once per process.
 * A FIFO given by name is refused (-ESPIPE) rather than waited on.
 */
struct tape_reader *tape_reader__open(const char *path, char *err, size_t errlen);
/* The same over @len bytes at @buf, which must outlive the reader. */
struct tape_reader *tape_reader__open_mem(const void *buf, size_t len, char *err, size_t errlen);
/* The same over @in; the reader does not own @in->ctx. */
struct tape_reader *tape_reader__open_input(const struct tape_input *in, char *err, size_t errlen);
void tape_reader__free(struct tape_reader *r);

/* True if the footer was missing or bad and the index was rebuilt by scanning. */
bool tape_reader__recovered(const struct tape_reader *r);

/*
 * True once the tape is known to be complete: it was opened through its
 * footer, or a scan (at opening or by tape_reader__refresh()) read its
 * trailer block, which a writer writes last.  A reader following a tape
 * being recorded stops waiting for more then.
 */
bool tape_reader__finished(const struct tape_reader *r);

/*
 * Pick up blocks appended since the tape was opened or last refreshed (a
 * tape still being recorded).  Cursors see the new chunks when they reach
 * their end.  Returns the number of new blocks or a negative errno.
 */
int tape_reader__refresh(struct tape_reader *r);
/* Description of the last problem, "" if none.  Right after opening it is
 * non-empty when damaged blocks were skipped (tape_reader__verify() lists
 * them all). */
const char *tape_reader__errmsg(const struct tape_reader *r);

/* Metadata value for @key, or NULL.  Valid while @r lives. */
const char *tape_reader__meta(const struct tape_reader *r, const char *key);
/* Number of metadata keys, and the @i-th key/value. */
size_t tape_reader__meta_count(const struct tape_reader *r);
int tape_reader__meta_at(const struct tape_reader *r, size_t i, const char **key,
			 const char **value);

/* Highest type id defined; ids may have gaps.  Type 0 is the loss type. */
unsigned tape_reader__max_type(const struct tape_reader *r);
/* The type with @id, or NULL if it is not defined.  Valid while @r lives. */
const struct tape_type *tape_reader__type(const struct tape_reader *r, unsigned id);
const struct tape_type *tape_reader__type_by_name(const struct tape_reader *r, const char *name);

/* Process records of every snapshot block, in file order. */
size_t tape_reader__proc_count(const struct tape_reader *r);
const struct tape_proc *tape_reader__proc(const struct tape_reader *r, size_t i);

/*
 * The frames of stack @id (an event's stack_id): *@frames, *@n set, valid
 * while @r lives.  0, or -ENOENT for an id the tape does not define (a
 * stack block that was damaged, or 0).
 */
int tape_reader__stack(struct tape_reader *r, uint64_t stack_id, const struct tape_frame **frames,
		       size_t *n);
/* Number of stacks the tape defines. */
size_t tape_reader__stack_count(const struct tape_reader *r);
/* The id of the @i-th stack the tape defines, in id order (ids need not be
 * dense: a filtered tape keeps the stacks its events use); 0 for @i past
 * tape_reader__stack_count(). */
uint32_t tape_reader__stack_id_at(struct tape_reader *r, size_t i);

/* Every loss record in the tape, in file order. */
size_t tape_reader__loss_count(const struct tape_reader *r);
const struct tape_loss *tape_reader__loss(const struct tape_reader *r, size_t i);

/*
 * The records of every mapping block, in time order (stably: those of one
 * ts in file order), and the binaries they
 * name (docs/FORMAT.md "Mapping block (type 9)").  Valid while @r lives.
 */
size_t tape_reader__mapping_count(const struct tape_reader *r);
const struct tape_mapping *tape_reader__mapping(const struct tape_reader *r, size_t i);
size_t tape_reader__binary_count(const struct tape_reader *r);
const struct tape_binary *tape_reader__binary(const struct tape_reader *r, size_t i);
/* The binary with @id, or NULL. */
const struct tape_binary *tape_reader__binary_by_id(const struct tape_reader *r, uint32_t id);
/*
 * Which mapping held @addr in process @pid at time @ts, from the tape's
 * mapping records (forks followed to the parent's mappings at the fork).
 * 0 with *@binary and *@offset (file offset) set, or -ENOENT.
 */
int tape_reader__resolve_addr(const struct tape_reader *r, uint32_t pid, uint64_t ts, uint64_t addr,
			      uint32_t *binary, uint64_t *offset);

/* What the index says about one chunk, without decompressing it. */
struct tape_chunk_info {
	uint64_t offset;    /* of the block header */
	uint32_t block_len; /* header + body bytes on disk */
	uint32_t raw_len;   /* decompressed payload bytes */
	uint64_t min_ts, max_ts;
	uint32_t count;
	uint32_t min_pid, max_pid;
	uint32_t ntypes; /* distinct event types in the chunk */
};

size_t tape_reader__chunk_count(const struct tape_reader *r);
int tape_reader__chunk(const struct tape_reader *r, size_t i, struct tape_chunk_info *info);
/* Number of events of type @type in chunk @i (from the index). */
uint32_t tape_reader__chunk_type_count(const struct tape_reader *r, size_t i, unsigned type);
/* Events of every type in the whole tape (from the index): @counts, of
 * tape_reader__max_type(r) + 1 entries, is filled. */
void tape_reader__type_counts(const struct tape_reader *r, uint64_t *counts);

/*
 * Damage found while opening (or refreshing) the tape: blocks skipped, with
 * what and where ("block 7 (metadata) at offset 4096: CRC mismatch").
 * Chunks that fail later, when a cursor reads them, are not listed here.
 * The strings are valid while @r lives.
 */
size_t tape_reader__problem_count(const struct tape_reader *r);
const char *tape_reader__problem(const struct tape_reader *r, size_t i);

/*
 * Check chunk @i before trusting what the index says of it (counts, types):
 * its block is read, its CRC checked and its own summary compared with the
 * index's.  Nothing is decompressed.  0 when it checks; -EBADMSG with @err
 * (of @errlen bytes) naming the block, offset and what is wrong; another
 * -errno for an I/O error.
 */
int tape_reader__check_chunk(struct tape_reader *r, size_t i, char *err, size_t errlen);

/* Totals from the index. */
uint64_t tape_reader__event_count(const struct tape_reader *r);
uint64_t tape_reader__min_ts(const struct tape_reader *r);
uint64_t tape_reader__max_ts(const struct tape_reader *r);
uint64_t tape_reader__file_size(const struct tape_reader *r);

/*
 * Check every block's CRC and every chunk's payload.  Calls @cb (may be NULL)
 * for each problem found with a message naming the block and offset.
 * Returns the number of bad blocks (0 = clean) or a negative errno.
 */
int tape_reader__verify(struct tape_reader *r, void (*cb)(void *ctx, const char *msg), void *ctx);

/* ---- cursors: iterate one or more tapes in timestamp order ------------- */

/* Which events a cursor yields.  Zeroed means everything. */
struct tape_select {
	size_t sz;	      /* sizeof(struct tape_select) */
	uint64_t since;	      /* first ts included (0: no bound) */
	uint64_t until;	      /* last ts included (0: no bound) */
	const uint32_t *pids; /* yield only these pids (NULL: any) */
	size_t npids;
	const uint32_t *tids; /* ...and only these tids (NULL: any) */
	size_t ntids;
	const char *const *types; /* type names (NULL: any); "lost" selects losses */
	size_t ntypes;
	bool no_losses; /* do not yield loss records */
	/* yield the events' headers only (ts, cpu, pid, tid, comm, type):
	 * their fields are not decoded, and ev->values must not be read */
	bool no_fields;
};

struct tape_cursor;

/*
 * Iterate @n readers merged by timestamp, yielding only what @sel selects
 * (may be NULL).  Chunks the index proves cannot match are never read.
 * The readers must outlive the cursor.  NULL + errno.
 */
struct tape_cursor *tape_cursor__new(struct tape_reader *const *readers, size_t n,
				     const struct tape_select *sel);
void tape_cursor__free(struct tape_cursor *c);

/*
 * Next event: 1 and *@ev set, 0 at the end, or a negative errno for a chunk
 * that could not be read (-EBADMSG for corruption, -E2BIG for a chunk that
 * would take the memory the cursor's open chunks hold past its limit of
 * 1 GiB; tape_cursor__errmsg() says which block, where, and what).  After
 * an error, the next call goes on with the following chunk.
 */
int tape_cursor__next(struct tape_cursor *c, const struct tape_event **ev);
const char *tape_cursor__errmsg(const struct tape_cursor *c);
/* Which tape (index in the readers given to tape_cursor__new()) the last
 * error of tape_cursor__next() came from. */
int tape_cursor__errsrc(const struct tape_cursor *c);

/* Chunks decompressed and bytes read so far by this cursor. */
struct tape_cursor_stats {
	uint64_t chunks_read;
	uint64_t chunks_skipped;
	uint64_t bytes_read;
};
void tape_cursor__stats(const struct tape_cursor *c, struct tape_cursor_stats *st);

/* ---- recovery ---------------------------------------------------------- */

struct tape_recover_stats {
	uint64_t blocks_kept;
	uint64_t blocks_bad; /* CRC or framing errors skipped */
	uint64_t bytes_lost; /* input bytes not in any kept block */
	uint64_t events_kept;
};

/* Copy every intact block of @in_path into a new finalized tape at @out_path.
 * @err receives the first problem found.  0 or -errno. */
int tape_recover(const char *in_path, const char *out_path, struct tape_recover_stats *st,
		 char *err, size_t errlen);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* BPFTAPE_TAPE_H */
