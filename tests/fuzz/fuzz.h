/* Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The input as a NUL-terminated string (an embedded NUL ends it early, as
 * it would for the daemon's callers). Aborts on allocation failure. */
char *fuzz_str(const uint8_t *data, size_t size);

/* The next line of *p, cut at its newline (the text is changed); NULL
 * after the last. */
char *fuzz_next_line(char **p);

/* For targets that write files: moves the process into its own mount
 * namespace where everything is read-only except a private, empty tmpfs on
 * /tmp and the paths libFuzzer writes to (the corpus directories and the
 * artifact directory named on the command line, else the working
 * directory). A parser that wrongly escapes its directory then fails with
 * EROFS instead of touching the machine. Call from LLVMFuzzerInitialize;
 * aborts when the sandbox cannot be made (needs root). */
void fuzz_sandbox(int argc, char **argv);

/* rm -rf path, without following symlinks. Aborts on failure. */
void fuzz_rmtree(const char *path);
