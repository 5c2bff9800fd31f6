/* The JSON types of the Engine API's container bodies, as dockerd's Go
 * structs declare them (api/types/container, mount, network), and a checker
 * that refuses a body where a field has the wrong JSON type or an integer
 * does not fit, in the words of Go's decoder. Fields the API does not know
 * are ignored, as Go does; null stands for the zero value at a field but not
 * inside an array or a map (no code here wants a NULL element). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/container_validate.h"

enum vkind { V_STR, V_BOOL, V_INT, V_STRSLICE, V_ARRAY, V_MAP, V_OBJ };

struct vfield;

struct vtype {
	enum vkind kind;
	const char *go; /* Go's name of the type */
	json_int_t min, max;
	const struct vtype *elem;    /* V_ARRAY, V_MAP */
	const struct vfield *fields; /* V_OBJ; NULL-named entry ends */
	const struct vfield *more;   /* V_OBJ: an embedded struct's fields */
};

struct vfield {
	const char *name;
	const struct vtype *type;
};

#define INT_T(go_, min_, max_)                                                                     \
	{                                                                                          \
		V_INT, go_, min_, max_, NULL, NULL, NULL                                           \
	}
static const struct vtype t_str = {V_STR, "string", .min = 0};
static const struct vtype t_bool = {V_BOOL, "bool", .min = 0};
static const struct vtype t_i64 = INT_T("int64", INT64_MIN, INT64_MAX);
static const struct vtype t_int = INT_T("int", INT64_MIN, INT64_MAX);
static const struct vtype t_u16 = INT_T("uint16", 0, UINT16_MAX);
static const struct vtype t_u32 = INT_T("uint32", 0, UINT32_MAX);
static const struct vtype t_u64 = INT_T("uint64", 0, INT64_MAX);
static const struct vtype t_uint = INT_T("uint", 0, INT64_MAX);
static const struct vtype t_strslice = {V_STRSLICE, "string", .min = 0};
static const struct vtype t_strs = {V_ARRAY, "[]string", .elem = &t_str};
static const struct vtype t_strss = {V_ARRAY, "[][]string", .elem = &t_strs};
static const struct vtype t_uints = {V_ARRAY, "[2]uint", .elem = &t_uint};
static const struct vtype t_strmap = {V_MAP, "map[string]string", .elem = &t_str};
static const struct vfield f_none[] = {{NULL, NULL}};
static const struct vtype t_empty = {V_OBJ, "struct {}", .fields = f_none};
static const struct vtype t_set = {V_MAP, "map[string]struct {}", .elem = &t_empty};

#define OBJ_T(name_, go_) static const struct vtype name_ = {V_OBJ, go_, .fields = name_##_fields}
#define ARRAY_T(name_, go_, elem_) static const struct vtype name_ = {V_ARRAY, go_, .elem = &elem_}

static const struct vfield t_health_fields[] = {
    {"Test", &t_strslice},     {"Interval", &t_i64}, {"Timeout", &t_i64}, {"StartPeriod", &t_i64},
    {"StartInterval", &t_i64}, {"Retries", &t_int},  {NULL, NULL},
};
OBJ_T(t_health, "container.HealthConfig");

static const struct vfield config_fields[] = {
    {"Hostname", &t_str},
    {"Domainname", &t_str},
    {"User", &t_str},
    {"AttachStdin", &t_bool},
    {"AttachStdout", &t_bool},
    {"AttachStderr", &t_bool},
    {"ExposedPorts", &t_set},
    {"Tty", &t_bool},
    {"OpenStdin", &t_bool},
    {"StdinOnce", &t_bool},
    {"Env", &t_strs},
    {"Cmd", &t_strslice},
    {"Healthcheck", &t_health},
    {"ArgsEscaped", &t_bool},
    {"Image", &t_str},
    {"Volumes", &t_set},
    {"WorkingDir", &t_str},
    {"Entrypoint", &t_strslice},
    {"NetworkDisabled", &t_bool},
    {"MacAddress", &t_str},
    {"OnBuild", &t_strs},
    {"Labels", &t_strmap},
    {"StopSignal", &t_str},
    {"StopTimeout", &t_int},
    {"Shell", &t_strslice},
    {NULL, NULL},
};

