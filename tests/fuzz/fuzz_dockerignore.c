/* .dockerignore files and the paths they are matched against
 * (image/dockerignore.c), both from the build context a client sends. The
 * input is the file, then a line "--", then one context path per line. The
 * matcher must answer every path without crashing or taking exponential time
 * (libFuzzer's -timeout catches that). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/dockerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char *paths = strstr(s, "\n--\n");
	size_t file_len = paths ? (size_t)(paths - s) : strlen(s);
	struct dockerignore *di = NULL;
	struct error err = ERROR_INIT;
	if (dockerignore_parse(s, file_len, &di, &err) == 0) {
		(void)dockerignore_has_exceptions(di);
		char *save = NULL;
		for (char *p = paths ? strtok_r(paths + 4, "\n", &save) : NULL; p;
		     p = strtok_r(NULL, "\n", &save)) {
			(void)dockerignore_excluded(di, p);
			/* The file's first line doubles as a COPY wildcard. */
			char pattern[256];
			size_t n = strcspn(s, "\n");
			if (n >= sizeof(pattern))
				n = sizeof(pattern) - 1;
			memcpy(pattern, s, n);
			pattern[n] = 0;
			(void)df_glob_match(pattern, p, false);
			(void)df_glob_match(pattern, p, true);
		}
		dockerignore_free(di);
	} else if (!err.msg) {
		abort();
	}
	error_clear(&err);
	free(s);
	return 0;
}
