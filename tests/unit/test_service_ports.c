/* The published ports of a service's Endpoint (src/orchestrator/ports.c):
 * ingress ports without a published port get one of 30000-32767, as
 * SwarmKit's allocator gives, and keep it across updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "orchestrator/ports.h"

static json_t *spec_with(const char *ports)
{
	json_error_t e;
	json_t *p = json_loads(ports, 0, &e);
	assert_non_null(p);
	return json_pack("{s:s, s:{s:o}}", "Name", "s", "EndpointSpec", "Ports", p);
}

static json_int_t published(json_t *endpoint, size_t i)
{
	return json_integer_value(json_object_get(
	    json_array_get(json_object_get(endpoint, "Ports"), i), "PublishedPort"));
}

/* services gets id -> {"Spec", "Endpoint"} for spec. */
static json_t *add_service(json_t *services, const char *id, json_t *spec)
{
	json_t *ep = ports_endpoint(spec, NULL, services, NULL);
	json_object_set_new(services, id, json_pack("{s:o, s:o}", "Spec", spec, "Endpoint", ep));
	return ep;
}

static void test_dynamic_ports_lowest_free(void **state)
{
	(void)state;
	json_t *services = json_object();
	json_t *a = add_service(services, "a",
				spec_with("[{\"Protocol\":\"tcp\",\"TargetPort\":80,"
					  "\"PublishMode\":\"ingress\"},"
					  "{\"Protocol\":\"tcp\",\"TargetPort\":81,"
					  "\"PublishedPort\":30001,\"PublishMode\":\"ingress\"},"
					  "{\"Protocol\":\"udp\",\"TargetPort\":82}]"));
	assert_int_equal(published(a, 0), 30000);
	assert_int_equal(published(a, 1), 30001);
	assert_int_equal(published(a, 2), 30002);
	/* The spec stays as the user gave it. */
	json_t *spec = json_object_get(json_object_get(services, "a"), "Spec");
	json_t *first =
	    json_array_get(json_object_get(json_object_get(spec, "EndpointSpec"), "Ports"), 0);
	assert_null(json_object_get(first, "PublishedPort"));
	json_t *b = add_service(services, "b",
				spec_with("[{\"TargetPort\":80,\"PublishMode\":\"ingress\"},"
					  "{\"TargetPort\":90,\"PublishMode\":\"host\"}]"));
	assert_int_equal(published(b, 0), 30003);
	/* Host mode: the node picks, not the allocator. */
	assert_int_equal(published(b, 1), 0);
	json_decref(services);
}

static void test_dynamic_port_kept_on_update(void **state)
{
	(void)state;
	json_t *services = json_object();
	add_service(services, "a", spec_with("[{\"TargetPort\":80}]"));
	json_t *b = add_service(services, "b", spec_with("[{\"TargetPort\":80}]"));
	assert_int_equal(published(b, 0), 30001);
	/* a new port is added before the old one: the old keeps its number. */
	json_t *spec = spec_with("[{\"TargetPort\":443},{\"TargetPort\":80}]");
	json_t *ep = ports_endpoint(spec, b, services, "b");
	assert_int_equal(published(ep, 0), 30002);
	assert_int_equal(published(ep, 1), 30001);
	json_decref(ep);
	json_decref(spec);
	/* Its own ports are free to it again. */
	spec = spec_with("[{\"TargetPort\":8080}]");
	ep = ports_endpoint(spec, b, services, "b");
	assert_int_equal(published(ep, 0), 30001);
	json_decref(ep);
	json_decref(spec);
	json_decref(services);
}

static void test_range_exhausted_leaves_zero(void **state)
{
	(void)state;
	json_t *ports = json_array();
	for (int n = 30000; n <= 32767; n++)
		json_array_append_new(ports,
				      json_pack("{s:i, s:i}", "TargetPort", 1, "PublishedPort", n));
	json_t *services = json_object();
	json_object_set_new(services, "full", json_pack("{s:{s:o}}", "Endpoint", "Ports", ports));
	json_t *spec = spec_with("[{\"TargetPort\":80}]");
	json_t *ep = ports_endpoint(spec, NULL, services, NULL);
	assert_int_equal(published(ep, 0), 0);
	json_decref(ep);
	json_decref(spec);
	json_decref(services);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dynamic_ports_lowest_free),
	    cmocka_unit_test(test_dynamic_port_kept_on_update),
	    cmocka_unit_test(test_range_exhausted_leaves_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
