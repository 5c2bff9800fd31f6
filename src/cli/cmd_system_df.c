/* `berth system df`: the /system/df summary table, or with -v one table per
 * kind of object, as docker prints them (cli/command/formatter/disk_usage.go). */
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/df.h"
#include "cli/image_rows.h"
#include "cli/inspect.h"
#include "cli/table.h"

static json_t *summary_row(const char *type, long long total, long long active, double size,
			   double reclaim)
{
	char s[32], r[32], rp[48];
	table_human_size4(size, s, sizeof(s));
	table_human_size4(reclaim, r, sizeof(r));
	if (size > 0)
		snprintf(rp, sizeof(rp), "%s (%lld%%)", r, (long long)(reclaim * 100 / size));
	else
		snprintf(rp, sizeof(rp), "%s", r);
	char t[24], a[24];
	snprintf(t, sizeof(t), "%lld", total);
	snprintf(a, sizeof(a), "%lld", active);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", a, "Reclaimable", rp, "Size", s,
			 "TotalCount", t, "Type", type);
}

static json_t *images_summary(json_t *df)
{
	json_t *images = json_object_get(df, "Images");
	long long active = 0;
	double total = (double)json_integer_value(json_object_get(df, "LayersSize")), used = 0;
	size_t i;
	json_t *im;
	json_array_foreach(images, i, im) {
		json_int_t n = json_integer_value(json_object_get(im, "Containers"));
		json_int_t vs = json_integer_value(json_object_get(im, "VirtualSize"));
		json_int_t sh = json_integer_value(json_object_get(im, "SharedSize"));
		if (n <= 0)
			continue;
		active++;
		if (vs != -1 && sh != -1)
			used += (double)(vs - sh);
	}
	/* docker's integer percentage: (reclaimable*100)/total. */
	return summary_row("Images", (long long)json_array_size(images), active, total,
			   total - used);
}

static json_t *containers_summary(json_t *df)
{
	json_t *cs = json_object_get(df, "Containers");
	long long active = 0;
	double size = 0, reclaim = 0;
	size_t i;
	json_t *c;
	json_array_foreach(cs, i, c) {
		double rw = (double)json_integer_value(json_object_get(c, "SizeRw"));
		bool running = strcmp(json_string_value(json_object_get(c, "State")) ?: "", "running") == 0;
		size += rw;
		active += running;
		if (!running)
			reclaim += rw;
	}
	return summary_row("Containers", (long long)json_array_size(cs), active, size, reclaim);
}

static json_t *volumes_summary(json_t *df)
{
	json_t *vs = json_object_get(df, "Volumes");
	long long active = 0;
	double size = 0, reclaim = 0;
	size_t i;
	json_t *v;
	json_array_foreach(vs, i, v) {
		json_t *u = json_object_get(v, "UsageData");
		json_int_t sz = json_integer_value(json_object_get(u, "Size"));
		json_int_t refs = json_integer_value(json_object_get(u, "RefCount"));
		if (refs > 0)
			active++;
		if (sz == -1)
			continue;
		size += (double)sz;
		if (refs == 0)
			reclaim += (double)sz;
	}
	return summary_row("Local Volumes", (long long)json_array_size(vs), active, size, reclaim);
}

json_t *df_summary_rows(json_t *df)
{
	json_t *rows = json_array();
	json_array_append_new(rows, images_summary(df));
	json_array_append_new(rows, containers_summary(df));
	json_array_append_new(rows, volumes_summary(df));
	double bc = (double)json_integer_value(json_object_get(df, "BuilderSize"));
	json_array_append_new(rows, summary_row("Build Cache",
						(long long)json_array_size(
						    json_object_get(df, "BuildCache")),
						0, bc, bc));
	return rows;
}

static json_t *df_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", "ACTIVE", "Reclaimable",
			 "RECLAIMABLE", "Size", "SIZE", "TotalCount", "TOTAL", "Type", "TYPE");
}

/* -v's image table: one row per image, its first tag, docker's 4-digit
 * sizes for the shared and unique columns. */
