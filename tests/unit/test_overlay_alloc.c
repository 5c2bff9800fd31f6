/* Swarm networks in the store and the leader's allocator, on a simulated
 * cluster (the store alone, commands applied as Raft would): subnets from the
 * default address pool and VXLAN IDs from 4096, dockerd's messages for
 * overlaps and an exhausted pool, task addresses handed out, moved with
 * their task, released when it is over and used again, a new leader (a
 * store restored from a snapshot) that finds nothing to redo and never
 * hands out an address twice, container attachments, and service VIPs
 * (given, kept by a new leader, released on rm, a network left, dnsrr) with
 * the DNS facts of task endpoints (and whether a task serves). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/allocator.h"
#include "swarm/store.h"

#define TS 1700000000000000000LL

static int apply(struct store *s, json_t *cmd)
{
	json_object_set_new(cmd, "ts", json_integer(TS));
	char *t = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	struct error err = ERROR_INIT;
	int r = store_apply(s, t, strlen(t), &err);
	error_clear(&err);
	free(t);
	return r;
}

static void cluster(struct store *s)
{
	store_init(s);
	assert_int_equal(
	    apply(s, json_pack("{s:s, s:{s:s, s:[s], s:i}}", "op", "cluster", "v", "ID", "c1",
			       "DefaultAddrPool", "10.231.64.0/23", "SubnetSize", 24)),
	    0);
}

static void create(struct store *s, const char *id, const char *name, const char *subnet)
{
	assert_int_equal(apply(s, json_pack("{s:s, s:{s:s, s:{s:s, s:s}}}", "op", "network", "v",
					    "ID", id, "Spec", "Name", name, "Subnet", subnet)),
			 0);
}

static const char *net_field(struct store *s, const char *id, const char *k)
{
	return json_string_value(json_object_get(json_object_get(s->networks, id), k));
}

static const char *ep_ip(struct store *s, const char *net, const char *owner)
{
	json_t *ep =
	    json_object_get(json_object_get(json_object_get(s->networks, net), "Endpoints"), owner);
	return json_string_value(json_object_get(ep, "IP"));
}

static const char *ep_node(struct store *s, const char *net, const char *owner)
{
	json_t *ep =
	    json_object_get(json_object_get(json_object_get(s->networks, net), "Endpoints"), owner);
	return json_string_value(json_object_get(ep, "Node"));
}

static void add_task(struct store *s, const char *id, const char *node, const char *state,
		     const char *net)
{
	json_t *t =
	    json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:{s:[{s:s}]}}", "ID", id, "ServiceID",
		      "svc1", "Slot", 1, "NodeID", node, "DesiredState", "running", "Status",
		      "State", state, "Spec", "Networks", "Target", net);
	assert_int_equal(apply(s, json_pack("{s:s, s:[o]}", "op", "tasks", "v", t)), 0);
}

/* One allocator round, applied; whether it had anything to do. */
static bool allocate(struct store *s)
{
	json_t *cmd = allocator_step(s->networks, s->services, s->tasks, s->nodes);
	if (!cmd)
		return false;
	assert_int_equal(apply(s, cmd), 0);
	return true;
}

static void test_networks_plan(void **state)
{
	struct store s;
	cluster(&s);
	create(&s, "n1", "one", "");
	create(&s, "n2", "two", "");
	assert_string_equal(net_field(&s, "n1", "Subnet"), "10.231.64.0/24");
	assert_string_equal(net_field(&s, "n1", "Gateway"), "10.231.64.1");
	assert_string_equal(net_field(&s, "n2", "Subnet"), "10.231.65.0/24");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(s.networks, "n1"), "VNI")), 4096);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(s.networks, "n2"), "VNI")), 4097);
	/* The pool is used up; an overlap and a taken name are refused. */
	struct network_plan p;
	struct error err = ERROR_INIT;
	json_t *spec = json_pack("{s:s}", "Name", "three");
	assert_int_equal(store_network_plan(&s, spec, &p, &err), -EINVAL);
	assert_string_equal(error_msg(&err),
			    "all predefined address pools have been fully subnetted");
	error_clear(&err);
	json_object_set_new(spec, "Subnet", json_string("10.231.65.128/25"));
	assert_int_equal(store_network_plan(&s, spec, &p, &err), -EPERM);
	assert_string_equal(error_msg(&err), "Pool overlaps with other one on this address space");
	error_clear(&err);
	json_object_set_new(spec, "Name", json_string("one"));
	assert_int_equal(store_network_plan(&s, spec, &p, &err), -EEXIST);
	assert_string_equal(error_msg(&err), "network with name one already exists");
	error_clear(&err);
	json_decref(spec);
	/* A create that no longer fits when applied is dropped everywhere;
	 * the same create sent again is a no-op. */
	assert_int_equal(apply(&s, json_pack("{s:s, s:{s:s, s:{s:s}}}", "op", "network", "v", "ID",
					     "n3", "Spec", "Name", "three")),
			 -EINVAL);
	assert_null(json_object_get(s.networks, "n3"));
	create(&s, "n1", "one", "");
	/* A freed subnet and VNI are used again. */
	assert_int_equal(apply(&s, json_pack("{s:s, s:s}", "op", "rm_network", "id", "n1")), 0);
	create(&s, "n4", "four", "");
	assert_string_equal(net_field(&s, "n4", "Subnet"), "10.231.64.0/24");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(s.networks, "n4"), "VNI")), 4096);
	store_done(&s);
}

