/* Host devices a container asks for, looked up on the host at each start
 * (a device's numbers may change across reboots), as dockerd's
 * DevicesFromPath and its blkio device lists do. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

/* HostConfig.Devices as OCI linux.devices entries ({path, type, major, minor,
 * fileMode, uid, gid}) plus each one's cgroup "access" (CgroupPermissions,
 * "rwm" when empty), into *ret (a new array). A directory gives every device
 * node below it. -ENOENT (or what lstat says) with dockerd's "error gathering
 * device information while adding custom device" otherwise. */
int container_devices_resolve(json_t *host_config, json_t **ret, struct error *err);

/* HostConfig's BlkioWeightDevice and BlkioDevice{Read,Write}{Bps,IOps} as
 * OCI linux.resources.blockIO's weightDevice and throttle*Device lists, with
 * the devices' numbers, into *ret (a new object, empty when none are set).
 * A path that is gone: dockerd's "stat PATH: ..." error. */
int container_blkio_resolve(json_t *host_config, json_t **ret, struct error *err);
