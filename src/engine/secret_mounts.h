/* Secrets and configs of a swarm task's container, as dockerd mounts them:
 * the decrypted data goes to files on a tmpfs of the container's own
 * (<data-root>/containers/<id>/secrets: mode 0700, nosuid, nodev, noexec,
 * read-only once written), never to a disk, and each file is bind-mounted
 * read-only at its target (/run/secrets/<name> for a secret). The mounts are
 * recorded in the container's MountPoints, marked "Secret" (the OCI spec of
 * every start has them; inspect does not show them), and the tmpfs stays
 * until the container is removed, so a restart by policy finds them. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "basic/error.h"

struct containers;
struct container;

struct secret_file {
	const char *id;	    /* the secret's or config's ID (names the host file) */
	const char *target; /* absolute path in the container */
	const void *data;
	size_t len;
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits, e.g. 0444 */
};

/* Replaces c's secret mounts with files (n may be 0) and saves c. For a
 * container that is not running. -EINVAL for a relative target or one
 * given twice, -EBUSY when running, or the mount's or a write's error;
 * nothing is left mounted on failure. */
int container_secrets_set(struct containers *cs, struct container *c,
			  const struct secret_file *files, size_t n, struct error *err);

/* Unmounts and removes c's secrets directory, whatever berthd recorded (a
 * crash may have come between the mount and the record). Idempotent. */
int container_secrets_clear(struct containers *cs, struct container *c, struct error *err);
