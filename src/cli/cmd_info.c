/* `berth info` / `berth system info`: the daemon's /info, laid out as
 * `docker info` lays it out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/format.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *jbool(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k)) ? "true" : "false";
}

/* Go's fmt.Println(label, value): a space between, even before "". */
static void ln(FILE *f, const char *label, const char *value)
{
	fprintf(f, "%s %s\n", label, value);
}

static void ln_nonempty(FILE *f, const char *label, const char *value)
{
	if (*value)
		ln(f, label, value);
}

static void ln_int(FILE *f, const char *label, long long v)
{
	fprintf(f, "%s %lld\n", label, v);
}

/* strings.Join of a JSON string array. */
static void ln_join(FILE *f, const char *label, json_t *arr)
{
	fprintf(f, "%s ", label);
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	    fprintf(f, "%s%s", i ? " " : "", json_string_value(e) ? json_string_value(e) : "");
	fputc('\n', f);
}

static void print_client(FILE *f, json_t *ci)
{
	ln_nonempty(f, " Version:   ", jstr(ci, "Version"));
	ln(f, " Context:   ", jstr(ci, "Context"));
	ln(f, " Debug Mode:", jbool(ci, "Debug"));
}

static void print_cluster(FILE *f, json_t *sw, json_t *cl)
{
	json_t *spec = json_object_get(cl, "Spec");
	char buf[64];
	ln(f, "  ClusterID:", jstr(cl, "ID"));
	ln_int(f, "  Managers:", jint(sw, "Managers"));
	ln_int(f, "  Nodes:", jint(sw, "Nodes"));
	json_t *pool = json_object_get(cl, "DefaultAddrPool");
	if (json_is_array(pool)) {
		fprintf(f, "  Default Address Pool: ");
		size_t i;
		json_t *e;
		json_array_foreach(pool, i, e) fprintf(f, "%s  ", json_string_value(e));
		fputc('\n', f);
		ln_int(f, "  SubnetSize:", jint(cl, "SubnetSize"));
	}
	if (jint(cl, "DataPathPort") > 0)
		ln_int(f, "  Data Path Port:", jint(cl, "DataPathPort"));
	fprintf(f, "  Orchestration:\n");
	ln_int(f, "   Task History Retention Limit:",
	       jint(json_object_get(spec, "Orchestration"), "TaskHistoryRetentionLimit"));
	json_t *raft = json_object_get(spec, "Raft");
	fprintf(f, "  Raft:\n");
	ln_int(f, "   Snapshot Interval:", jint(raft, "SnapshotInterval"));
	if (json_object_get(raft, "KeepOldSnapshots"))
		ln_int(f, "   Number of Old Snapshots to Retain:", jint(raft, "KeepOldSnapshots"));
	ln_int(f, "   Heartbeat Tick:", jint(raft, "HeartbeatTick"));
	ln_int(f, "   Election Tick:", jint(raft, "ElectionTick"));
	fprintf(f, "  Dispatcher:\n");
	format_human_duration(jint(json_object_get(spec, "Dispatcher"), "HeartbeatPeriod"), buf,
			      sizeof(buf));
	ln(f, "   Heartbeat Period:", buf);
	json_t *ca = json_object_get(spec, "CAConfig");
	fprintf(f, "  CA Configuration:\n");
	format_human_duration(jint(ca, "NodeCertExpiry"), buf, sizeof(buf));
	ln(f, "   Expiry Duration:", buf);
	ln_int(f, "   Force Rotate:", jint(ca, "ForceRotate"));
	ln(f, "  Autolock Managers:",
	   jbool(json_object_get(spec, "EncryptionConfig"), "AutoLockManagers"));
	ln(f, "  Root Rotation In Progress:", jbool(cl, "RootRotationInProgress"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_swarm(FILE *f, json_t *sw)
{
	const char *state = jstr(sw, "LocalNodeState");
	ln(f, " Swarm:", state);
	if (strcmp(state, "inactive") == 0 || strcmp(state, "locked") == 0)
		return;
	ln(f, "  NodeID:", jstr(sw, "NodeID"));
	ln_nonempty(f, "  Error:", jstr(sw, "Error"));
	ln(f, "  Is Manager:", jbool(sw, "ControlAvailable"));
	json_t *cl = json_object_get(sw, "Cluster");
	if (json_is_object(cl) && json_is_true(json_object_get(sw, "ControlAvailable")) &&
	    !*jstr(sw, "Error") && strcmp(state, "error") != 0)
		print_cluster(f, sw, cl);
	ln(f, "  Node Address:", jstr(sw, "NodeAddr"));
	json_t *rm = json_object_get(sw, "RemoteManagers");
	size_t n = json_array_size(rm), i;
	if (!n)
		return;
	_cleanup_free_ const char **addrs = calloc(n, sizeof(*addrs));
	if (!addrs)
		return;
	for (i = 0; i < n; i++)
		addrs[i] = jstr(json_array_get(rm, i), "Addr");
	qsort(addrs, n, sizeof(*addrs), cmp_str);
	fprintf(f, "  Manager Addresses:\n");
	for (i = 0; i < n; i++)
		fprintf(f, "   %s\n", addrs[i]);
}

/* "name=seccomp,profile=default" entries, or bare names from old daemons. */
static void print_security(FILE *f, json_t *opts)
{
	if (!json_array_size(opts))
		return;
	fprintf(f, " Security Options:\n");
	size_t i;
	json_t *e;
	json_array_foreach(opts, i, e)
	{
		_cleanup_free_ char *s = strdup(json_string_value(e) ? json_string_value(e) : "");
		if (!s)
			return;
		if (!strstr(s, "name=")) {
			fprintf(f, "  %s\n", s);
			continue;
		}
		char *save = NULL, *profile = NULL;
		for (char *kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			if (strncmp(kv, "name=", 5) == 0)
				fprintf(f, "  %s\n", kv + 5);
			else if (strncmp(kv, "profile=", 8) == 0)
				profile = kv + 8;
		}
		if (profile)
			ln(f, "   Profile:", profile);
	}
}

static void print_plugins(FILE *f, json_t *info)
{
	json_t *pl = json_object_get(info, "Plugins");
	fprintf(f, " Plugins:\n");
	ln_join(f, "  Volume:", json_object_get(pl, "Volume"));
	ln_join(f, "  Network:", json_object_get(pl, "Network"));
	if (json_array_size(json_object_get(pl, "Authorization")))
		ln_join(f, "  Authorization:", json_object_get(pl, "Authorization"));
	ln_join(f, "  Log:", json_object_get(pl, "Log"));
	json_t *cdi = json_object_get(info, "CDISpecDirs"), *e;
	size_t i;
	if (json_array_size(cdi))
		fprintf(f, " CDI spec directories:\n");
	json_array_foreach(cdi, i, e) fprintf(f, "  %s\n", json_string_value(e));
}

static void print_storage(FILE *f, json_t *info)
{
	ln_int(f, " Containers:", jint(info, "Containers"));
	ln_int(f, "  Running:", jint(info, "ContainersRunning"));
	ln_int(f, "  Paused:", jint(info, "ContainersPaused"));
	ln_int(f, "  Stopped:", jint(info, "ContainersStopped"));
	ln_int(f, " Images:", jint(info, "Images"));
	ln_nonempty(f, " Server Version:", jstr(info, "ServerVersion"));
	ln_nonempty(f, " Storage Driver:", jstr(info, "Driver"));
	size_t i;
	json_t *pair;
	json_array_foreach(json_object_get(info, "DriverStatus"), i, pair)
	    fprintf(f, "  %s: %s\n", json_string_value(json_array_get(pair, 0)),
		    json_string_value(json_array_get(pair, 1)));
	json_array_foreach(json_object_get(info, "SystemStatus"), i, pair)
	    fprintf(f, " %s: %s\n", json_string_value(json_array_get(pair, 0)),
		    json_string_value(json_array_get(pair, 1)));
	ln_nonempty(f, " Logging Driver:", jstr(info, "LoggingDriver"));
	ln_nonempty(f, " Cgroup Driver:", jstr(info, "CgroupDriver"));
	ln_nonempty(f, " Cgroup Version:", jstr(info, "CgroupVersion"));
}

static void print_runtimes(FILE *f, json_t *info)
{
	json_t *rt = json_object_get(info, "Runtimes"), *v;
	if (json_object_size(rt)) {
		fprintf(f, " Runtimes:");
		const char *k;
		json_object_foreach(rt, k, v) fprintf(f, " %s", k);
		fputc('\n', f);
		ln(f, " Default Runtime:", jstr(info, "DefaultRuntime"));
	}
	if (strcmp(jstr(info, "OSType"), "linux") == 0) {
		ln(f, " Init Binary:", jstr(info, "InitBinary"));
		ln(f,
		   " containerd version:", jstr(json_object_get(info, "ContainerdCommit"), "ID"));
		ln(f, " runc version:", jstr(json_object_get(info, "RuncCommit"), "ID"));
		ln(f, " init version:", jstr(json_object_get(info, "InitCommit"), "ID"));
		print_security(f, json_object_get(info, "SecurityOptions"));
	}
	if (strcmp(jstr(info, "OSType"), "windows") == 0)
		ln(f, " Default Isolation:", jstr(info, "Isolation"));
}

static void print_host(FILE *f, json_t *info, bool client_debug)
{
	char mem[32];
	ln_nonempty(f, " Kernel Version:", jstr(info, "KernelVersion"));
	ln_nonempty(f, " Operating System:", jstr(info, "OperatingSystem"));
	ln_nonempty(f, " OSType:", jstr(info, "OSType"));
	ln_nonempty(f, " Architecture:", jstr(info, "Architecture"));
	ln_int(f, " CPUs:", jint(info, "NCPU"));
	format_bytes_size((double)jint(info, "MemTotal"), mem, sizeof(mem));
	ln(f, " Total Memory:", mem);
	ln_nonempty(f, " Name:", jstr(info, "Name"));
	ln_nonempty(f, " ID:", jstr(info, "ID"));
	ln(f, " Docker Root Dir:", jstr(info, "DockerRootDir"));
	ln(f, " Debug Mode:", jbool(info, "Debug"));
	/* The daemon always reports these; docker shows them when either side debugs. */
	if (json_is_true(json_object_get(info, "Debug")) || client_debug) {
		ln_int(f, "  File Descriptors:", jint(info, "NFd"));
		ln_int(f, "  Goroutines:", jint(info, "NGoroutines"));
		ln(f, "  System Time:", jstr(info, "SystemTime"));
		ln_int(f, "  EventsListeners:", jint(info, "NEventsListener"));
	}
	ln_nonempty(f, " HTTP Proxy:", jstr(info, "HttpProxy"));
	ln_nonempty(f, " HTTPS Proxy:", jstr(info, "HttpsProxy"));
	ln_nonempty(f, " No Proxy:", jstr(info, "NoProxy"));
	json_t *labels = json_object_get(info, "Labels"), *e;
	size_t i;
	if (json_array_size(labels))
		fprintf(f, " Labels:\n");
	json_array_foreach(labels, i, e) fprintf(f, "  %s\n", json_string_value(e));
	ln(f, " Experimental:", jbool(info, "ExperimentalBuild"));
}

static void print_registries(FILE *f, json_t *info)
{
	json_t *rc = json_object_get(info, "RegistryConfig"), *e;
	json_t *idx = json_object_get(rc, "IndexConfigs");
	json_t *cidrs = json_object_get(rc, "InsecureRegistryCIDRs");
	size_t i;
	if (json_object_size(idx) || json_array_size(cidrs)) {
		fprintf(f, " Insecure Registries:\n");
		const char *k;
		json_object_foreach(idx, k, e) if (!json_is_true(json_object_get(e, "Secure")))
		    fprintf(f, "  %s\n", jstr(e, "Name"));
		json_array_foreach(cidrs, i, e) fprintf(f, "  %s\n", json_string_value(e));
	}
	json_t *mirrors = json_object_get(rc, "Mirrors");
	if (json_array_size(mirrors))
		fprintf(f, " Registry Mirrors:\n");
	json_array_foreach(mirrors, i, e) fprintf(f, "  %s\n", json_string_value(e));
	ln(f, " Live Restore Enabled:", jbool(info, "LiveRestoreEnabled"));
	ln_nonempty(f, " Product License:", jstr(info, "ProductLicense"));
	json_t *pools = json_object_get(info, "DefaultAddressPools");
	if (json_array_size(pools))
		fprintf(f, " Default Address Pools:\n");
	json_array_foreach(pools, i, e)
	    fprintf(f, "   Base: %s, Size: %lld\n", jstr(e, "Base"), jint(e, "Size"));
}

static void print_server(const struct cli *cli, json_t *info)
{
	FILE *f = cli->out;
	print_storage(f, info);
	print_plugins(f, info);
	print_swarm(f, json_object_get(info, "Swarm"));
	print_runtimes(f, info);
	print_host(f, info, cli->debug);
	print_registries(f, info);
	fputc('\n', f);
	fflush(f);
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(info, "Warnings"), i, w)
	    fprintf(cli->err, "%s\n", json_string_value(w));
}

static json_t *client_info(const struct cli *cli, const char *api_version)
{
	char built[64];
	cli_build_time(built, sizeof(built));
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:n}", "Debug",
			 cli->debug, "Version", BERTH_VERSION, "ApiVersion", api_version,
			 "DefaultAPIVersion", CLI_API_VERSION_MAX, "GitCommit", BERTH_GIT_COMMIT,
			 "Os", cli_os(), "Arch", cli_arch(), "BuildTime", built, "Context",
			 "default", "Plugins", "Warnings");
}

