/* docker's list formatter (cli/command/formatter): a --format value that is
 * "table" (the command's default columns), "table TEMPLATE" (a header row,
 * then aligned columns), "json" (one object per line) or a bare TEMPLATE
 * (one line per item, no header). Rows are JSON objects of the fields a
 * template may name; the header is the same template run on an object of
 * column titles. Pure logic over strings, unit tested. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "basic/error.h"
#include "cli/format.h"

struct table {
	struct format_tmpl *tmpl;
	bool is_table;
	bool whole_json; /* "{{json .}}": rows marshal themselves, HTML-escaped */
	char *body; /* rendered rows, "\n" after each */
};

/* Parses format; "" or NULL picks default_format (e.g. "table {{.Name}}").
 * Template errors come back as docker's "template parsing error: ...". */
int table_init(struct table *t, const char *format, const char *default_format,
	       struct error *err);
void table_done(struct table *t);

/* Appends one item. */
int table_row(struct table *t, json_t *row, struct error *err);

/* The finished output: header (when a table) and rows, columns aligned as
 * Go's tabwriter (minwidth 10, padding 3) aligns them. Caller frees. */
char *table_render(struct table *t, json_t *headers, struct error *err);

/* Go's tabwriter with docker's settings over text (cells end at tabs). */
char *table_tabwrite(const char *text, int minwidth, int padding);

/* go-units HumanSizeWithPrecision(size, 3): "1.98MB", "512B", decimal units. */
void table_human_size(double size, char *buf, size_t len);
/* go-units HumanSize (precision 4): "1.982MB", for df and prune totals. */
void table_human_size4(double size, char *buf, size_t len);

/* docker's "Created" column: "<HumanDuration> ago" for a time in the past. */
void table_human_ago(int64_t then_ns, int64_t now_ns, char *buf, size_t len);

/* docker's formatter.Ellipsis: at most max characters (UTF-8 aware), the last
 * one "…" when cut; NULL on allocation failure. */
char *table_ellipsis(const char *s, size_t max);
