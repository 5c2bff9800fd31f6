#include "engine/cgroup_support.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"

#define CPUSET_MAX 4096

static bool v1_has(const char *file)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/fs/cgroup/blkio/%s", file);
	return access(path, F_OK) == 0;
}

/* The first line of a cpuset file, or "" when it cannot be read. */
static void read_set(const char *v1, const char *v2, char *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	buf[0] = '\0';
	if (fs_read_file(v1, 4096, &text, NULL) < 0 && fs_read_file(v2, 4096, &text, NULL) < 0)
		return;
	snprintf(buf, len, "%.*s", (int)strcspn(text, "\n"), text);
}

/* word is one of the space-separated words of list ("cpuset cpu io memory"). */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

void cgroup_support_probe(struct cgroup_support *ret)
{
	*ret = (struct cgroup_support){0};
	if (access("/sys/fs/cgroup/blkio", F_OK) == 0) {
		/* cgroup v1: the weights need the BFQ or CFQ scheduler. */
		ret->blkio_weight = v1_has("blkio.weight") || v1_has("blkio.bfq.weight");
		ret->blkio_weight_device =
		    v1_has("blkio.weight_device") || v1_has("blkio.bfq.weight_device");
		ret->blkio_read_bps = v1_has("blkio.throttle.read_bps_device");
		ret->blkio_write_bps = v1_has("blkio.throttle.write_bps_device");
		ret->blkio_read_iops = v1_has("blkio.throttle.read_iops_device");
		ret->blkio_write_iops = v1_has("blkio.throttle.write_iops_device");
	} else {
		_cleanup_free_ char *ctl = NULL;
		bool io =
		    fs_read_file("/sys/fs/cgroup/cgroup.controllers", 4096, &ctl, NULL) == 0 &&
		    has_word(ctl, "io");
		ret->blkio_weight = ret->blkio_weight_device = io;
		ret->blkio_read_bps = ret->blkio_write_bps = io;
		ret->blkio_read_iops = ret->blkio_write_iops = io;
	}
	read_set("/sys/fs/cgroup/cpuset/cpuset.cpus", "/sys/fs/cgroup/cpuset.cpus.effective",
		 ret->cpus, sizeof(ret->cpus));
	read_set("/sys/fs/cgroup/cpuset/cpuset.mems", "/sys/fs/cgroup/cpuset.mems.effective",
		 ret->mems, sizeof(ret->mems));
}

bool cgroup_cpuset_parse(const char *s, bool (*each)(long lo, long hi, void *data), void *data)
{
	if (!*s)
		return true;
	for (const char *p = s;;) {
		char *end;
		if (!isdigit((unsigned char)*p))
			return false;
		long lo = strtol(p, &end, 10), hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return false;
			hi = strtol(p, &end, 10);
		}
		if (hi < lo || (each && !each(lo, hi, data)))
			return false;
		if (!*end)
			return true;
		if (*end != ',')
			return false;
		p = end + 1;
	}
}

static bool set_bits(long lo, long hi, void *data)
{
	unsigned char *bits = data;
	if (hi >= CPUSET_MAX)
		return false;
	for (long i = lo; i <= hi; i++)
		bits[i / 8] |= (unsigned char)(1u << (i % 8));
	return true;
}

/* s into a bitmap of CPUSET_MAX bits; false on bad syntax or a bigger
 * member. */
static bool parse_set(const char *s, unsigned char *bits)
{
	memset(bits, 0, CPUSET_MAX / 8);
	return cgroup_cpuset_parse(s, set_bits, bits);
}

/* Every member of want is in offer (an offer that cannot be read allows
 * anything: the runtime has the last word; a member beyond CPUSET_MAX is on
 * no machine). */
static bool set_within(const char *want, const char *offer)
{
	unsigned char w[CPUSET_MAX / 8], o[CPUSET_MAX / 8];
	if (!*offer || !parse_set(offer, o))
		return true;
	if (!parse_set(want, w))
		return false;
	for (size_t i = 0; i < sizeof(w); i++)
		if (w[i] & ~o[i])
			return false;
	return true;
}

static void warn(json_t *warnings, const char *text)
{
	if (warnings)
		json_array_append_new(warnings, json_string(text));
}

static void drop_list(json_t *hc, const char *key, bool supported, json_t *warnings,
		      const char *text)
{
	if (supported || !json_array_size(json_object_get(hc, key)))
		return;
	warn(warnings, text);
	json_object_set_new(hc, key, json_array());
}

int cgroup_support_adjust(const struct cgroup_support *cg, json_t *hc, json_t *warnings,
			  struct error *err)
{
	const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
	const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
	if (cpus && *cpus && !set_within(cpus, cg->cpus))
		return error_set(err, -EINVAL,
				 "Requested CPUs are not available - requested %s, available: %s",
				 cpus, cg->cpus);
	if (mems && *mems && !set_within(mems, cg->mems))
		return error_set(
		    err, -EINVAL,
		    "Requested memory nodes are not available - requested %s, available: %s", mems,
		    cg->mems);
	if (json_integer_value(json_object_get(hc, "BlkioWeight")) > 0 && !cg->blkio_weight) {
		warn(warnings, "Your kernel does not support Block I/O weight or the cgroup is not "
			       "mounted. Weight discarded.");
		json_object_set_new(hc, "BlkioWeight", json_integer(0));
	}
	const struct {
		const char *key;
		bool supported;
		const char *text;
	} lists[] = {
	    {"BlkioWeightDevice", cg->blkio_weight_device,
	     "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. "
	     "Weight-device discarded."},
	    {"BlkioDeviceReadBps", cg->blkio_read_bps,
	     "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. "
	     "Block I/O BPS read limit discarded."},
	    {"BlkioDeviceWriteBps", cg->blkio_write_bps,
	     "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. "
	     "Block I/O BPS write limit discarded."},
	    {"BlkioDeviceReadIOps", cg->blkio_read_iops,
	     "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. "
	     "Block I/O IOPS read limit discarded."},
	    {"BlkioDeviceWriteIOps", cg->blkio_write_iops,
	     "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. "
	     "Block I/O IOPS write limit discarded."},
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		drop_list(hc, lists[i].key, lists[i].supported, warnings, lists[i].text);
	return 0;
}
