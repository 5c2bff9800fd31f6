/* Secret and config references of a service spec, checked as swarmkit's
 * control API checks them (malformed references, conflicting targets,
 * objects that do not exist under the ID and name given), and the files a
 * task's references become on its node (targets, owner, mode, data). Pure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarm/service_spec.h"
#include "swarm/store.h"
#include "swarm/task_secrets.h"

#define INVALID "rpc error: code = InvalidArgument desc = "

/* A spec with the given Secrets and Configs arrays (JSON text). */
static json_t *spec(const char *secrets, const char *configs)
{
	json_t *cs = json_pack("{s:s}", "Image", "busybox");
	if (secrets)
		json_object_set_new(cs, "Secrets", json_loads(secrets, 0, NULL));
	if (configs)
		json_object_set_new(cs, "Configs", json_loads(configs, 0, NULL));
	return json_pack("{s:s, s:{s:o}}", "Name", "svc", "TaskTemplate", "ContainerSpec", cs);
}

/* The message of checking secrets/configs; "" when accepted. */
static char msg[512];
static const char *check(const char *secrets, const char *configs)
{
	json_t *s = spec(secrets, configs);
	struct error err = ERROR_INIT;
	int r = service_spec_check(s, &err);
	snprintf(msg, sizeof(msg), "%s", r < 0 ? error_msg(&err) : "");
	if (r < 0)
		assert_int_equal(r, -EINVAL);
	error_clear(&err);
	json_decref(s);
	return msg;
}

static void test_refs_accepted(void **state)
{
	assert_string_equal(
	    check("[{\"SecretID\":\"a1\",\"SecretName\":\"pw\",\"File\":{\"Name\":\"pw\","
		  "\"UID\":\"0\",\"GID\":\"0\",\"Mode\":292}},"
		  "{\"SecretID\":\"a2\",\"SecretName\":\"pw2\",\"File\":{\"Name\":\"/x/pw\"}}]",
		  "[{\"ConfigID\":\"c1\",\"ConfigName\":\"c\",\"File\":{\"Name\":\"pw\"}},"
		  "{\"ConfigID\":\"c2\",\"ConfigName\":\"cred\",\"Runtime\":{}}]"),
	    "");
	assert_string_equal(check(NULL, NULL), "");
	assert_string_equal(check("null", "[]"), "");
}

static void test_refs_malformed(void **state)
{
	assert_string_equal(check("[{\"SecretName\":\"pw\",\"File\":{\"Name\":\"pw\"}}]", NULL),
			    INVALID "malformed secret reference");
	assert_string_equal(check("[{\"SecretID\":\"a\",\"File\":{\"Name\":\"pw\"}}]", NULL),
			    INVALID "malformed secret reference");
	assert_string_equal(check("[{\"SecretID\":\"a\",\"SecretName\":\"pw\"}]", NULL),
			    INVALID "malformed secret reference, no target provided");
	assert_string_equal(
	    check("[{\"SecretID\":\"a\",\"SecretName\":\"pw\",\"Runtime\":{}}]", NULL),
	    INVALID "malformed secret reference, no target provided");
	assert_string_equal(check("[{\"SecretID\":\"a\",\"SecretName\":\"pw\",\"File\":{}}]", NULL),
			    INVALID "malformed file secret reference, invalid target file name "
				    "provided");
	assert_string_equal(check(NULL, "[{\"ConfigID\":\"a\",\"ConfigName\":\"c\"}]"),
			    INVALID "malformed config reference, no target provided");
	assert_string_equal(check(NULL, "[{\"ConfigID\":\"a\",\"File\":{\"Name\":\"c\"}}]"),
			    INVALID "malformed config reference");
	assert_string_equal(check("[{\"SecretID\":\"a\",\"SecretName\":\"pw\",\"File\":{\"Name\":"
				  "\"p\",\"UID\":\"x\"}}]",
				  NULL),
			    INVALID "malformed file secret reference, invalid UID for pw");
	assert_string_equal(check("[{\"SecretID\":\"a\",\"SecretName\":\"pw\",\"File\":{\"Name\":"
				  "\"p\",\"Mode\":-1}}]",
				  NULL),
			    INVALID "malformed file secret reference, invalid mode for pw");
	assert_string_equal(check("{}", NULL), INVALID "malformed secret reference");
}

