/* Dockerfiles as POST /build receives them in the context (image/dockerfile.c):
 * parsing, then what the builder does with each instruction's arguments:
 * splitting into words and expanding variables. An instruction must come back
 * whole: a kind with a name, lines that never go backwards, and, for ONBUILD,
 * a trigger that parses again on its own. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/dockerfile.h"

static const char *lookup(const char *name, void *userdata)
{
	(void)userdata;
	/* A few set variables so that both branches of ${a:-b} and ${a:+b} run. */
	if (strcmp(name, "a") == 0 || strcmp(name, "HOME") == 0)
		return "/root";
	if (strcmp(name, "empty") == 0)
		return "";
	return NULL;
}

static void expand_words(const struct df_inst *in, char escape)
{
	json_t *words = df_split_words(in->rest ? in->rest : "", escape);
	size_t i;
	json_t *w;
	json_array_foreach(words, i, w)
	{
		char *out = NULL;
		struct error err = ERROR_INIT;
		if (df_expand(json_string_value(w), escape, lookup, NULL, &out, &err) == 0 && !out)
			abort();
		free(out);
		error_clear(&err);
	}
	json_decref(words);
}

static void check_inst(const struct df_inst *in, char escape, int *last_line)
{
	if (!df_kind_name(in->kind) || !in->text || in->line < *last_line)
		abort();
	*last_line = in->line;
	for (size_t f = 0; f < in->n_flags; f++)
		if (!in->flags[f] || strncmp(in->flags[f], "--", 2) != 0)
			abort();
	expand_words(in, escape);
	if (in->kind == DF_ONBUILD) {
		if (!in->inner)
			abort();
		struct df_inst again;
		struct error err = ERROR_INIT;
		if (dockerfile_parse_line(in->rest, escape, &again, &err) != 0)
			abort();
		if (again.kind != in->inner->kind)
			abort();
		df_inst_done(&again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dockerfile *df = NULL;
	struct error err = ERROR_INIT;
	if (dockerfile_parse((const char *)data, size, &df, &err) == 0) {
		if (!df || df->n == 0)
			abort();
		int last_line = 0;
		for (size_t i = 0; i < df->n; i++)
			check_inst(&df->v[i], df->escape, &last_line);
		dockerfile_free(df);
	} else if (!err.msg) {
		abort();
	}
	error_clear(&err);
	return 0;
}
