/* Task and service flags that `berth service create` and `service update`
 * share, turned into the spec fields the docker CLI sends for them (its
 * cli/command/service/opts.go and opts/swarmopts). Pure: no I/O. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"

/* --update-* or --rollback-*. */
struct service_update_flags {
	const char *parallelism, *delay, *failure_action, *monitor, *order, *max_failure_ratio;
};

struct service_resource_flags {
	const char *limit_cpu, *limit_memory, *limit_pids, *reserve_cpu, *reserve_memory;
};

struct service_health_flags {
	const char *cmd, *interval, *timeout, *retries, *start_period, *start_interval;
	bool none;
};

/* Whether any of c's flags is given. */
bool service_update_flags_given(const struct service_update_flags *c);
/* Sets the given fields of spec's UpdateConfig (what "update") or
 * RollbackConfig ("rollback"), creating it when absent. */
int service_opts_update_config(json_t *spec, const struct service_update_flags *c, const char *what,
			       struct error *err);
/* Sets the given limits and reservations in tt.Resources. */
int service_opts_resources(json_t *tt, const struct service_resource_flags *o, struct error *err);
/* --generic-resource (create) or --generic-resource-add (update, flag
 * names which): "kind=count" terms as docker's ParseGenericResources,
 * which refuses named resources. *ret a new array of GenericResources. */
int service_opts_generic_resources(const char *const *terms, size_t n, const char *flag,
				   json_t **ret, struct error *err);
/* docker's updateHealthcheck on cs (create starts from no check). */
int service_opts_health(json_t *cs, const struct service_health_flags *o, struct error *err);
/* --publish: "[published:]target[/proto]" (ranges "8080-8081:80-81") or
 * "published=8080,target=80,protocol=udp,mode=host"; appends PortConfigs
 * to ports. docker's messages for bad values. */
int service_opts_publish(const char *s, json_t *ports, struct error *err);
/* --network "name" or "name=n,alias=a,driver-opt=k=v" as a
 * NetworkAttachmentConfig ({"Target","Aliases","DriverOpts"}). */
int service_opts_network(const char *s, json_t **ret, struct error *err);
/* --placement-pref "spread=node.labels.zone" as {"Spread":{...}}. */
int service_opts_placement_pref(const char *s, json_t **ret, struct error *err);

/* Go's sort.Strings on an array of JSON strings, in place. */
void service_opts_sort_strings(json_t *arr);
/* obj[key] = v (owned) when v has members, else key goes: docker's
 * omitempty. */
void service_opts_set_or_drop(json_t *obj, const char *key, json_t *v);
