/* docker's inspect printer (cli/command/inspect). */
#include "cli/inspect.h"

#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"

const char cli_table_format_help[] = "Format output using a custom template:\n"
				     "'table':            Print output in table format\n"
				     "with column headers (default)\n"
				     "'table TEMPLATE':   Print output in table format\n"
				     "using the given Go template\n"
				     "'json':             Print in JSON format\n"
				     "'TEMPLATE':         Print output using the given\n"
				     "Go template.\n"
				     "Refer to https://docs.docker.com/go/formatting/\n"
				     "for more information about formatting output with\n"
				     "templates";

void cli_print_json_indent(FILE *f, json_t *items)
{
	if (json_array_size(items) == 0) {
		fprintf(f, "[]\n");
		return;
	}
	/* The daemon's JSON re-indented, as docker's json.Indent of the raw
	 * answer: no HTML escaping added. */
	_cleanup_free_ char *s = json_dumps(items, JSON_INDENT(4) | JSON_ENCODE_ANY);
	if (s)
		fprintf(f, "%s\n", s);
}

static int print_templated(const struct cli *cli, const char *format, json_t *items)
{
	struct error err = ERROR_INIT;
	struct format_tmpl *t = NULL;
	/* Like docker: \t and \n escapes are not expanded here, json is. */
	if (format_parse(format, "", &t, &err) < 0) {
		fprintf(cli->err, "template parsing error: %s\n", error_msg(&err));
		error_clear(&err);
		return CLI_EXIT_FAILURE;
	}
	size_t i;
	json_t *it;
	int code = CLI_EXIT_OK;
	json_array_foreach(items, i, it) {
		_cleanup_free_ char *out = NULL;
		if (format_exec(t, it, &out, &err) < 0) {
			fprintf(cli->err, "template parsing error: %s\n", error_msg(&err));
			error_clear(&err);
			code = CLI_EXIT_FAILURE;
			break;
		}
		fprintf(cli->out, "%s\n", out);
	}
	format_free(t);
	return code;
}

int cli_inspect_run(struct cli *cli, const char *format, const struct cli_strv *names,
		    cli_inspect_fn fetch)
{
	struct error err = ERROR_INIT;
	struct client c;
	if (client_init(&c, cli, &err) < 0) {
		int code = cli_fail(cli, &err);
		error_clear(&err);
		return code;
	}
	_cleanup_(cli_json_decrefp) json_t *items = json_array();
	_cleanup_free_ char *errors = NULL;
	for (size_t i = 0; items && i < names->n; i++) {
		json_t *obj = NULL;
		if (fetch(&c, names->v[i], &obj, &err) == 0) {
			json_array_append_new(items, obj);
			continue;
		}
		char *more = NULL;
		if (asprintf(&more, "%s%s\n", errors ? errors : "", error_msg(&err)) >= 0) {
			free(errors);
			errors = more;
		}
		error_clear(&err);
		/* The daemon is not there: no point asking about the others. */
		if (json_array_size(items) == 0 && strstr(errors, "Cannot connect"))
			break;
	}
	client_done(&c);
	int code = CLI_EXIT_OK;
	if (format && *format)
		code = print_templated(cli, format, items);
	else
		cli_print_json_indent(cli->out, items);
	if (errors) {
		fflush(cli->out); /* docker's order: the objects, then the errors */
		fputs(errors, cli->err);
		code = CLI_EXIT_FAILURE;
	}
	return code;
}
