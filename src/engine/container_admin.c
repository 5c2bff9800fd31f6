/* Pause and unpause through the freezer (the cgroup runc made from the
 * spec's cgroupsPath /berth/<id>: freezer.state on cgroup v1, cgroup.freeze
 * on v2; runc reads the same files for its own state), and rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/health.h"

static int write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		return -errno;
	return 0;
}

/* v1's freezer goes through FREEZING: wait (briefly) until it settles so
 * that State.Paused means frozen. */
static void wait_frozen(const char *path)
{
	for (int i = 0; i < 200; i++) {
		char buf[32] = "";
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0 || strncmp(buf, "FREEZING", 8))
			return;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
}

static int set_frozen(const struct container *c, bool frozen, struct error *err)
{
	char v1[160], v2[160];
	snprintf(v1, sizeof(v1), "/sys/fs/cgroup/freezer/berth/%s/freezer.state", c->id);
	snprintf(v2, sizeof(v2), "/sys/fs/cgroup/berth/%s/cgroup.freeze", c->id);
	int r;
	if (access(v1, F_OK) == 0) {
		r = write_text(v1, frozen ? "FROZEN" : "THAWED");
		if (r == 0 && frozen)
			wait_frozen(v1);
	} else {
		r = write_text(v2, frozen ? "1" : "0");
	}
	if (r < 0)
		return error_set(err, r, "Cannot %s container %s: %s", frozen ? "pause" : "unpause",
				 c->id, strerror(-r));
	return 0;
}

int container_pause(struct containers *cs, struct container *c, struct error *err)
{
	if (c->state != CONTAINER_RUNNING)
		return error_set(err, -EBUSY, "Container %s is not running", c->id);
	if (c->paused)
		return error_set(err, -EBUSY, "Container %s is already paused", c->id);
	int r = set_frozen(c, true, err);
	if (r < 0)
		return r;
	c->paused = true;
	health_container_stopped(cs, c);
	container_save(cs, c, NULL);
	container_event(cs, c, "pause", NULL);
	return 0;
}

int container_unpause(struct containers *cs, struct container *c, struct error *err)
{
	if (c->state != CONTAINER_RUNNING || !c->paused)
		return error_set(err, -EBUSY, "Container %s is not paused", c->id);
	int r = set_frozen(c, false, err);
	if (r < 0)
		return r;
	c->paused = false;
	container_save(cs, c, NULL);
	container_event(cs, c, "unpause", NULL);
	health_container_resumed(cs, c);
	return 0;
}

void container_thaw(struct containers *cs, struct container *c)
{
	if (!c->paused || c->state != CONTAINER_RUNNING)
		return;
	struct error err = ERROR_INIT;
	if (container_unpause(cs, c, &err) < 0)
		log_warn(cs->deps.log, "%s", error_msg(&err));
	error_clear(&err);
}

int container_rename(struct containers *cs, struct container *c, const char *name,
		     struct error *err)
{
	if (!name || !*name)
		return error_set(err, -EINVAL, "Neither old nor new names may be empty");
	const char *bare = name[0] == '/' ? name + 1 : name;
	if (strcmp(bare, c->name + 1) == 0)
		return error_set(err, -EINVAL,
				 "Renaming a container with the same name as its current name");
	int r = container_validate_name(cs, name, err);
	if (r < 0)
		return r;
	char *old = c->name;
	if (asprintf(&c->name, "/%s", bare) < 0) {
		c->name = old;
		return error_set(err, -ENOMEM, "out of memory");
	}
	r = container_save(cs, c, err);
	if (r < 0) {
		free(c->name);
		c->name = old;
		return r;
	}
	container_event(cs, c, "rename", json_pack("{s:s}", "oldName", old));
	free(old);
	return 0;
}
