/* Facts about the host that /info and /version report, read once at start
 * from uname, /proc, /etc/os-release and the cgroup mounts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sysinfo_host {
	char kernel_version[72];
	char operating_system[256];
	char os_version[64];
	char architecture[72]; /* uname's machine: x86_64 */
	char go_arch[72];      /* Docker's spelling: amd64 */
	char hostname[256];
	long ncpu;
	int64_t mem_total;
	int cgroup_version; /* 1 or 2 */
	bool memory_limit, swap_limit, cpu_cfs_period, cpu_cfs_quota, cpu_shares, cpuset,
		pids_limit, kernel_memory_tcp, oom_kill_disable;
	bool ipv4_forwarding, bridge_nf_iptables, bridge_nf_ip6tables;
};

void sysinfo_collect(struct sysinfo_host *h);
