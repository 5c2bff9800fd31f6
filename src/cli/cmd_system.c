/* `berth system`: the management command grouping info and events. */
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"

static const struct {
	const char *name;
	const char *summary;
	int (*run)(struct cli *cli, const char *cmd_path, int argc, char **argv);
} subcommands[] = {
    {"events", "Get real time events from the server", cli_cmd_events},
    {"info", "Display system-wide information", cli_cmd_info},
};

static void print_help(FILE *f)
{
	fprintf(f, "Usage:  berth system COMMAND\n\nManage Berth\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\nRun 'berth system COMMAND --help' for more information on a command.\n");
}

int cli_cmd_system(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	if (argc == 0 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		print_help(cli->out);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (strcmp(argv[0], subcommands[i].name) != 0)
			continue;
		char path[64];
		snprintf(path, sizeof(path), "%s %s", cmd_path, subcommands[i].name);
		return subcommands[i].run(cli, path, argc - 1, argv + 1);
	}
	if (argv[0][0] == '-') {
		char msg[256];
		snprintf(msg, sizeof(msg), "unknown flag: %s", argv[0]);
		return cli_usage_error(cli, cmd_path, "berth system", msg);
	}
	fprintf(cli->err,
		"berth: unknown command: berth system %s\n\nUsage:  berth system\n\nRun 'berth "
		"system --help' for more information\n",
		argv[0]);
	return CLI_EXIT_FAILURE;
}
