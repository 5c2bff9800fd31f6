/* /_ping, /version and /info. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/system_df.h"
#include "shared/api_version.h"
#include "basic/build_info.h"
#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "shared/events.h"
#include "image/image_store.h"
#include "storage/driver.h"
#include "swarm/swarm.h"
#include "image/images.h"

static void api_ping(const struct api_request *ar)
{
	/* The CLI negotiates its API version from these headers. */
	const struct http_header headers[] = {
	    {"Builder-Version", "1"},
	    {"Cache-Control", "no-cache, no-store, must-revalidate"},
	    {"Pragma", "no-cache"},
	    {"Swarm", swarm_ping_state(ar->d->swarm)},
	};
	http_reply(ar->conn, 200, "text/plain; charset=utf-8", headers,
		   sizeof(headers) / sizeof(headers[0]), "OK", 2);
}

static void api_version(const struct api_request *ar)
{
	const struct sysinfo_host *h = &ar->d->host;
	json_t *details = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", API_VERSION_MAX, "Arch",
	    h->go_arch, "BuildTime", BERTH_BUILD_TIME, "Experimental", "false", "GitCommit",
	    BERTH_GIT_COMMIT, "GoVersion", BERTH_COMPILER, "KernelVersion", h->kernel_version,
	    "MinAPIVersion", API_VERSION_MIN, "Os", "linux");
	json_t *engine = json_pack("{s:s, s:s, s:o}", "Name", "Engine", "Version", BERTH_VERSION,
				   "Details", details);
	json_t *v = json_pack("{s:{s:s}, s:[o], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			      "Platform", "Name", "Berth Engine", "Components", engine, "Version",
			      BERTH_VERSION, "ApiVersion", API_VERSION_MAX, "MinAPIVersion",
			      API_VERSION_MIN, "GitCommit", BERTH_GIT_COMMIT, "GoVersion",
			      BERTH_COMPILER, "Os", "linux", "Arch", h->go_arch, "KernelVersion",
			      h->kernel_version, "BuildTime", BERTH_BUILD_TIME);
	http_reply_json(ar->conn, 200, v);
}

static json_t *labels_json(const struct daemon *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->cfg.n_labels; i++)
		json_array_append_new(a, json_string(d->cfg.labels[i]));
	return a;
}

static int count_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own descriptor */
}

/* Host capabilities, under the names /info uses. */
static void info_add_host(json_t *info, const struct sysinfo_host *h)
{
	json_object_set_new(info, "MemoryLimit", json_boolean(h->memory_limit));
	json_object_set_new(info, "SwapLimit", json_boolean(h->swap_limit));
	json_object_set_new(info, "KernelMemory", json_false());
	json_object_set_new(info, "KernelMemoryTCP", json_boolean(h->kernel_memory_tcp));
	json_object_set_new(info, "CpuCfsPeriod", json_boolean(h->cpu_cfs_period));
	json_object_set_new(info, "CpuCfsQuota", json_boolean(h->cpu_cfs_quota));
	json_object_set_new(info, "CPUShares", json_boolean(h->cpu_shares));
	json_object_set_new(info, "CPUSet", json_boolean(h->cpuset));
	json_object_set_new(info, "PidsLimit", json_boolean(h->pids_limit));
	json_object_set_new(info, "OomKillDisable", json_boolean(h->oom_kill_disable));
	json_object_set_new(info, "IPv4Forwarding", json_boolean(h->ipv4_forwarding));
	json_object_set_new(info, "BridgeNfIptables", json_boolean(h->bridge_nf_iptables));
	json_object_set_new(info, "BridgeNfIp6tables", json_boolean(h->bridge_nf_ip6tables));
	json_object_set_new(info, "CgroupDriver", json_string("cgroupfs"));
	json_object_set_new(info, "CgroupVersion", json_string(h->cgroup_version == 2 ? "2" : "1"));
	json_object_set_new(info, "KernelVersion", json_string(h->kernel_version));
	json_object_set_new(info, "OperatingSystem", json_string(h->operating_system));
	json_object_set_new(info, "OSVersion", json_string(h->os_version));
	json_object_set_new(info, "OSType", json_string("linux"));
	json_object_set_new(info, "Architecture", json_string(h->architecture));
	json_object_set_new(info, "NCPU", json_integer(h->ncpu));
	json_object_set_new(info, "MemTotal", json_integer(h->mem_total));
	json_object_set_new(info, "Name", json_string(h->hostname));
}

static void info_add_containers(json_t *info, struct daemon *d)
{
	json_int_t n = 0, running = 0;
	for (size_t i = 0; d->containers && i < containers_count(d->containers); i++, n++)
		running += containers_at(d->containers, i)->state == CONTAINER_RUNNING;
	json_object_set_new(info, "Containers", json_integer(n));
	json_object_set_new(info, "ContainersRunning", json_integer(running));
	json_object_set_new(info, "ContainersPaused", json_integer(0)); /* no pause yet */
	json_object_set_new(info, "ContainersStopped", json_integer(n - running));
}