static const struct vfield t_weight_fields[] = {{"Path", &t_str}, {"Weight", &t_u16}, {NULL, NULL}};
OBJ_T(t_weight, "blkiodev.WeightDevice");
ARRAY_T(t_weights, "[]*blkiodev.WeightDevice", t_weight);
static const struct vfield t_throttle_fields[] = {{"Path", &t_str}, {"Rate", &t_u64}, {NULL, NULL}};
OBJ_T(t_throttle, "blkiodev.ThrottleDevice");
ARRAY_T(t_throttles, "[]*blkiodev.ThrottleDevice", t_throttle);
static const struct vfield t_device_fields[] = {
    {"PathOnHost", &t_str},
    {"PathInContainer", &t_str},
    {"CgroupPermissions", &t_str},
    {NULL, NULL},
};
OBJ_T(t_device, "container.DeviceMapping");
ARRAY_T(t_devices, "[]container.DeviceMapping", t_device);
static const struct vfield t_devreq_fields[] = {
    {"Driver", &t_str},		{"Count", &t_int},	{"DeviceIDs", &t_strs},
    {"Capabilities", &t_strss}, {"Options", &t_strmap}, {NULL, NULL},
};
OBJ_T(t_devreq, "container.DeviceRequest");
ARRAY_T(t_devreqs, "[]container.DeviceRequest", t_devreq);
static const struct vfield t_ulimit_fields[] = {
    {"Name", &t_str},
    {"Hard", &t_i64},
    {"Soft", &t_i64},
    {NULL, NULL},
};
OBJ_T(t_ulimit, "container.Ulimit");
ARRAY_T(t_ulimits, "[]*container.Ulimit", t_ulimit);

static const struct vfield resources_fields[] = {
    {"CpuShares", &t_i64},
    {"Memory", &t_i64},
    {"NanoCpus", &t_i64},
    {"CgroupParent", &t_str},
    {"BlkioWeight", &t_u16},
    {"BlkioWeightDevice", &t_weights},
    {"BlkioDeviceReadBps", &t_throttles},
    {"BlkioDeviceWriteBps", &t_throttles},
    {"BlkioDeviceReadIOps", &t_throttles},
    {"BlkioDeviceWriteIOps", &t_throttles},
    {"CpuPeriod", &t_i64},
    {"CpuQuota", &t_i64},
    {"CpuRealtimePeriod", &t_i64},
    {"CpuRealtimeRuntime", &t_i64},
    {"CpusetCpus", &t_str},
    {"CpusetMems", &t_str},
    {"Devices", &t_devices},
    {"DeviceCgroupRules", &t_strs},
    {"DeviceRequests", &t_devreqs},
    {"KernelMemory", &t_i64},
    {"KernelMemoryTCP", &t_i64},
    {"MemoryReservation", &t_i64},
    {"MemorySwap", &t_i64},
    {"MemorySwappiness", &t_i64},
    {"OomKillDisable", &t_bool},
    {"PidsLimit", &t_i64},
    {"Ulimits", &t_ulimits},
    {"CpuCount", &t_i64},
    {"CpuPercent", &t_i64},
    {"IOMaximumIOps", &t_u64},
    {"IOMaximumBandwidth", &t_u64},
    {NULL, NULL},
};

static const struct vfield t_log_fields[] = {{"Type", &t_str}, {"Config", &t_strmap}, {NULL, NULL}};
OBJ_T(t_log, "container.LogConfig");
static const struct vfield t_restart_fields[] = {
    {"Name", &t_str},
    {"MaximumRetryCount", &t_int},
    {NULL, NULL},
};
OBJ_T(t_restart, "container.RestartPolicy");
static const struct vfield t_binding_fields[] = {
    {"HostIp", &t_str}, {"HostPort", &t_str}, {NULL, NULL}};
OBJ_T(t_binding, "nat.PortBinding");
ARRAY_T(t_bindings, "[]nat.PortBinding", t_binding);
static const struct vtype t_portmap = {V_MAP, "nat.PortMap", .elem = &t_bindings};

static const struct vfield t_bindopts_fields[] = {
    {"Propagation", &t_str},
    {"NonRecursive", &t_bool},
    {"CreateMountpoint", &t_bool},
    {"ReadOnlyNonRecursive", &t_bool},
    {"ReadOnlyForceRecursive", &t_bool},
    {NULL, NULL},
};
OBJ_T(t_bindopts, "mount.BindOptions");
static const struct vfield t_driver_fields[] = {
    {"Name", &t_str}, {"Options", &t_strmap}, {NULL, NULL}};
