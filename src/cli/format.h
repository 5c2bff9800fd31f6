/* Output formatting: the subset of Go templates that --format needs, Go's
 * %v rendering of JSON values, a one-column tabwriter, and docker's human
 * sizes, durations and timestamps. Pure logic, unit tested. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "basic/error.h"

struct format_tmpl;

/* Parses a template. Supported actions: {{.}}, {{.A.B}}, {{json .A}},
 * {{upper .A}}, {{lower .A}}, {{title .A}}, {{println .A}}, comments, and
 * the {{- / -}} trim markers, with any literal text around them. "json" alone
 * (docker's shortcut) means {{json .}}. Anything else fails with -EINVAL and
 * Go's "template: :1: ..." wording in err; callers add their command's
 * prefix, as docker does, and exit 64. name is the template's name in
 * messages ("version" for `version`, "" elsewhere, as in docker). */
int format_parse(const char *src, const char *name, struct format_tmpl **ret, struct error *err);
void format_free(struct format_tmpl *t);

/* Runs the template against dot; the output is appended to *out (a
 * malloc'ed string, may start NULL). Missing fields of struct-like objects
 * fail as Go does ("can't evaluate field X"); missing keys of map-like
 * objects (Labels, Attributes, Details, Options) render "<no value>". */
int format_exec(const struct format_tmpl *t, json_t *dot, char **out, struct error *err);

/* Names top-level fields (NULL-terminated, caller-owned) that exist in the Go
 * type docker decodes into but may be absent from the JSON (omitempty): they
 * render as empty strings instead of failing. */
void format_set_zero_fields(struct format_tmpl *t, const char *const *fields);

/* Renders v as Go's fmt %v would render the decoded value. Caller frees. */
char *format_value(json_t *v);

/* Go's encoding/json HTML escaping: <, > and & (which JSON text holds only
 * inside strings) become \u003c, \u003e and \u0026. Takes json (may be
 * NULL) and returns the escaped text (NULL on allocation failure). */
char *format_go_json_escape(char *json);

/* Renders v as compact JSON, as docker's {{json}} does. Caller frees. */
char *format_json(json_t *v);

/* Aligns text the way docker's version output does (Go tabwriter with
 * minwidth 20, padding 1): in each run of lines containing a tab, the text
 * before the tab is padded to a common width. Caller frees the result. */
char *format_tabwrite(const char *text, int minwidth, int padding);

/* go-units BytesSize: "23.54GiB". */
void format_bytes_size(double bytes, char *buf, size_t len);

/* go-units HumanDuration: "5 seconds", "About an hour", "3 weeks". */
void format_human_duration(int64_t ns, char *buf, size_t len);

/* Local time as RFC 3339 with a fixed 9-digit fraction
 * ("2006-01-02T15:04:05.000000000Z07:00", docker's RFC3339NanoFixed). */
void format_time_local(int64_t ns, char *buf, size_t len);

/* Reformats an RFC 3339 time as Go's ANSIC ("Mon Jan  2 15:04:05 2006"),
 * in UTC; returns s unchanged (copied) when it does not parse. Caller frees. */
char *format_ansic(const char *rfc3339);
