/* What the kernel's cgroups can limit, probed once at start-up (dockerd's
 * sysinfo), and dockerd's adjustments of a HostConfig to it: a limit the
 * kernel cannot apply is dropped with a warning the client prints, a cpuset
 * the machine does not have is refused. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"

struct cgroup_support {
	bool blkio_weight, blkio_weight_device;
	bool blkio_read_bps, blkio_write_bps, blkio_read_iops, blkio_write_iops;
	char cpus[256], mems[256]; /* the CPUs and memory nodes on offer, "0-1" */
};

void cgroup_support_probe(struct cgroup_support *ret);

/* A cpuset list ("0-2,4", "" for none) as dockerd's parsers.ParseUintList
 * reads it: false on bad syntax; else each range is given to each (may be
 * NULL), and a false from it is the answer. */
bool cgroup_cpuset_parse(const char *s, bool (*each)(long lo, long hi, void *data), void *data);

/* dockerd's verifyPlatformContainerResources for the blkio and cpuset parts:
 * drops from hc what cg cannot do, appending dockerd's warning to warnings
 * (may be NULL); -EINVAL "Requested CPUs are not available - ..." for a cpuset
 * outside what is on offer. Pure. */
int cgroup_support_adjust(const struct cgroup_support *cg, json_t *hc, json_t *warnings,
			  struct error *err);