OBJ_T(t_driver, "mount.Driver");
static const struct vfield t_volopts_fields[] = {
    {"NoCopy", &t_bool}, {"Labels", &t_strmap}, {"DriverConfig", &t_driver},
    {"Subpath", &t_str}, {NULL, NULL},
};
OBJ_T(t_volopts, "mount.VolumeOptions");
static const struct vfield t_tmpfsopts_fields[] = {
    {"SizeBytes", &t_i64},
    {"Mode", &t_u32},
    {"Options", &t_strss},
    {NULL, NULL},
};
OBJ_T(t_tmpfsopts, "mount.TmpfsOptions");
static const struct vfield t_mount_fields[] = {
    {"Type", &t_str},
    {"Source", &t_str},
    {"Target", &t_str},
    {"ReadOnly", &t_bool},
    {"Consistency", &t_str},
    {"BindOptions", &t_bindopts},
    {"VolumeOptions", &t_volopts},
    {"TmpfsOptions", &t_tmpfsopts},
    {NULL, NULL},
};
OBJ_T(t_mount, "mount.Mount");
ARRAY_T(t_mounts, "[]mount.Mount", t_mount);

static const struct vfield host_config_fields[] = {
    {"Binds", &t_strs},
    {"ContainerIDFile", &t_str},
    {"LogConfig", &t_log},
    {"NetworkMode", &t_str},
    {"PortBindings", &t_portmap},
    {"RestartPolicy", &t_restart},
    {"AutoRemove", &t_bool},
    {"VolumeDriver", &t_str},
    {"VolumesFrom", &t_strs},
    {"ConsoleSize", &t_uints},
    {"Annotations", &t_strmap},
    {"CapAdd", &t_strslice},
    {"CapDrop", &t_strslice},
    {"CgroupnsMode", &t_str},
    {"Dns", &t_strs},
    {"DnsOptions", &t_strs},
    {"DnsSearch", &t_strs},
    {"ExtraHosts", &t_strs},
    {"GroupAdd", &t_strs},
    {"IpcMode", &t_str},
    {"Cgroup", &t_str},
    {"Links", &t_strs},
    {"OomScoreAdj", &t_int},
    {"PidMode", &t_str},
    {"Privileged", &t_bool},
    {"PublishAllPorts", &t_bool},
    {"ReadonlyRootfs", &t_bool},
    {"SecurityOpt", &t_strs},
    {"StorageOpt", &t_strmap},
    {"Tmpfs", &t_strmap},
    {"UTSMode", &t_str},
    {"UsernsMode", &t_str},
    {"ShmSize", &t_i64},
    {"Sysctls", &t_strmap},
    {"Runtime", &t_str},
    {"Isolation", &t_str},
    {"Mounts", &t_mounts},
    {"MaskedPaths", &t_strs},
    {"ReadonlyPaths", &t_strs},
    {"Init", &t_bool},
    {NULL, NULL},
};
static const struct vtype t_host_config = {V_OBJ, "container.HostConfig",
					   .fields = host_config_fields, .more = resources_fields};

static const struct vfield t_ipam_fields[] = {
    {"IPv4Address", &t_str},
    {"IPv6Address", &t_str},
    {"LinkLocalIPs", &t_strs},
    {NULL, NULL},
};
OBJ_T(t_ipam, "network.EndpointIPAMConfig");
static const struct vfield t_endpoint_fields[] = {
    {"IPAMConfig", &t_ipam},	     {"Links", &t_strs},	{"Aliases", &t_strs},
    {"MacAddress", &t_str},	     {"DriverOpts", &t_strmap}, {"NetworkID", &t_str},
    {"EndpointID", &t_str},	     {"Gateway", &t_str},	{"IPAddress", &t_str},
    {"IPPrefixLen", &t_int},	     {"IPv6Gateway", &t_str},	{"GlobalIPv6Address", &t_str},
    {"GlobalIPv6PrefixLen", &t_int}, {"DNSNames", &t_strs},	{NULL, NULL},
};
OBJ_T(t_endpoint, "network.EndpointSettings");
static const struct vtype t_endpoints = {V_MAP, "map[string]*network.EndpointSettings",
					 .elem = &t_endpoint};
static const struct vfield t_netcfg_fields[] = {{"EndpointsConfig", &t_endpoints}, {NULL, NULL}};
OBJ_T(t_netcfg, "network.NetworkingConfig");

static const struct vfield create_extra_fields[] = {
    {"HostConfig", &t_host_config},
    {"NetworkingConfig", &t_netcfg},
    {NULL, NULL},
};
static const struct vtype t_create = {V_OBJ, "CreateRequest", .fields = config_fields,
				      .more = create_extra_fields};
static const struct vfield update_extra_fields[] = {{"RestartPolicy", &t_restart}, {NULL, NULL}};
static const struct vtype t_update = {V_OBJ, "UpdateConfig", .fields = resources_fields,
				      .more = update_extra_fields};

