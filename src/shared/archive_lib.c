/* libarchive, opened with dlopen on first use.
 *
 * Linked the ordinary way, libarchive pulls in libxml2, ICU and libstdc++
 * (for formats Berth never writes), and loading them costs every berthd and
 * berth process about 2.8 MB of resident memory before any archive is
 * touched. So the libarchive functions Berth calls are defined here, with
 * their own names and signatures: the first call opens libarchive.so.13 and
 * each function forwards to the library's. Callers include <archive.h> and
 * use libarchive as usual; a function not listed below is an undefined
 * reference at link time, the cue to add it.
 *
 * The table is process-wide, like the dynamic linker's own: it is written
 * once under pthread_once (pool threads may race to the first archive) and
 * only read afterwards. Every archive object comes from one of the *_new
 * functions, which return NULL when the library cannot be opened (callers
 * already treat that as out of memory); the others are only reached with
 * such an object, so the table is filled by then. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <wchar.h>

/* Only libarchive's own declarations are hidden: these definitions are never
 * exported, so libarchive's internal calls cannot land back here. */
#pragma GCC visibility push(hidden)
#include <archive.h>
#include <archive_entry.h>
#pragma GCC visibility pop

/* F(return type, name, parameters, arguments); V for functions returning void. */
#define ARCHIVE_FUNCTIONS(F, V)                                                                    \
	V(archive_entry_copy_hardlink, (struct archive_entry * a0, const char *a1), (a0, a1))      \
	V(archive_entry_copy_pathname, (struct archive_entry * a0, const char *a1), (a0, a1))      \
	V(archive_entry_copy_symlink, (struct archive_entry * a0, const char *a1), (a0, a1))       \
	F(mode_t, archive_entry_filetype, (struct archive_entry * a0), (a0))                       \
	V(archive_entry_free, (struct archive_entry * a0), (a0))                                   \
	F(la_int64_t, archive_entry_gid, (struct archive_entry * a0), (a0))                        \
	F(const char *, archive_entry_hardlink, (struct archive_entry * a0), (a0))                 \
	F(mode_t, archive_entry_mode, (struct archive_entry * a0), (a0))                           \
	F(time_t, archive_entry_mtime, (struct archive_entry * a0), (a0))                          \
	F(struct archive_entry *, archive_entry_new, (void), ())                                   \
	F(const char *, archive_entry_pathname, (struct archive_entry * a0), (a0))                 \
	F(mode_t, archive_entry_perm, (struct archive_entry * a0), (a0))                           \
	F(dev_t, archive_entry_rdev, (struct archive_entry * a0), (a0))                            \
	V(archive_entry_set_filetype, (struct archive_entry * a0, unsigned int a1), (a0, a1))      \
	V(archive_entry_set_gid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))             \
	V(archive_entry_set_gname, (struct archive_entry * a0, const char *a1), (a0, a1))          \
	V(archive_entry_set_hardlink, (struct archive_entry * a0, const char *a1), (a0, a1))       \
	V(archive_entry_set_mode, (struct archive_entry * a0, mode_t a1), (a0, a1))                \
	V(archive_entry_set_mtime, (struct archive_entry * a0, time_t a1, long int a2),            \
	  (a0, a1, a2))                                                                            \
	V(archive_entry_set_pathname, (struct archive_entry * a0, const char *a1), (a0, a1))       \
	V(archive_entry_set_perm, (struct archive_entry * a0, mode_t a1), (a0, a1))                \
	V(archive_entry_set_rdev, (struct archive_entry * a0, dev_t a1), (a0, a1))                 \
	V(archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1), (a0, a1))            \
	V(archive_entry_set_symlink, (struct archive_entry * a0, const char *a1), (a0, a1))        \
	V(archive_entry_set_uid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))             \
	V(archive_entry_set_uname, (struct archive_entry * a0, const char *a1), (a0, a1))          \
	F(la_int64_t, archive_entry_size, (struct archive_entry * a0), (a0))                       \
	F(const char *, archive_entry_symlink, (struct archive_entry * a0), (a0))                  \
	F(la_int64_t, archive_entry_uid, (struct archive_entry * a0), (a0))                        \
	V(archive_entry_xattr_add_entry,                                                           \
	  (struct archive_entry * a0, const char *a1, const void *a2, size_t a3),                  \
	  (a0, a1, a2, a3))                                                                        \
	V(archive_entry_xattr_clear, (struct archive_entry * a0), (a0))                            \
	F(int, archive_entry_xattr_next,                                                           \
	  (struct archive_entry * a0, const char **a1, const void **a2, size_t *a3),               \
	  (a0, a1, a2, a3))                                                                        \
	F(int, archive_entry_xattr_reset, (struct archive_entry * a0), (a0))                       \
	F(int, archive_errno, (struct archive * a0), (a0))                                         \
	F(const char *, archive_error_string, (struct archive * a0), (a0))                         \
	F(la_ssize_t, archive_read_data, (struct archive * a0, void *a1, size_t a2), (a0, a1, a2)) \
	F(int, archive_read_data_block,                                                            \
	  (struct archive * a0, const void **a1, size_t *a2, la_int64_t *a3), (a0, a1, a2, a3))    \
	F(int, archive_read_disk_descend, (struct archive * a0), (a0))                             \
	F(struct archive *, archive_read_disk_new, (void), ())                                     \
	F(int, archive_read_disk_open, (struct archive * a0, const char *a1), (a0, a1))            \
	F(int, archive_read_disk_set_standard_lookup, (struct archive * a0), (a0))                 \
	F(int, archive_read_free, (struct archive * a0), (a0))                                     \
	F(struct archive *, archive_read_new, (void), ())                                          \
	F(int, archive_read_next_header, (struct archive * a0, struct archive_entry * *a1),        \
	  (a0, a1))                                                                                \
	F(int, archive_read_next_header2, (struct archive * a0, struct archive_entry * a1),        \
	  (a0, a1))                                                                                \
	F(int, archive_read_open,                                                                  \
	  (struct archive * a0, void *a1, archive_open_callback *a2, archive_read_callback *a3,    \
	   archive_close_callback *a4),                                                            \
	  (a0, a1, a2, a3, a4))                                                                    \
	F(int, archive_read_open_fd, (struct archive * a0, int a1, size_t a2), (a0, a1, a2))       \
	F(int, archive_read_open_filename, (struct archive * a0, const char *a1, size_t a2),       \
	  (a0, a1, a2))                                                                            \
	F(int, archive_read_support_filter_all, (struct archive * a0), (a0))                       \
	F(int, archive_read_support_format_gnutar, (struct archive * a0), (a0))                    \
	F(int, archive_read_support_format_raw, (struct archive * a0), (a0))                       \
	F(int, archive_read_support_format_tar, (struct archive * a0), (a0))                       \
	F(int, archive_write_add_filter_by_name, (struct archive * a0, const char *a1), (a0, a1))  \
	F(int, archive_write_add_filter_gzip, (struct archive * a0), (a0))                         \
	F(int, archive_write_add_filter_zstd, (struct archive * a0), (a0))                         \
	F(int, archive_write_close, (struct archive * a0), (a0))                                   \
	F(la_ssize_t, archive_write_data, (struct archive * a0, const void *a1, size_t a2),        \
	  (a0, a1, a2))                                                                            \
	F(la_ssize_t, archive_write_data_block,                                                    \
	  (struct archive * a0, const void *a1, size_t a2, la_int64_t a3), (a0, a1, a2, a3))       \
	F(struct archive *, archive_write_disk_new, (void), ())                                    \
	F(int, archive_write_disk_set_options, (struct archive * a0, int a1), (a0, a1))            \
	F(int, archive_write_finish_entry, (struct archive * a0), (a0))                            \
	F(int, archive_write_free, (struct archive * a0), (a0))                                    \
	F(int, archive_write_header, (struct archive * a0, struct archive_entry * a1), (a0, a1))   \
	F(struct archive *, archive_write_new, (void), ())                                         \
	F(int, archive_write_open,                                                                 \
	  (struct archive * a0, void *a1, archive_open_callback *a2, archive_write_callback *a3,   \
	   archive_close_callback *a4),                                                            \
	  (a0, a1, a2, a3, a4))                                                                    \
	F(int, archive_write_open2,                                                                \
	  (struct archive * a0, void *a1, archive_open_callback *a2, archive_write_callback *a3,   \
	   archive_close_callback *a4, archive_free_callback *a5),                                 \
	  (a0, a1, a2, a3, a4, a5))                                                                \
	F(int, archive_write_open_fd, (struct archive * a0, int a1), (a0, a1))                     \
	F(int, archive_write_open_filename, (struct archive * a0, const char *a1), (a0, a1))       \
	F(int, archive_write_set_bytes_in_last_block, (struct archive * a0, int a1), (a0, a1))     \
	F(int, archive_write_set_bytes_per_block, (struct archive * a0, int a1), (a0, a1))         \
	F(int, archive_write_set_filter_option,                                                    \
	  (struct archive * a0, const char *a1, const char *a2, const char *a3), (a0, a1, a2, a3)) \
	F(int, archive_write_set_format_pax_restricted, (struct archive * a0), (a0))               \
	F(int, archive_write_set_format_raw, (struct archive * a0), (a0))                          \
	F(int, archive_write_set_options, (struct archive * a0, const char *a1), (a0, a1))