static void test_task_addresses(void **state)
{
	struct store s;
	cluster(&s);
	create(&s, "n1", "one", "10.231.70.0/24");
	add_task(&s, "t1", "", "pending", "n1");
	add_task(&s, "t2", "", "pending", "n1");
	assert_true(allocate(&s));
	assert_false(allocate(&s));
	assert_string_equal(ep_ip(&s, "n1", "t1"), "10.231.70.2");
	assert_string_equal(ep_ip(&s, "n1", "t2"), "10.231.70.3");
	/* Scheduled: the endpoint follows the task to its node. */
	add_task(&s, "t1", "nodeA", "assigned", "n1");
	assert_true(allocate(&s));
	assert_string_equal(ep_node(&s, "n1", "t1"), "nodeA");
	assert_string_equal(ep_ip(&s, "n1", "t1"), "10.231.70.2");
	assert_false(allocate(&s));
	/* Over: released, and the address goes to the next task. */
	add_task(&s, "t1", "nodeA", "failed", "n1");
	assert_true(allocate(&s));
	assert_null(ep_ip(&s, "n1", "t1"));
	add_task(&s, "t3", "nodeB", "pending", "n1");
	assert_true(allocate(&s));
	assert_string_equal(ep_ip(&s, "n1", "t3"), "10.231.70.2");
	/* Told to stop, t3 keeps its address until its node says it stopped:
	 * its container holds it until then. */
	json_t *stopping =
	    json_pack("{s:s, s:s, s:s}", "ID", "t3", "DesiredState", "shutdown", "NodeID", "nodeB");
	json_object_set_new(stopping, "Status", json_pack("{s:s}", "State", "running"));
	assert_int_equal(apply(&s, json_pack("{s:s, s:[o]}", "op", "tasks", "v", stopping)), 0);
	assert_false(allocate(&s));
	assert_string_equal(ep_ip(&s, "n1", "t3"), "10.231.70.2");
	add_task(&s, "t4", "nodeB", "pending", "n1");
	assert_true(allocate(&s));
	assert_string_equal(ep_ip(&s, "n1", "t4"), "10.231.70.4");
	add_task(&s, "t3", "nodeB", "running", "n1");
	/* A removed task's address is released too. */
	assert_int_equal(apply(&s, json_pack("{s:s, s:[s]}", "op", "rm_tasks", "ids", "t2")), 0);
	assert_true(allocate(&s));
	assert_null(ep_ip(&s, "n1", "t2"));
	/* A network in use cannot go; once the tasks' service is gone, they
	 * no longer hold it (docker stack rm removes it right after). */
	assert_int_equal(apply(&s, json_pack("{s:s, s:{s:s, s:{s:s}}}", "op", "service", "v", "ID",
					     "svc1", "Spec", "Name", "s1")),
			 0);
	struct error err = ERROR_INIT;
	assert_int_equal(store_network_check_unused(&s, json_object_get(s.networks, "n1"), &err),
			 -EINVAL);
	assert_string_equal(error_msg(&err), "rpc error: code = FailedPrecondition desc = network "
					     "n1 is in use by task t3");
	error_clear(&err);
	assert_int_equal(apply(&s, json_pack("{s:s, s:s}", "op", "rm_service", "id", "svc1")), 0);
	assert_int_equal(store_network_check_unused(&s, json_object_get(s.networks, "n1"), NULL),
			 0);
	store_done(&s);
}

