/* The shared part of every `inspect`: fetch each named object, then print
 * them as one indented JSON array (docker's default) or through a --format
 * template, one line each; names that fail are reported after, exit 1. */
#pragma once

#include <jansson.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/table.h"

/* Fetches one object by name into *ret. */
typedef int (*cli_inspect_fn)(struct client *c, const char *name, json_t **ret,
			      struct error *err);

int cli_inspect_run(struct cli *cli, const char *format, const struct cli_strv *names,
		    cli_inspect_fn fetch);

/* Writes items as docker's json.MarshalIndent(items, "", "    ") does. */
void cli_print_json_indent(FILE *f, json_t *items);

/* Help for a list command's --format (with the 'table' forms). */
extern const char cli_table_format_help[];

/* Helpers shared by the list commands (cmd_volume.c). */
char *cli_labels_string(json_t *labels);
json_t *cli_volume_row(json_t *v);
int cli_print_rows(const struct cli *cli, struct table *t, json_t *items,
		   json_t *(*to_row)(json_t *), json_t *headers);
void cli_print_prune_report(const struct cli *cli, const char *heading, json_t *deleted,
			    double reclaimed);
