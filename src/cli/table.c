/* The list formatter of docker's CLI: templates per row, optional header,
 * tabwriter alignment. */
#include "cli/table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/buf.h"
#include "basic/cleanup.h"

/* docker's preFormat: strip "table", trim spaces, turn the two-character
 * escapes \t and \n into the characters. */
static char *pre_format(const char *format, bool *is_table)
{
	*is_table = strncmp(format, "table", 5) == 0;
	const char *s = *is_table ? format + 5 : format;
	while (*s == ' ')
		s++;
	char *out = strdup(s);
	if (!out)
		return NULL;
	size_t len = strlen(out);
	while (len && out[len - 1] == ' ')
		out[--len] = '\0';
	char *w = out;
	for (const char *r = out; *r; r++) {
		if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n')) {
			*w++ = r[1] == 't' ? '\t' : '\n';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return out;
}

int table_init(struct table *t, const char *format, const char *default_format,
	       struct error *err)
{
	*t = (struct table){0};
	if (!format || !*format)
		format = default_format;
	_cleanup_free_ char *src = pre_format(format, &t->is_table);
	if (!src)
		return error_set(err, -ENOMEM, "out of memory");
	/* docker's row contexts have MarshalJSON (json.Marshal, which escapes
	 * <, > and &); {{json .Field}} of plain values does not escape. */
	t->whole_json = strcmp(src, "json") == 0 || strcmp(src, "{{json .}}") == 0;
	int r = format_parse(src, "", &t->tmpl, err);
	if (r < 0)
		return error_wrap(err, "template parsing error");
	return 0;
}

void table_done(struct table *t)
{
	format_free(t->tmpl);
	free(t->body);
	*t = (struct table){0};
}

static int run_line(const struct table *t, json_t *dot, char **out, struct error *err)
{
	int r = format_exec(t->tmpl, dot, out, err);
	if (r < 0)
		return error_wrap(err, "template parsing error");
	size_t len = strlen(*out);
	char *grown = realloc(*out, len + 2);
	if (!grown)
		return error_set(err, -ENOMEM, "out of memory");
	grown[len] = '\n';
	grown[len + 1] = '\0';
	*out = grown;
	return 0;
}

int table_row(struct table *t, json_t *row, struct error *err)
{
	if (!t->whole_json)
		return run_line(t, row, &t->body, err);
	char *line = format_go_json_escape(json_dumps(row, JSON_COMPACT));
	char *joined = NULL;
	if (!line || asprintf(&joined, "%s%s\n", t->body ? t->body : "", line) < 0) {
		free(line);
		return error_set(err, -ENOMEM, "out of memory");
	}
	free(line);
	free(t->body);
	t->body = joined;
	return 0;
}

char *table_render(struct table *t, json_t *headers, struct error *err)
{
	if (!t->is_table)
		return strdup(t->body ? t->body : "");
	_cleanup_free_ char *all = NULL;
	/* A header that fails (a field the header object lacks) is left out,
	 * as docker leaves it out when the template names no known column. */
	if (headers) {
		struct error herr = ERROR_INIT;
		if (run_line(t, headers, &all, &herr) < 0) {
			free(all);
			all = NULL;
		}
		error_clear(&herr);
	}
	struct buf b = BUF_INIT;
	if (buf_appendf(&b, "%s%s", all ? all : "", t->body ? t->body : "") < 0)
		return error_set(err, -ENOMEM, "out of memory"), NULL;
	_cleanup_free_ char *text = buf_steal(&b);
	return table_tabwrite(text, 10, 3);
}

/* Cells of one line: pointers to starts, count of tab-terminated cells. */
static size_t count_cells(const char *line, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += line[i] == '\t';
	return n;
}

/* Display width as Go's tabwriter counts it: runes, not bytes. */
static int runes(const char *s, size_t len)
{
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Width of the tab-terminated cell col in the line, or -1 when absent. */
static int cell_width(const char *line, size_t len, size_t col)
{
	size_t start = 0, c = 0;
	for (size_t i = 0; i < len; i++) {
		if (line[i] != '\t')
			continue;
		if (c++ == col)
			return runes(line + start, i - start);
		start = i + 1;
	}
	return -1;
}

/* Go's tabwriter aligns a column over each run of consecutive lines that
 * have that cell; widths[] is filled for the run starting at line. */
static void column_width(const char *const *lines, const size_t *lens, size_t nlines,
			 size_t from, size_t col, int minwidth, int padding, int *ret)
{
	int w = 0;
	for (size_t i = from; i < nlines; i++) {
		int cw = cell_width(lines[i], lens[i], col);
		if (cw < 0)
			break;
		if (cw + padding > w)
			w = cw + padding;
	}
	*ret = w < minwidth ? minwidth : w;
}

static int write_line(struct buf *b, const char *line, size_t len, const int *widths,
		      size_t ncells)
{
	size_t start = 0, c = 0;
	for (size_t i = 0; i < len && c < ncells; i++) {
		if (line[i] != '\t')
			continue;
		int bytes = (int)(i - start), w = runes(line + start, i - start);
		if (buf_appendf(b, "%.*s%*s", bytes, line + start, widths[c] - w, "") < 0)
			return -ENOMEM;
		start = i + 1;
		c++;
	}
	return buf_append(b, line + start, len - start);
}

char *table_tabwrite(const char *text, int minwidth, int padding)
{
	size_t nlines = 0, cap = 0;
	const char **lines = NULL;
	size_t *lens = NULL;
	int r = 0;
	for (const char *p = text; *p && r == 0;) {
		size_t len = strcspn(p, "\n");
		if (nlines == cap) {
			cap = cap ? 2 * cap : 16;
			const char **nl = realloc(lines, cap * sizeof(*nl));
			size_t *nn = nl ? realloc(lens, cap * sizeof(*nn)) : NULL;
			if (nl)
				lines = nl;
			if (nn)
				lens = nn;
			if (!nl || !nn)
				r = -ENOMEM;
		}
		if (r == 0) {
			lines[nlines] = p;
			lens[nlines++] = len;
		}
		p += len + (p[len] == '\n');
	}
	struct buf b = BUF_INIT;
	/* widths[col] stays valid while the run of lines having col lasts. */
	int widths[64] = {0};
	size_t active = 0;
	for (size_t i = 0; i < nlines && r == 0; i++) {
		size_t n = count_cells(lines[i], lens[i]);
		if (n > 64)
			n = 64;
		for (size_t c = 0; c < n; c++)
			if (c >= active || i == 0)
				column_width(lines, lens, nlines, i, c, minwidth, padding,
					     &widths[c]);
		active = n;
		r = write_line(&b, lines[i], lens[i], widths, n);
		if (r == 0)
			r = buf_append(&b, "\n", 1);
	}
	free(lines);
	free(lens);
	if (r < 0) {
		buf_free(&b);
		return NULL;
	}
	char *out = buf_steal(&b);
	return out;
}

static void human_size(double size, int prec, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	size_t i = 0;
	while (size >= 1000.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
		size /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.*g%s", prec, size, units[i]);
}

void table_human_size(double size, char *buf, size_t len)
{
	human_size(size, 3, buf, len);
}

void table_human_size4(double size, char *buf, size_t len)
{
	human_size(size, 4, buf, len);
}

void table_human_ago(int64_t then_ns, int64_t now_ns, char *buf, size_t len)
{
	char d[64];
	format_human_duration(now_ns - then_ns, d, sizeof(d));
	snprintf(buf, len, "%s ago", d);
}

/* docker's Ellipsis: at most max characters (UTF-8 aware), the last one
 * replaced by "…" when cut. */
char *table_ellipsis(const char *s, size_t max)
{
	size_t chars = 0, i = 0, cut = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (chars == max - 1)
			cut = i;
		chars++;
	}
	if (chars <= max)
		return strdup(s);
	char *out = malloc(cut + 4);
	if (out) {
		memcpy(out, s, cut);
		memcpy(out + cut, "\xe2\x80\xa6", 4);
	}
	return out;
}
