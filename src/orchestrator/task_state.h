/* Task states as SwarmKit orders them (api/types.proto TaskState): a task
 * only moves forward. Pure helpers over the Engine API's lowercase names. */
#pragma once

#include <stdbool.h>

enum task_state {
	TASK_NEW,
	TASK_PENDING,
	TASK_ASSIGNED,
	TASK_ACCEPTED,
	TASK_PREPARING,
	TASK_READY,
	TASK_STARTING,
	TASK_RUNNING,
	TASK_COMPLETE,
	TASK_SHUTDOWN,
	TASK_FAILED,
	TASK_REJECTED,
	TASK_REMOVE,
	TASK_ORPHANED,
	TASK_STATE_COUNT,
};

/* "new", "pending", ... */
const char *task_state_name(enum task_state s);
/* The state for a name; TASK_NEW for NULL or an unknown name. */
enum task_state task_state_parse(const char *name);
/* complete, shutdown, failed, rejected, remove, orphaned: the task is over. */
static inline bool task_state_final(enum task_state s)
{
	return s > TASK_RUNNING;
}