/* Plugins: the built-in drivers, as dockerd lists its own. */
static void info_add_engine(json_t *info, struct daemon *d)
{
	info_add_containers(info, d);
	json_object_set_new(
	    info, "Images",
	    json_integer(d->images->store ? (json_int_t)image_store_count(d->images->store) : 0));
	json_object_set_new(info, "Driver",
			    json_string(d->images->storage ? storage_driver_name(d->images->storage)
							   : d->cfg.storage_driver));
	json_object_set_new(info, "DriverStatus",
			    d->images->storage ? storage_driver_status(d->images->storage)
					       : json_array());
	json_object_set_new(info, "Plugins",
			    json_pack("{s:[s], s:[s,s,s,s], s:n, s:[s,s,s,s]}", "Volume", "local",
				      "Network", "bridge", "host", "null", "overlay",
				      "Authorization", "Log", "gelf", "json-file", "local",
				      "syslog"));
	json_object_set_new(
	    info, "LoggingDriver",
	    json_string(json_string_value(json_object_get(d->log_config, "Type")) ?: "json-file"));
	json_t *rts = json_object();
	json_object_set_new(rts, "runc", json_pack("{s:s}", "path", "runc"));
	for (size_t i = 0; i < d->cfg.n_runtimes; i++) {
		const char *e = d->cfg.runtimes[i], *eq = strchr(e, '=');
		_cleanup_free_ char *name = eq ? strndup(e, (size_t)(eq - e)) : NULL;
		if (name)
			json_object_set_new(rts, name, json_pack("{s:s}", "path", eq + 1));
	}
	json_object_set_new(info, "Runtimes", rts);
	json_object_set_new(info, "DefaultRuntime",
			    json_string(d->cfg.default_runtime ? d->cfg.default_runtime : "runc"));
	json_object_set_new(info, "Swarm", swarm_info(d->swarm));
	json_object_set_new(info, "LiveRestoreEnabled", json_false());
	json_object_set_new(info, "Isolation", json_string(""));
	json_object_set_new(info, "InitBinary", json_string(""));
	json_object_set_new(info, "ContainerdCommit",
			    json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
	json_object_set_new(info, "RuncCommit", json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
	json_object_set_new(info, "InitCommit", json_pack("{s:s, s:s}", "ID", "", "Expected", ""));
	json_object_set_new(info, "SecurityOptions", json_array());
	json_object_set_new(info, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
	json_object_set_new(
	    info, "RegistryConfig",
	    json_pack("{s:[], s:[], s:[s], s:{}, s:[]}", "AllowNondistributableArtifactsCIDRs",
		      "AllowNondistributableArtifactsHostnames", "InsecureRegistryCIDRs",
		      "127.0.0.0/8", "IndexConfigs", "Mirrors"));
	json_t *generic = NULL;
	config_generic_resources(&d->cfg, &generic, NULL);
	if (!json_array_size(generic)) {
		json_decref(generic);
		generic = json_null();
	}
	json_object_set_new(info, "GenericResources", generic);
	json_object_set_new(info, "HttpProxy", json_string(""));
	json_object_set_new(info, "HttpsProxy", json_string(""));
	json_object_set_new(info, "NoProxy", json_string(""));
	json_object_set_new(info, "ExperimentalBuild", json_false());
	json_object_set_new(info, "Warnings", json_null());
}

static void api_info(const struct api_request *ar)
{
	struct daemon *d = ar->d;
	char now[64];
	time_format_rfc3339nano(time_now_ns(), now, sizeof(now));
	json_t *info = json_object();
	json_object_set_new(info, "ID", json_string(d->engine_id));
	info_add_engine(info, d);
	info_add_host(info, &d->host);
	json_object_set_new(info, "DockerRootDir", json_string(d->cfg.data_root));
	json_object_set_new(info, "Debug", json_boolean(d->cfg.debug));
	json_object_set_new(info, "NFd", json_integer(count_open_fds()));
	json_object_set_new(info, "NGoroutines", json_integer(1));
	json_object_set_new(info, "SystemTime", json_string(now));
	json_object_set_new(info, "NEventsListener",
			    json_integer((json_int_t)event_log_subscribers(d->events)));
	json_object_set_new(info, "Labels", labels_json(d));
	json_object_set_new(info, "ServerVersion", json_string(BERTH_VERSION));
	http_reply_json(ar->conn, 200, info);
}

static const struct route routes[] = {
    {HTTP_GET, "/_ping", api_ping},	     {HTTP_GET, "/version", api_version},
    {HTTP_GET, "/info", api_info},	     {HTTP_GET, "/events", api_events},
    {HTTP_GET, "/system/df", api_system_df},
};

const struct api_routes api_system_routes = {routes, sizeof(routes) / sizeof(routes[0])};
