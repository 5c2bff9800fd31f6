/* What `docker service create|update|rollback` show without --detach: the
 * tasks of the service's current spec counted as they come up, then the
 * monitor period waited out ("overall progress: 2 out of 2 tasks", "verify:
 * Waiting 5 seconds to verify that tasks are stable...", "verify: Service
 * web converged"), and the update's pause or rollback as docker's CLI
 * reports them. Lines are printed as the values change (docker's output
 * when it is not a terminal). */
#pragma once

#include <stdbool.h>

#include "basic/error.h"
#include "cli/cli.h"

/* Follows service id (shown as shown) until it converges, printing
 * nothing when quiet: 0, or -EIO with
 * "service update paused: MSG", "service rollback paused: MSG" or "service
 * rolled back: MSG", or the error of a failed request. */
int cli_service_progress(const struct cli *cli, const char *id, const char *shown, bool quiet,
			 struct error *err);