/* Go's description of a JSON value in an UnmarshalTypeError. */
static void value_name(json_t *v, const struct vtype *want, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "string");
		break;
	case JSON_INTEGER:
		if (want->kind == V_INT)
			snprintf(buf, len, "number %" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			snprintf(buf, len, "number");
		break;
	case JSON_REAL:
		if (want->kind == V_INT)
			snprintf(buf, len, "number %g", json_real_value(v));
		else
			snprintf(buf, len, "number");
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(buf, len, "bool");
		break;
	case JSON_ARRAY:
		snprintf(buf, len, "array");
		break;
	case JSON_OBJECT:
		snprintf(buf, len, "object");
		break;
	default:
		snprintf(buf, len, "null");
		break;
	}
}

static int type_error(const char *top, const char *path, json_t *v, const struct vtype *want,
		      struct error *err)
{
	char what[64];
	value_name(v, want, what, sizeof(what));
	return error_set(
	    err, -EINVAL,
	    "invalid JSON: json: cannot unmarshal %s into Go struct field %s%s of type %s", what,
	    top, path, want->go);
}

struct walk {
	const char *top; /* "CreateRequest" */
	char path[512];	 /* ".HostConfig.Mounts.Target" */
	struct error *err;
};

static int check_value(struct walk *w, json_t *v, const struct vtype *t, bool in_container);

static int check_fields(struct walk *w, json_t *obj, const struct vfield *fields)
{
	size_t mark = strlen(w->path);
	for (const struct vfield *f = fields; f && f->name; f++) {
		json_t *v = json_object_get(obj, f->name);
		if (!v)
			continue;
		snprintf(w->path + mark, sizeof(w->path) - mark, ".%s", f->name);
		int r = check_value(w, v, f->type, false);
		/* strslice.StrSlice takes a string for a one-element list. */
		if (r == 0 && f->type->kind == V_STRSLICE && json_is_string(v))
			json_object_set_new(obj, f->name, json_pack("[O]", v));
		w->path[mark] = '\0';
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_int(struct walk *w, json_t *v, const struct vtype *t)
{
	if (!json_is_integer(v) || json_integer_value(v) < t->min || json_integer_value(v) > t->max)
		return type_error(w->top, w->path, v, t, w->err);
	return 0;
}

static int check_value(struct walk *w, json_t *v, const struct vtype *t, bool in_container)
{
	if (json_is_null(v))
		return in_container ? type_error(w->top, w->path, v, t, w->err) : 0;
	size_t i;
	json_t *e;
	const char *k;
	int r = 0;
	switch (t->kind) {
	case V_STR:
		return json_is_string(v) ? 0 : type_error(w->top, w->path, v, t, w->err);
	case V_BOOL:
		return json_is_boolean(v) ? 0 : type_error(w->top, w->path, v, t, w->err);
	case V_INT:
		return check_int(w, v, t);
	case V_STRSLICE:
		if (json_is_string(v))
			return 0;
		if (!json_is_array(v))
			return type_error(w->top, w->path, v, t, w->err);
		json_array_foreach(v, i, e) if (r == 0 && !json_is_string(e)) r =
		    type_error(w->top, w->path, e, t, w->err);
		return r;
	case V_ARRAY:
		if (!json_is_array(v))
			return type_error(w->top, w->path, v, t, w->err);
		json_array_foreach(v, i, e) if (r == 0) r = check_value(w, e, t->elem, true);
		return r;
	case V_MAP:
		if (!json_is_object(v))
			return type_error(w->top, w->path, v, t, w->err);
		json_object_foreach(v, k, e) if (r == 0) r = check_value(w, e, t->elem, true);
		return r;
	case V_OBJ:
		if (!json_is_object(v))
			return type_error(w->top, w->path, v, t, w->err);
		r = check_fields(w, v, t->fields);
		return r == 0 ? check_fields(w, v, t->more) : r;
	}
	return 0;
}

static int check_body(const struct vtype *t, json_t *body, struct error *err)
{
	struct walk w = {.top = t->go, .err = err};
	if (!json_is_object(body)) {
		char what[64];
		value_name(body, t, what, sizeof(what));
		return error_set(err, -EINVAL,
				 "invalid JSON: json: cannot unmarshal %s into Go value of type %s",
				 what, t->go);
	}
	int r = check_fields(&w, body, t->fields);
	return r == 0 ? check_fields(&w, body, t->more) : r;
}

int container_check_create_types(json_t *body, struct error *err)
{
	return check_body(&t_create, body, err);
}

int container_check_update_types(json_t *body, struct error *err)
{
	return check_body(&t_update, body, err);
}

int container_check_stored_types(json_t *config, json_t *host_config, struct error *err)
{
	int r = check_body(&t_create, config, err);
	if (r < 0)
		return r;
	struct walk w = {.top = "HostConfig", .err = err};
	return check_value(&w, host_config, &t_host_config, false);
}
