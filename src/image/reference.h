/* Image references as Docker parses and normalizes them (distribution's
 * reference package): "busybox" is docker.io/library/busybox, names may carry
 * a registry host with a port, a tag and a digest. Pure. */
#pragma once

#include <stdbool.h>

#include "basic/error.h"

struct reference {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when absent */
	char *digest; /* "sha256:<hex>", NULL when absent */
};

#define REFERENCE_INIT {NULL, NULL, NULL, NULL}

/* ParseNormalizedNamed: fills ret from s, adding docker.io and library/ as
 * Docker does. -EINVAL with Docker's message ("invalid reference format",
 * "invalid reference format: repository name must be lowercase", "invalid
 * repository name (...), cannot specify 64-byte hexadecimal strings", ...). */
int reference_parse(const char *s, struct reference *ret, struct error *err);
void reference_done(struct reference *r);

/* TagNameOnly: a reference with neither tag nor digest gets "latest". */
int reference_default_tag(struct reference *r);

/* Checks a tag alone ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
bool reference_tag_valid(const char *tag);

/* "docker.io/library/busybox" (caller frees; NULL on ENOMEM). */
char *reference_name(const struct reference *r);
/* Name plus ":tag" and "@digest" when present. */
char *reference_string(const struct reference *r);
/* The short forms users see: "busybox", "busybox:latest", "me/app@sha256:..". */
char *reference_familiar_name(const struct reference *r);
char *reference_familiar_string(const struct reference *r);

/* Normalizes s in one go to its full string form; for stored references. */
int reference_normalize(const char *s, char **ret, struct error *err);
/* The familiar form of an already normalized reference string (no checks). */
char *reference_familiarize(const char *full);
