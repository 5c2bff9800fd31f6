/* `berth system`: the management command grouping df, events and info. */
#include "basic/cleanup.h"
#include "cli/cli.h"

static const struct cli_subcommand subcommands[] = {
    {"df", NULL, "Show docker disk usage", cli_cmd_system_df},
    {"events", NULL, "Get real time events from the server", cli_cmd_events},
    {"info", NULL, "Display system-wide information", cli_cmd_info},
};

int cli_cmd_system(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage Berth", subcommands, ARRAY_SIZE(subcommands),
			     argc, argv);
}