static void test_new_leader(void **state)
{
	struct store s, s2;
	cluster(&s);
	create(&s, "n1", "one", "10.231.71.0/24");
	add_task(&s, "t1", "nodeA", "running", "n1");
	add_task(&s, "t2", "nodeB", "running", "n1");
	assert_true(allocate(&s));
	size_t len;
	char *snap = store_snapshot(&s, &len);
	store_init(&s2);
	assert_int_equal(store_restore(&s2, snap, len, NULL), 0);
	free(snap);
	/* The new leader has nothing to redo, and a new task gets a new
	 * address. */
	assert_false(allocate(&s2));
	add_task(&s2, "t3", "nodeA", "pending", "n1");
	assert_true(allocate(&s2));
	assert_string_equal(ep_ip(&s2, "n1", "t1"), "10.231.71.2");
	assert_string_equal(ep_ip(&s2, "n1", "t2"), "10.231.71.3");
	assert_string_equal(ep_ip(&s2, "n1", "t3"), "10.231.71.4");
	store_done(&s);
	store_done(&s2);
}

static void test_container_attachments(void **state)
{
	struct store s;
	cluster(&s);
	create(&s, "n1", "one", "10.231.72.0/24");
	assert_int_equal(
	    apply(&s, json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "op", "net_attach", "v",
				"Network", "n1", "Owner", "c1", "Kind", "container", "Node",
				"nodeA", "IP", "10.231.72.50")),
	    0);
	assert_string_equal(ep_ip(&s, "n1", "c1"), "10.231.72.50");
	/* Taken, outside the subnet, or on no network: dropped. */
	assert_int_equal(
	    apply(&s, json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "op", "net_attach", "v", "Network",
				"n1", "Owner", "c2", "Kind", "container", "IP", "10.231.72.50")),
	    -EEXIST);
	assert_int_equal(
	    apply(&s, json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "op", "net_attach", "v", "Network",
				"n1", "Owner", "c2", "Kind", "container", "IP", "10.9.9.9")),
	    -EINVAL);
	assert_int_equal(apply(&s, json_pack("{s:s, s:{s:s, s:s}}", "op", "net_attach", "v",
					     "Network", "nx", "Owner", "c2")),
			 -ENOENT);
	/* The allocator leaves container attachments alone. */
	assert_false(allocate(&s));
	assert_int_equal(apply(&s, json_pack("{s:s, s:{s:s, s:s}}", "op", "net_detach", "v",
					     "Network", "n1", "Owner", "c1")),
			 0);
	assert_null(ep_ip(&s, "n1", "c1"));
	store_done(&s);
}

/* A container's attachment (owner, on node, ip: the one asked for, "" any)
 * that replaces its previous one (replaces, "" none). */
static int attach_replacing(struct store *s, const char *owner, const char *node, const char *ip,
			    const char *replaces)
{
	return apply(s, json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "op", "net_attach",
				  "v", "Network", "n1", "Owner", owner, "Kind", "container", "Node",
				  node, "IP", ip, "Replaces", replaces));
}

/* A container that starts again asks for a new attachment naming its
 * previous one, which may not have gone back yet (a stop's message lost or
 * still on its way): the new one takes its place in the same entry, also
 * its address; one of another node, or of a task, is not replaced. */
static void test_attachment_replaced(void **state)
{
	struct store s;
	cluster(&s);
	create(&s, "n1", "one", "10.231.72.0/24");
	assert_int_equal(attach_replacing(&s, "a1", "nodeA", "10.231.72.50", ""), 0);
	/* Its address again, at once. */
	assert_int_equal(attach_replacing(&s, "a2", "nodeA", "10.231.72.50", "a1"), 0);
	assert_null(ep_ip(&s, "n1", "a1"));
	assert_string_equal(ep_ip(&s, "n1", "a2"), "10.231.72.50");
	/* Gone already (the stop's message arrived first): nothing to replace. */
	assert_int_equal(attach_replacing(&s, "a3", "nodeA", "", "a1"), 0);
	assert_non_null(ep_ip(&s, "n1", "a2"));
	assert_non_null(ep_ip(&s, "n1", "a3"));
	/* Another node's container keeps its attachment and its address. */
	assert_int_equal(attach_replacing(&s, "a4", "nodeB", "10.231.72.50", "a2"), -EEXIST);
	assert_string_equal(ep_ip(&s, "n1", "a2"), "10.231.72.50");
	/* A task's endpoint is the allocator's. */
	add_task(&s, "t1", "nodeA", "running", "n1");
	assert_true(allocate(&s));
	const char *tip = ep_ip(&s, "n1", "t1");
	assert_non_null(tip);
	char want[16];
	snprintf(want, sizeof(want), "%s", tip);
	assert_int_equal(attach_replacing(&s, "a5", "nodeA", want, "t1"), -EEXIST);
	assert_string_equal(ep_ip(&s, "n1", "t1"), want);
	/* An attachment applied twice (a retried entry) stays itself. */
	assert_int_equal(attach_replacing(&s, "a2", "nodeA", "10.231.72.50", "a2"), 0);
	assert_string_equal(ep_ip(&s, "n1", "a2"), "10.231.72.50");
	store_done(&s);
}