static int print_formatted(const struct cli *cli, const struct format_tmpl *t, json_t *dot)
{
	_cleanup_free_ char *out = NULL;
	struct error err = ERROR_INIT;
	int r = format_exec(t, dot, &out, &err);
	fprintf(cli->out, "%s\n", out ? out : "");
	if (r < 0) {
		fflush(cli->out);
		fprintf(cli->err, "%s\n", error_msg(&err));
	}
	error_clear(&err);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* Fetches /info; on failure *ret stays NULL and err says why. */
static int fetch_info(const struct cli *cli, json_t **ret, char *version, size_t vlen,
		      struct error *err)
{
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_get_json(&c, "/info", NULL, ret, err);
	snprintf(version, vlen, "%s", c.version[0] ? c.version : CLI_API_VERSION_MAX);
	client_done(&c);
	return r;
}

static int run_info(struct cli *cli, const struct format_tmpl *t)
{
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	char version[16];
	int r = fetch_info(cli, &info, version, sizeof(version), &err);
	json_t *ci = client_info(cli, version);
	if (!ci)
		return CLI_EXIT_FAILURE;
	if (!info)
		info = json_object();
	json_object_set_new(info, "ClientInfo", ci);
	int code = CLI_EXIT_OK;
	if (t) {
		if (r < 0)
			cli_fail(cli, &err);
		code = print_formatted(cli, t, info);
	} else {
		fprintf(cli->out, "Client:\n");
		print_client(cli->out, ci);
		fprintf(cli->out, "\nServer:\n");
		if (r >= 0)
			print_server(cli, info);
		fflush(cli->out);
		if (r < 0)
			cli_fail(cli, &err);
	}
	error_clear(&err);
	return r < 0 ? CLI_EXIT_FAILURE : code;
}

int cli_cmd_info(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Display system-wide information",
	    .aliases = "berth system info, berth info",
	    .no_args = true};
	struct cli_strv args = {0};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	cli_strv_free(&args);
	if (code >= 0)
		return code;
	struct format_tmpl *t = NULL;
	struct error err = ERROR_INIT;
	if (format && *format && format_parse(format, "", &t, &err) < 0) {
		fprintf(cli->err, "template parsing error: %s\n", error_msg(&err));
		error_clear(&err);
		return CLI_EXIT_TEMPLATE;
	}
	code = run_info(cli, t);
	format_free(t);
	return code;
}
