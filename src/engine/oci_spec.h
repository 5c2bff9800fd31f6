/* The OCI runtime spec (a bundle's config.json) for a container, from its
 * Docker Config and HostConfig, with Docker's defaults: capabilities, masked
 * and read-only paths, mounts, namespaces, device rules. Pure: the inputs
 * carry everything that needs disk (resolved user, mount sources), so the
 * result is a function of them and unit-testable.
 *
 * Not in this slice: AppArmor, user namespaces, every host device for
 * --privileged. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"

#define OCI_MAX_GROUPS 64

/* A process identity resolved against the container's /etc/passwd and
 * /etc/group. */
struct oci_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[OCI_MAX_GROUPS]; /* supplementary groups */
	size_t n_groups;
};

/* One mount a user asked for, resolved to host paths. */
struct oci_mount {
	const char *type;	 /* "bind", "volume" or "tmpfs" */
	const char *source;	 /* host path (bind, volume); ignored for tmpfs */
	const char *destination; /* absolute path in the container */
	bool readonly;
	const char *tmpfs_opts; /* "size=64m,mode=1777" or NULL */
};

struct oci_inputs {
	const char *id;
	json_t *config;	     /* the container's Config, image defaults merged in */
	json_t *host_config; /* its HostConfig */
	const char *rootfs;  /* host path of the mounted root filesystem */
	const char *hostname_path, *hosts_path, *resolv_path; /* host files to bind */
	const char *netns_path; /* a network namespace made by berthd, or NULL */
	const struct oci_user *user;
	const struct oci_mount *mounts;
	size_t n_mounts;
	bool swap_limit; /* the kernel accounts swap (memory.memsw files exist) */
	/* Capabilities the daemon itself may grant (its bounding set): "all"
	 * (privileged, --cap-add ALL) means these. 0: every known one. */
	uint64_t cap_bounding;
	const char *init_path; /* berth-init, bind-mounted for HostConfig.Init */
	json_t *link_env;      /* legacy links' variables, before Config.Env; may be NULL */
	/* HostConfig's devices and blkio device lists resolved on the host
	 * (container_devices.h); may be NULL. */
	json_t *devices, *block_io;
};

/* Builds config.json into *ret. -EINVAL with Docker's wording for bad
 * input: no command, an unknown capability, a bad tmpfs option. */
int oci_spec_build(const struct oci_inputs *in, json_t **ret, struct error *err);

/* linux.resources' memory, cpu (with cpuset), pids and blockIO for HostConfig
 * hc (also what `runc update` takes); swap_limit: the kernel accounts swap;
 * block_io: the blkio device lists resolved on the host, or NULL. */
json_t *oci_resources(json_t *hc, bool swap_limit, json_t *block_io);

/* linux.seccomp for HostConfig hc and the process's effective capabilities
 * caps (names): Docker's default intent, a user profile in Docker's format
 * (--security-opt seccomp=<json>), or *ret = NULL for unconfined and
 * --privileged. */
int oci_seccomp(json_t *hc, json_t *caps, json_t **ret, struct error *err);

/* Resolves a Docker user spec ("", "name", "uid", "name:group", "uid:gid")
 * as runc and Docker do, reading etc/passwd and etc/group of the root
 * filesystem at rootfs (paths resolved inside it, never on the host). Empty
 * means root. A numeric uid absent from passwd runs with gid 0; a name
 * absent gives -EINVAL "unable to find user NAME: no matching entries in
 * passwd file". Supplementary groups are the user's groups in etc/group. */
int oci_user_resolve(const char *rootfs, const char *spec, struct oci_user *ret, struct error *err);

/* HostConfig.GroupAdd (a JSON array of gids and group names of the
 * container's /etc/group) added to u's supplementary groups, as dockerd
 * does. -EINVAL "Unable to find group x" for a name the file lacks. */
int oci_user_add_groups(const char *rootfs, json_t *names, struct oci_user *u, struct error *err);

/* The same against passwd and group file contents (NULL: file absent). */
int oci_user_resolve_text(const char *passwd, const char *group, const char *spec,
			  struct oci_user *ret, struct error *err);

/* Docker's default capability set, NULL-terminated, "CAP_" names. */
extern const char *const oci_default_caps[];

/* Normalizes a capability name given by a user ("net_admin", "CAP_NET_ADMIN")
 * into buf as "CAP_NET_ADMIN"; "ALL" stays "ALL". -EINVAL when unknown. */
int oci_cap_normalize(const char *name, char *buf, size_t len);
