/* Task state names and order (see task_state.h). */
#include "orchestrator/task_state.h"

#include <string.h>

static const char *const names[TASK_STATE_COUNT] = {
    "new",     "pending",  "assigned", "accepted", "preparing", "ready",  "starting",
    "running", "complete", "shutdown", "failed",   "rejected",	"remove", "orphaned",
};

const char *task_state_name(enum task_state s)
{
	return s < TASK_STATE_COUNT ? names[s] : "unknown";
}

enum task_state task_state_parse(const char *name)
{
	for (int i = 0; name && i < TASK_STATE_COUNT; i++)
		if (strcmp(names[i], name) == 0)
			return (enum task_state)i;
	return TASK_NEW;
}
