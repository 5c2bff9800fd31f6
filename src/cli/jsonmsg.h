/* docker's jsonmessage display for a non-terminal, shared by the commands
 * whose answer is a stream of JSON messages (pull, push, load, import):
 * "stream" text as is, "status" lines (with "id: " before), progress bars
 * and aux messages left out; the first "error" ends the command. */
#pragma once

#include <stdbool.h>

#include "basic/error.h"
#include "cli/client.h"

struct cli;

/* Sends rq (its fn and userdata are set here) and shows the messages of
 * the answer, none when quiet. The daemon's error message becomes err's
 * (-EIO). */
int jsonmsg_request(const struct cli *cli, struct client_req *rq, bool quiet, struct error *err);