struct archive_lib {
#define FIELD(ret, name, params, args) ret(*name) params;
#define VFIELD(name, params, args) void(*name) params;
	ARCHIVE_FUNCTIONS(FIELD, VFIELD)
	void (*archive_set_error)(struct archive *, int, const char *, ...);
#undef FIELD
#undef VFIELD
	bool loaded;
};

static struct archive_lib lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_open(void)
{
	void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "berth: cannot open libarchive: %s\n", dlerror());
		return;
	}
	struct {
		void *dst;
		const char *name;
	} syms[] = {
#define SYM(ret, name, params, args) {&lib.name, #name},
#define VSYM(name, params, args) {&lib.name, #name},
	    ARCHIVE_FUNCTIONS(SYM, VSYM)
#undef SYM
#undef VSYM
		{&lib.archive_set_error, "archive_set_error"},
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			fprintf(stderr, "berth: libarchive lacks %s\n", syms[i].name);
			dlclose(h);
			return;
		}
		memcpy(syms[i].dst, &f, sizeof(f));
	}
	lib.loaded = true;
}

static bool lib_ready(void)
{
	pthread_once(&lib_once, lib_open);
	return lib.loaded;
}

/* The constructors answer NULL without the library; the rest are reached
 * only with what a constructor made. */
#define DEFINE(ret, name, params, args)                                                            \
	ret name params                                                                            \
	{                                                                                          \
		if (!lib_ready())                                                                  \
			return (ret)0;                                                             \
		return lib.name args;                                                              \
	}
#define VDEFINE(name, params, args)                                                                \
	void name params                                                                           \
	{                                                                                          \
		if (lib_ready())                                                                   \
			lib.name args;                                                             \
	}
ARCHIVE_FUNCTIONS(DEFINE, VDEFINE)
#undef DEFINE
#undef VDEFINE

void archive_set_error(struct archive *a, int error_number, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lib_ready())
		lib.archive_set_error(a, error_number, "%s", msg);
}
