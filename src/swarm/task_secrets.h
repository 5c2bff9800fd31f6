/* The files of a task's secrets and configs, as dockerd lays them out: a
 * secret's relative target goes under /run/secrets/, a config's under /;
 * UID and GID default to 0 and the mode to 0444. The data comes from what
 * the dispatcher sent with the assignments (ID -> base64). Pure. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "engine/secret_mounts.h"

struct task_files {
	struct secret_file *v;
	size_t n;
	char **targets;	 /* owned, one per file */
	uint8_t **datas; /* owned, wiped when freed */
};

/* Fills out (zeroed by the caller) for task's references, secrets and
 * configs being ID -> base64 data. -ENOENT "secret X not found" when the
 * data of one is missing; out is left empty on failure. */
int task_files_build(json_t *task, json_t *secrets, json_t *configs, struct task_files *out,
		     struct error *err);
void task_files_free(struct task_files *f);