static void test_refs_conflicting_targets(void **state)
{
	assert_string_equal(
	    check("[{\"SecretID\":\"a\",\"SecretName\":\"one\",\"File\":{\"Name\":\"t\"}},"
		  "{\"SecretID\":\"b\",\"SecretName\":\"two\",\"File\":{\"Name\":\"t\"}}]",
		  NULL),
	    INVALID "secret references 'one' and 'two' have a conflicting target: 't'");
	assert_string_equal(
	    check(NULL, "[{\"ConfigID\":\"a\",\"ConfigName\":\"one\",\"File\":{\"Name\":\"t\"}},"
			"{\"ConfigID\":\"a\",\"ConfigName\":\"one\",\"File\":{\"Name\":\"t\"}}]"),
	    INVALID "config references 'one' and 'one' have a conflicting target: 't'");
	/* A secret and a config are checked apart, as swarmkit does. */
	assert_string_equal(
	    check("[{\"SecretID\":\"a\",\"SecretName\":\"s\",\"File\":{\"Name\":\"t\"}}]",
		  "[{\"ConfigID\":\"b\",\"ConfigName\":\"c\",\"File\":{\"Name\":\"t\"}}]"),
	    "");
}

static void put(struct store *s, const char *op, const char *id, const char *name, const char *data)
{
	json_t *v = json_pack("{s:s, s:{s:s, s:{}}}", "ID", id, "Spec", "Name", name, "Labels");
	if (strcmp(op, "secret") == 0)
		json_object_set_new(v, "_data", json_string(data));
	else
		json_object_set_new(json_object_get(v, "Spec"), "Data", json_string(data));
	json_t *cmd = json_pack("{s:s, s:o, s:I}", "op", op, "v", v, "ts", (json_int_t)1);
	char *t = json_dumps(cmd, JSON_COMPACT);
	assert_int_equal(store_apply(s, t, strlen(t), NULL), 0);
	free(t);
	json_decref(cmd);
}

static const char *check_refs(struct store *st, const char *secrets, const char *configs)
{
	json_t *s = spec(secrets, configs);
	struct error err = ERROR_INIT;
	int r = service_spec_check_refs(st, s, &err);
	snprintf(msg, sizeof(msg), "%s", r < 0 ? error_msg(&err) : "");
	error_clear(&err);
	json_decref(s);
	return msg;
}

static void test_refs_existence(void **state)
{
	struct store s;
	store_init(&s);
	put(&s, "secret", "s1", "pw", "aHVudGVyMg==");
	put(&s, "config", "c1", "conf", "eA==");
	assert_string_equal(
	    check_refs(&s,
		       "[{\"SecretID\":\"s1\",\"SecretName\":\"pw\",\"File\":{\"Name\":\"p\"}}]",
		       "[{\"ConfigID\":\"c1\",\"ConfigName\":\"conf\",\"File\":{\"Name\":\"c\"}}]"),
	    "");
	/* The ID must exist and carry the name the reference gives. */
	assert_string_equal(
	    check_refs(&s,
		       "[{\"SecretID\":\"s1\",\"SecretName\":\"other\",\"File\":{\"Name\":\"p\"}}]",
		       NULL),
	    INVALID "secret not found: other");
	assert_string_equal(
	    check_refs(
		&s,
		"[{\"SecretID\":\"x\",\"SecretName\":\"a\"},{\"SecretID\":\"s1\",\"SecretName\":"
		"\"pw\"},{\"SecretID\":\"c1\",\"SecretName\":\"conf\"}]",
		NULL),
	    INVALID "secrets not found: a, conf");
	assert_string_equal(check_refs(&s, NULL, "[{\"ConfigID\":\"s1\",\"ConfigName\":\"pw\"}]"),
			    INVALID "config not found: pw");
	store_done(&s);
}