static void add_service(struct store *s, const char *id, const char *name, const char *mode,
			const char *net)
{
	json_t *v = json_pack("{s:s, s:{s:s, s:{s:[{s:s, s:[s]}]}, s:{s:s}}}", "ID", id, "Spec",
			      "Name", name, "TaskTemplate", "Networks", "Target", net, "Aliases",
			      "front", "EndpointSpec", "Mode", mode);
	if (!*net)
		json_array_clear(json_object_get(
		    json_object_get(json_object_get(v, "Spec"), "TaskTemplate"), "Networks"));
	assert_int_equal(apply(s, json_pack("{s:s, s:o}", "op", "service", "v", v)), 0);
}

static json_t *ep_of(struct store *s, const char *net, const char *owner)
{
	return json_object_get(json_object_get(json_object_get(s->networks, net), "Endpoints"),
			       owner);
}

static void test_service_vips(void **state)
{
	struct store s, s2;
	cluster(&s);
	create(&s, "n1", "one", "10.231.73.0/24");
	create(&s, "n2", "two", "10.231.74.0/24");
	add_service(&s, "svc1", "web", "vip", "n1");
	add_task(&s, "t1", "nodeA", "starting", "n1");
	assert_true(allocate(&s));
	assert_false(allocate(&s));
	/* The VIP first, then the task; the task does not serve yet. */
	assert_string_equal(ep_ip(&s, "n1", "svc1"), "10.231.73.2");
	assert_string_equal(json_string_value(json_object_get(ep_of(&s, "n1", "svc1"), "Kind")),
			    "vip");
	assert_string_equal(ep_ip(&s, "n1", "t1"), "10.231.73.3");
	json_t *ep = ep_of(&s, "n1", "t1");
	assert_string_equal(json_string_value(json_object_get(ep, "Service")), "web");
	assert_int_equal(json_array_size(json_object_get(ep, "Aliases")), 0);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(ep_of(&s, "n1", "svc1"), "Aliases"), 0)),
			    "front");
	assert_false(allocator_task_serves(json_object_get(s.tasks, "t1")));
	/* Running: it serves, at the same address, with no write. */
	add_task(&s, "t1", "nodeA", "running", "n1");
	assert_false(allocate(&s));
	assert_true(allocator_task_serves(json_object_get(s.tasks, "t1")));
	assert_string_equal(ep_ip(&s, "n1", "t1"), "10.231.73.3");
	/* A network in use by a service cannot go, however its VIP stands. */
	struct error err = ERROR_INIT;
	assert_int_equal(store_network_check_unused(&s, json_object_get(s.networks, "n1"), &err),
			 -EINVAL);
	error_clear(&err);
	/* A new leader keeps the VIP and never gives it out again. */
	size_t len;
	char *snap = store_snapshot(&s, &len);
	store_init(&s2);
	assert_int_equal(store_restore(&s2, snap, len, NULL), 0);
	free(snap);
	assert_false(allocate(&s2));
	add_service(&s2, "svc2", "api", "vip", "n1");
	assert_true(allocate(&s2));
	assert_string_equal(ep_ip(&s2, "n1", "svc2"), "10.231.73.4");
	/* The service moves to n2: its VIP on n1 goes, one on n2 comes. */
	add_service(&s2, "svc2", "api", "vip", "n2");
	assert_true(allocate(&s2));
	assert_null(ep_ip(&s2, "n1", "svc2"));
	assert_string_equal(ep_ip(&s2, "n2", "svc2"), "10.231.74.2");
	/* dnsrr: no VIP, and the tasks say so. */
	add_service(&s2, "svc1", "web", "dnsrr", "n1");
	assert_true(allocate(&s2));
	assert_false(allocate(&s2));
	assert_null(ep_ip(&s2, "n1", "svc1"));
	assert_true(json_is_true(json_object_get(ep_of(&s2, "n1", "t1"), "DNSRR")));
	/* Removed: its VIP is released, and the network can go once the
	 * task is over. */
	assert_int_equal(apply(&s2, json_pack("{s:s, s:s}", "op", "rm_service", "id", "svc2")), 0);
	assert_true(allocate(&s2));
	assert_null(ep_ip(&s2, "n2", "svc2"));
	assert_int_equal(store_network_check_unused(&s2, json_object_get(s2.networks, "n2"), &err),
			 0);
	store_done(&s);
	store_done(&s2);
}

