/* Host facts for /info and /version. Reads files only; never fails: a fact
 * that cannot be read is reported as absent. */
#include "sysinfo.h"

#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "basic/cleanup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static bool read_flag_file(const char *p)
{
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	int v = 0;
	return f && fscanf(f, "%d", &v) == 1 && v == 1;
}

/* PRETTY_NAME and VERSION_ID from os-release, without quotes. */
static void read_os_release(struct sysinfo_host *h)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
	if (!f)
		f = fopen("/usr/lib/os-release", "re");
	snprintf(h->operating_system, sizeof(h->operating_system), "Linux");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		size_t n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		if (strcmp(line, "PRETTY_NAME") == 0)
			snprintf(h->operating_system, sizeof(h->operating_system), "%s", v);
		else if (strcmp(line, "VERSION_ID") == 0)
			snprintf(h->os_version, sizeof(h->os_version), "%s", v);
	}
}

static void read_meminfo(struct sysinfo_host *h)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			h->mem_total = kb * 1024;
}

static void read_cgroups(struct sysinfo_host *h)
{
	struct statfs sfs;
	h->cgroup_version = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
	if (h->cgroup_version == 2) {
		_cleanup_fclose_ FILE *f = fopen("/sys/fs/cgroup/cgroup.controllers", "re");
		char ctl[512] = "";
		if (f && !fgets(ctl, sizeof(ctl), f))
			ctl[0] = '\0';
		h->memory_limit = h->swap_limit = strstr(ctl, "memory") != NULL;
		h->cpu_cfs_period = h->cpu_cfs_quota = h->cpu_shares = strstr(ctl, "cpu ") || strstr(ctl, "cpu\n");
		h->cpuset = strstr(ctl, "cpuset") != NULL;
		h->pids_limit = strstr(ctl, "pids") != NULL;
		return;
	}
	h->memory_limit = path_exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
	h->swap_limit = path_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
	h->kernel_memory_tcp = path_exists("/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes");
	h->oom_kill_disable = path_exists("/sys/fs/cgroup/memory/memory.oom_control");
	h->cpu_cfs_period = path_exists("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
	h->cpu_cfs_quota = path_exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
	h->cpu_shares = path_exists("/sys/fs/cgroup/cpu/cpu.shares");
	h->cpuset = path_exists("/sys/fs/cgroup/cpuset/cpuset.cpus");
	h->pids_limit = path_exists("/sys/fs/cgroup/pids");
}

static const char *go_arch(const char *machine)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"armv7l", "arm"},
		{"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(machine, map[i][0]) == 0)
			return map[i][1];
	return machine;
}

void sysinfo_collect(struct sysinfo_host *h)
{
	*h = (struct sysinfo_host){0};
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(h->kernel_version, sizeof(h->kernel_version), "%s", u.release);
		snprintf(h->architecture, sizeof(h->architecture), "%s", u.machine);
		snprintf(h->go_arch, sizeof(h->go_arch), "%s", go_arch(u.machine));
	}
	if (gethostname(h->hostname, sizeof(h->hostname)) < 0)
		snprintf(h->hostname, sizeof(h->hostname), "localhost");
	h->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	read_os_release(h);
	read_meminfo(h);
	read_cgroups(h);
	h->ipv4_forwarding = read_flag_file("/proc/sys/net/ipv4/ip_forward");
	h->bridge_nf_iptables = read_flag_file("/proc/sys/net/bridge/bridge-nf-call-iptables");
	h->bridge_nf_ip6tables = read_flag_file("/proc/sys/net/bridge/bridge-nf-call-ip6tables");
}
