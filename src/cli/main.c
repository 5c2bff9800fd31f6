/* berth: the docker-compatible command line client of berthd. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_run(argc, argv);
}