static void test_task_files(void **state)
{
	json_t *task =
	    json_pack("{s:o}", "Spec", json_pack("{s:o}", "ContainerSpec", json_object()));
	json_t *cs = json_object_get(json_object_get(task, "Spec"), "ContainerSpec");
	json_object_set_new(
	    cs, "Secrets",
	    json_loads(
		"[{\"SecretID\":\"s1\",\"SecretName\":\"pw\",\"File\":{\"Name\":\"pw\","
		"\"UID\":\"1000\",\"GID\":\"1001\",\"Mode\":256}},"
		"{\"SecretID\":\"s1\",\"SecretName\":\"pw\",\"File\":{\"Name\":\"/abs/pw\"}}]",
		0, NULL));
	json_object_set_new(
	    cs, "Configs",
	    json_loads("[{\"ConfigID\":\"c1\",\"ConfigName\":\"c\",\"File\":{\"Name\":"
		       "\"app.conf\",\"Mode\":288}},"
		       "{\"ConfigID\":\"c2\",\"ConfigName\":\"r\",\"Runtime\":{}}]",
		       0, NULL));
	json_t *secrets = json_pack("{s:s}", "s1", "aHVudGVyMg==");
	json_t *configs = json_pack("{s:s}", "c1", "eA==");
	struct task_files f = {0};
	assert_int_equal(task_files_build(task, secrets, configs, &f, NULL), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.v[0].target, "/run/secrets/pw");
	assert_int_equal(f.v[0].uid, 1000);
	assert_int_equal(f.v[0].gid, 1001);
	assert_int_equal(f.v[0].mode, 0400);
	assert_int_equal(f.v[0].len, 7);
	assert_memory_equal(f.v[0].data, "hunter2", 7);
	assert_string_equal(f.v[1].target, "/abs/pw");
	assert_int_equal(f.v[1].uid, 0);
	assert_int_equal(f.v[1].mode, 0444);
	assert_string_equal(f.v[2].target, "/app.conf");
	assert_string_equal(f.v[2].id, "c1");
	assert_int_equal(f.v[2].mode, 0440);
	task_files_free(&f);
	/* Data the dispatcher did not send: the task cannot start. */
	json_object_del(secrets, "s1");
	struct error err = ERROR_INIT;
	assert_int_equal(task_files_build(task, secrets, configs, &f, &err), -ENOENT);
	assert_string_equal(error_msg(&err), "secret pw not found");
	assert_int_equal(f.n, 0);
	error_clear(&err);
	json_decref(task);
	json_decref(secrets);
	json_decref(configs);
}

/* Keys as Go's decoder takes them (docker-py's lower-case "replicated"), and
 * SwarmKit's checks of reserved resources. */
static void test_spec_mode_keys_and_resources(void **state)
{
	(void)state;
	json_t *s = json_loads("{\"Name\":\"m\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":"
			       "\"busybox\"}},\"Mode\":{\"replicated\":{\"replicas\":3}}}",
			       0, NULL);
	struct error err = ERROR_INIT;
	assert_int_equal(0, service_spec_check(s, &err));
	assert_int_equal(
	    3, json_integer_value(json_object_get(
		   json_object_get(json_object_get(s, "Mode"), "Replicated"), "Replicas")));
	json_object_set_new(json_object_get(s, "TaskTemplate"), "Resources",
			    json_pack("{s:{s:i}}", "Reservations", "MemoryBytes", 1024));
	assert_int_equal(-EINVAL, service_spec_check(s, &err));
	assert_string_equal("rpc error: code = InvalidArgument desc = invalid memory value 1024: "
			    "Must be at least 4MiB",
			    err.msg);
	error_clear(&err);
	json_object_set_new(json_object_get(s, "TaskTemplate"), "Resources",
			    json_pack("{s:{s:i}}", "Limits", "NanoCPUs", 500));
	assert_int_equal(-EINVAL, service_spec_check(s, &err));
	assert_string_equal(
	    "rpc error: code = InvalidArgument desc = invalid cpu value 5e-07: Must "
	    "be at least 0.001",
	    err.msg);
	error_clear(&err);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refs_accepted),
	    cmocka_unit_test(test_refs_malformed),
	    cmocka_unit_test(test_refs_conflicting_targets),
	    cmocka_unit_test(test_refs_existence),
	    cmocka_unit_test(test_task_files),
	    cmocka_unit_test(test_spec_mode_keys_and_resources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