static void add_node(struct store *s, const char *id)
{
	assert_int_equal(apply(s, json_pack("{s:s, s:{s:s, s:{s:s}}}", "op", "node", "v", "ID", id,
					    "Spec", "Role", "worker")),
			 0);
}

static void publish(struct store *s, const char *mode)
{
	json_t *v = json_pack("{s:s, s:{s:s, s:{s:[{s:s, s:i, s:i, s:s}]}}}", "ID", "svc1", "Spec",
			      "Name", "web", "EndpointSpec", "Ports", "Protocol", "tcp",
			      "TargetPort", 80, "PublishedPort", 8080, "PublishMode", mode);
	assert_int_equal(apply(s, json_pack("{s:s, s:o}", "op", "service", "v", v)), 0);
}

/* The routing mesh: one ingress network; while a service publishes in
 * ingress mode, a VIP there, its live tasks' endpoints and one per node;
 * all released when it stops publishing there; in use by the service, not
 * by its tasks or the nodes. */
static void test_ingress(void **state)
{
	struct store s;
	struct error err = ERROR_INIT;
	cluster(&s);
	assert_int_equal(apply(&s, json_pack("{s:s, s:{s:s, s:{s:s, s:b}}}", "op", "network", "v",
					     "ID", "ing", "Spec", "Name", "ingress", "Ingress", 1)),
			 0);
	assert_ptr_equal(allocator_ingress_network(s.networks), json_object_get(s.networks, "ing"));
	json_t *spec = json_pack("{s:s, s:b}", "Name", "other", "Ingress", 1);
	struct network_plan plan;
	assert_int_equal(store_network_plan(&s, spec, &plan, &err), -EEXIST);
	assert_string_equal(error_msg(&err), "rpc error: code = AlreadyExists desc = ingress "
					     "network (ing) is already present");
	error_clear(&err);
	json_decref(spec);
	add_node(&s, "nodeA");
	add_node(&s, "nodeB");
	publish(&s, "host");
	add_task(&s, "t1", "nodeA", "running", "");
	assert_false(allocate(&s));
	publish(&s, "ingress");
	assert_true(
	    allocator_needs_ingress(json_object_get(json_object_get(s.services, "svc1"), "Spec")));
	assert_true(allocate(&s));
	assert_false(allocate(&s));
	assert_string_equal(json_string_value(json_object_get(ep_of(&s, "ing", "svc1"), "Kind")),
			    "vip");
	assert_string_equal(json_string_value(json_object_get(ep_of(&s, "ing", "t1"), "Kind")),
			    "task");
	assert_string_equal(json_string_value(json_object_get(ep_of(&s, "ing", "t1"), "Service")),
			    "web");
	assert_string_equal(json_string_value(json_object_get(ep_of(&s, "ing", "nodeA"), "Kind")),
			    "node");
	assert_string_equal(ep_node(&s, "ing", "nodeB"), "nodeB");
	assert_int_equal(
	    json_object_size(json_object_get(json_object_get(s.networks, "ing"), "Endpoints")), 4);
	assert_int_equal(store_network_check_unused(&s, json_object_get(s.networks, "ing"), &err),
			 -EINVAL);
	assert_string_equal(error_msg(&err),
			    "rpc error: code = FailedPrecondition desc = ingress "
			    "network cannot be removed because service svc1 depends on it");
	error_clear(&err);
	/* Back to host mode: VIP and node endpoints go; the task's once over. */
	publish(&s, "host");
	assert_true(allocate(&s));
	assert_null(ep_of(&s, "ing", "svc1"));
	assert_null(ep_of(&s, "ing", "nodeA"));
	assert_null(ep_of(&s, "ing", "nodeB"));
	assert_int_equal(store_network_check_unused(&s, json_object_get(s.networks, "ing"), NULL),
			 0);
	add_task(&s, "t1", "nodeA", "shutdown", "");
	assert_true(allocate(&s));
	assert_null(ep_of(&s, "ing", "t1"));
	store_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_networks_plan),
	    cmocka_unit_test(test_task_addresses),
	    cmocka_unit_test(test_new_leader),
	    cmocka_unit_test(test_container_attachments),
	    cmocka_unit_test(test_attachment_replaced),
	    cmocka_unit_test(test_service_vips),
	    cmocka_unit_test(test_ingress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