static json_t *verbose_image_rows(json_t *images, int64_t now)
{
	json_t *rows = json_array();
	struct image_list_opts o = {0};
	size_t i;
	json_t *im;
	json_array_foreach(images, i, im) {
		_cleanup_(cli_json_decrefp) json_t *one = json_array();
		_cleanup_(cli_json_decrefp) json_t *copy = json_deep_copy(im);
		json_t *tags = json_object_get(copy, "RepoTags");
		while (json_array_size(tags) > 1)
			json_array_remove(tags, 1);
		json_array_append(one, copy);
		_cleanup_(cli_json_decrefp) json_t *r = image_list_rows(one, &o, now);
		json_t *row = json_array_get(r, 0);
		json_int_t sz = json_integer_value(json_object_get(im, "Size"));
		json_int_t sh = json_integer_value(json_object_get(im, "SharedSize"));
		char shared[32] = "N/A", unique[32] = "N/A";
		if (sh != -1) {
			table_human_size4((double)sh, shared, sizeof(shared));
			table_human_size4((double)(sz - sh), unique, sizeof(unique));
		}
		json_object_set_new(row, "SharedSize", json_string(shared));
		json_object_set_new(row, "UniqueSize", json_string(unique));
		json_array_append(rows, row);
	}
	return rows;
}

json_t *df_volume_rows(json_t *volumes)
{
	json_t *rows = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(volumes, i, v) {
		json_t *u = json_object_get(v, "UsageData");
		json_int_t sz = json_integer_value(json_object_get(u, "Size"));
		char size[32] = "N/A", links[24];
		if (sz != -1)
			table_human_size4((double)sz, size, sizeof(size));
		snprintf(links, sizeof(links), "%lld",
			 (long long)json_integer_value(json_object_get(u, "RefCount")));
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s}", "Links", links, "Name",
						      json_string_value(json_object_get(v, "Name"))
							  ?: "",
						      "Size", size));
	}
	return rows;
}

static int print_section(const struct cli *cli, const char *title, const char *format,
			 json_t *rows, json_t *headers)
{
	struct error err = ERROR_INIT;
	struct table t;
	if (title)
		fprintf(cli->out, "%s\n\n", title);
	if (table_init(&t, format, format, &err) < 0) {
		json_decref(headers);
		int code = cli_fail(cli, &err);
		error_clear(&err);
		return code;
	}
	int code = cli_print_rows(cli, &t, rows, image_row_identity, headers);
	table_done(&t);
	return code;
}

static int print_verbose(const struct cli *cli, json_t *df)
{
	int64_t now = time_now_ns();
	_cleanup_(cli_json_decrefp) json_t *im = verbose_image_rows(json_object_get(df, "Images"), now);
	_cleanup_(cli_json_decrefp) json_t *vol = df_volume_rows(json_object_get(df, "Volumes"));
	_cleanup_(cli_json_decrefp) json_t *none = json_array();
	char bc[32];
	table_human_size4((double)json_integer_value(json_object_get(df, "BuilderSize")), bc,
			  sizeof(bc));
	int code = print_section(cli, "Images space usage:",
				 "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
				 "{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
				 im, image_list_headers());
	/* Containers have no rows yet: their table is the header alone. */
	fprintf(cli->out, "\nContainers space usage:\n\n");
	fprintf(cli->out, "CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   "
			  "STATUS    NAMES\n");
	fprintf(cli->out, "\n");
	if (code == CLI_EXIT_OK)
		code = print_section(cli, "Local Volumes space usage:",
				     "table {{.Name}}\t{{.Links}}\t{{.Size}}", vol,
				     json_pack("{s:s, s:s, s:s}", "Name", "VOLUME NAME", "Links",
					       "LINKS", "Size", "SIZE"));
	fprintf(cli->out, "\nBuild cache usage: %s\n\n", bc);
	fprintf(cli->out, "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     "
			  "SHARED\n");
	return code;
}

static int df_run(struct cli *cli, bool verbose, const char *format)
{
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *df = NULL;
	struct client c;
	int r = client_init(&c, cli, &err);
	if (r >= 0)
		r = client_request_json(&c, "GET", "/system/df", NULL, NULL, &df, &err);
	client_done(&c);
	if (r < 0) {
		int code = cli_fail(cli, &err);
		error_clear(&err);
		return code;
	}
	if (verbose && (!format || !*format))
		return print_verbose(cli, df);
	struct table t;
	if (table_init(&t, format,
		       "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
		       &err) < 0) {
		int code = cli_fail(cli, &err);
		error_clear(&err);
		return code;
	}
	_cleanup_(cli_json_decrefp) json_t *rows = df_summary_rows(df);
	int code = cli_print_rows(cli, &t, rows, image_row_identity, df_headers());
	table_done(&t);
	return code;
}

int cli_cmd_system_df(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	bool verbose = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"verbose", 'v', CLI_FLAG_BOOL, &verbose, NULL, "Show detailed information on space usage",
	     false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Show docker disk usage",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = df_run(cli, verbose, format);
	cli_strv_free(&args);
	return code;
}
