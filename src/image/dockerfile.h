/* The Dockerfile language as the classic builder reads it (moby's
 * builder/dockerfile/parser and shell lexer): parser directives (escape),
 * line continuations, comments, one instruction per logical line with its
 * flags and arguments, and variable substitution ($a, ${a}, ${a:-b},
 * ${a:+b}, ${a-b}, ${a+b}). Pure: callable on any buffer without a daemon
 * (unit and fuzz tests). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"

enum df_kind {
	DF_ADD,
	DF_ARG,
	DF_CMD,
	DF_COPY,
	DF_ENTRYPOINT,
	DF_ENV,
	DF_EXPOSE,
	DF_FROM,
	DF_HEALTHCHECK,
	DF_LABEL,
	DF_MAINTAINER,
	DF_ONBUILD,
	DF_RUN,
	DF_SHELL,
	DF_STOPSIGNAL,
	DF_USER,
	DF_VOLUME,
	DF_WORKDIR,
};

struct df_inst {
	enum df_kind kind;
	int line;     /* first line, 1-based */
	char *text;   /* the logical line, continuations joined (Step output) */
	char **flags; /* "--name=value" or "--name", as written */
	size_t n_flags;
	char *rest;	       /* the arguments after the flags, trimmed */
	bool json;	       /* rest is a JSON array of strings (exec form) */
	json_t *words;	       /* the arguments: the JSON array's strings, or the
				* whitespace-separated words (quotes kept, for
				* expansion), or for RUN/CMD/ENTRYPOINT shell form
				* one string */
	struct df_inst *inner; /* ONBUILD's instruction */
};

struct dockerfile {
	char escape;
	struct df_inst *v;
	size_t n;
};

/* Parses buf (len bytes, need not be NUL-terminated). Errors say
 * "dockerfile parse error line N: ..." with dockerd's wording (unknown
 * instruction, wrong argument counts, bad ENV/LABEL pairs, unknown flags),
 * -EINVAL. An empty file is -EINVAL "file with no instructions". */
int dockerfile_parse(const char *buf, size_t len, struct dockerfile **ret, struct error *err);
void dockerfile_free(struct dockerfile *df);
/* Parses one instruction line (ONBUILD triggers, --change). */
int dockerfile_parse_line(const char *line, char escape, struct df_inst *ret, struct error *err);
void df_inst_done(struct df_inst *in);

const char *df_kind_name(enum df_kind k); /* "RUN" */

/* Value of a flag given as --name=value; NULL when absent. A flag given
 * as bare --name has the value "". */
const char *df_flag(const struct df_inst *in, const char *name);

/* Looks a variable up; returns NULL when it is not set. */
typedef const char *(*df_lookup_fn)(const char *name, void *userdata);

/* Expands one word as the shell lexer does: quotes removed, the escape
 * character honoured, variables substituted. -EINVAL for a bad
 * substitution ("missing '}'"). */
int df_expand(const char *word, char escape, df_lookup_fn lookup, void *userdata, char **ret,
	      struct error *err);

/* Splits s into words at unquoted whitespace, keeping quotes and escapes
 * (they are for df_expand). NULL for an unterminated quote. */
json_t *df_split_words(const char *s, char escape);

/* ---- .dockerignore (dockerignore.c) ---- */

struct dockerignore;
/* Reads the patterns of a .dockerignore file: one per line, '#' comments,
 * leading '!' for exceptions, cleaned like filepath.Clean, leading '/'
 * dropped. -EINVAL for an invalid pattern. */
int dockerignore_parse(const char *buf, size_t len, struct dockerignore **ret, struct error *err);
void dockerignore_free(struct dockerignore *di);
/* True when the context path rel ("a/b", no leading "/") is excluded: the
 * last pattern matching it or one of its parent directories decides. */
bool dockerignore_excluded(const struct dockerignore *di, const char *rel);
/* True when some exception pattern could re-include a path below dir. */
bool dockerignore_has_exceptions(const struct dockerignore *di);
/* Go's filepath.Match (for COPY wildcards), plus "**" matching any number
 * of directories as .dockerignore allows when doublestar is set. */
bool df_glob_match(const char *pattern, const char *name, bool doublestar);
