/* Files of a task's secrets and configs (see task_secrets.h). */
#include "swarm/task_secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/seal.h"
#include "swarm/store_secrets.h"

#define SECRETS_MOUNT_PATH "/run/secrets"
#define CONFIGS_MOUNT_PATH ""
#define DEFAULT_MODE 0444

void task_files_free(struct task_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->targets[i]);
		if (f->datas[i])
			explicit_bzero(f->datas[i], f->v[i].len);
		free(f->datas[i]);
	}
	free(f->v);
	free(f->targets);
	free(f->datas);
	*f = (struct task_files){0};
}

static unsigned long id_of(json_t *file, const char *key)
{
	const char *s = json_string_value(json_object_get(file, key));
	return s && *s ? strtoul(s, NULL, 10) : 0;
}

static int add(struct task_files *f, json_t *ref, enum store_kind k, json_t *datas,
	       struct error *err)
{
	json_t *file = json_object_get(ref, "File");
	if (!json_is_object(file))
		return 0; /* a config for the runtime, not a file */
	const char *id =
	    json_string_value(json_object_get(ref, k == STORE_SECRET ? "SecretID" : "ConfigID"));
	const char *name = json_string_value(json_object_get(file, "Name")) ?: "";
	const char *b64 = id ? json_string_value(json_object_get(datas, id)) : NULL;
	if (!b64)
		return error_set(err, -ENOENT, "%s %s not found", store_kind_name(k),
				 json_string_value(json_object_get(
				     ref, k == STORE_SECRET ? "SecretName" : "ConfigName"))
				     ?: "");
	size_t i = f->n;
	struct secret_file *sf = &f->v[i];
	if (name[0] == '/')
		f->targets[i] = strdup(name);
	else if (asprintf(&f->targets[i], "%s/%s",
			  k == STORE_SECRET ? SECRETS_MOUNT_PATH : CONFIGS_MOUNT_PATH, name) < 0)
		f->targets[i] = NULL;
	if (!f->targets[i])
		return error_set(err, -ENOMEM, "out of memory");
	f->n++;
	if (seal_unb64_alloc(b64, &f->datas[i], &sf->len) < 0)
		return error_set(err, -EINVAL, "%s %s: bad data", store_kind_name(k), id);
	json_t *mode = json_object_get(file, "Mode");
	sf->id = id;
	sf->target = f->targets[i];
	sf->data = f->datas[i];
	sf->uid = (uid_t)id_of(file, "UID");
	sf->gid = (gid_t)id_of(file, "GID");
	sf->mode = json_is_integer(mode) ? (mode_t)json_integer_value(mode) & 07777 : DEFAULT_MODE;
	return 0;
}

int task_files_build(json_t *task, json_t *secrets, json_t *configs, struct task_files *out,
		     struct error *err)
{
	json_t *cs = json_object_get(json_object_get(task, "Spec"), "ContainerSpec");
	json_t *srefs = json_object_get(cs, "Secrets"), *crefs = json_object_get(cs, "Configs");
	size_t max = json_array_size(srefs) + json_array_size(crefs);
	struct task_files f = {0};
	if (max == 0) {
		*out = f;
		return 0;
	}
	f.v = calloc(max, sizeof(*f.v));
	f.targets = calloc(max, sizeof(*f.targets));
	f.datas = calloc(max, sizeof(*f.datas));
	int r = f.v && f.targets && f.datas ? 0 : error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *ref;
	json_array_foreach(srefs, i, ref)
	{
		if (r == 0)
			r = add(&f, ref, STORE_SECRET, secrets, err);
	}
	json_array_foreach(crefs, i, ref)
	{
		if (r == 0)
			r = add(&f, ref, STORE_CONFIG, configs, err);
	}
	if (r < 0) {
		task_files_free(&f);
		return r;
	}
	*out = f;
	return 0;
}
