/* Secrets and configs in the swarm store: the commands, name conflicts
 * decided the same way on every manager, lookups, private data, change
 * notifications, the users hook, and snapshots. Pure: no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarm/store.h"

#define TS 1700000000000000000LL

static json_t *obj(const char *id, const char *name, const char *data)
{
	return json_pack("{s:s, s:{s:s, s:{}}, s:s}", "ID", id, "Spec", "Name", name, "Labels",
			 "_data", data);
}

static int apply(struct store *s, json_t *cmd, struct error *err)
{
	char *t = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	int r = store_apply(s, t, strlen(t), err);
	free(t);
	return r;
}

static int put(struct store *s, const char *op, json_t *v, struct error *err)
{
	return apply(s, json_pack("{s:s, s:o, s:I}", "op", op, "v", v, "ts", (json_int_t)TS), err);
}

struct seen {
	char log[512];
};

static void on_change(void *userdata, const char *type, const char *action, json_t *o, json_t *old,
		      int64_t ts)
{
	(void)old;
	struct seen *s = userdata;
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof(s->log) - n, "%s %s %s;", type, action,
		 json_string_value(json_object_get(json_object_get(o, "Spec"), "Name")));
	assert_true(ts == TS);
}

static void test_secret_commands(void **state)
{
	struct store s;
	struct seen seen = {""};
	store_init(&s);
	s.on_change = on_change;
	s.change_data = &seen;
	assert_int_equal(put(&s, "secret", obj("abc1", "pw", "aHVudGVyMg=="), NULL), 0);
	assert_int_equal(put(&s, "config", obj("abc2", "pw", "x"), NULL), 0);
	/* Another secret of the same name is dropped, with the reason. */
	struct error err = ERROR_INIT;
	assert_int_equal(put(&s, "secret", obj("zzz9", "pw", "eA=="), &err), -EEXIST);
	assert_string_equal(err.msg, "secret pw already exists");
	error_clear(&err);
	assert_int_equal(json_object_size(s.secrets), 1);

	json_t *o = NULL;
	assert_int_equal(store_find_object(&s, STORE_SECRET, "pw", &o, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(o, "ID")), "abc1");
	assert_string_equal(store_object_data(o, STORE_SECRET), "aHVudGVyMg==");
	int64_t v1 = json_integer_value(json_object_get(json_object_get(o, "Version"), "Index"));
	const char *created = json_string_value(json_object_get(o, "CreatedAt"));
	assert_non_null(created);
	/* The data is private: the API's view has none of it. */
	json_t *pub = store_public(o);
	assert_null(json_object_get(pub, "_data"));
	assert_null(json_object_get(json_object_get(pub, "Spec"), "Data"));
	json_decref(pub);

	/* An update keeps CreatedAt and bumps the version. */
	char *created_copy = strdup(created);
	assert_int_equal(put(&s, "secret", obj("abc1", "pw", "bmV3"), NULL), 0);
	assert_int_equal(store_find_object(&s, STORE_SECRET, "abc", &o, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(o, "CreatedAt")), created_copy);
	assert_true(json_integer_value(json_object_get(json_object_get(o, "Version"), "Index")) >
		    v1);
	assert_string_equal(store_object_data(o, STORE_SECRET), "bmV3");
	free(created_copy);

	/* Prefixes: unique, ambiguous, unknown. */
	assert_int_equal(put(&s, "secret", obj("abd3", "other", "eA=="), NULL), 0);
	assert_int_equal(store_find_object(&s, STORE_SECRET, "abd", &o, NULL), 0);
	assert_int_equal(store_find_object(&s, STORE_SECRET, "ab", &o, &err), -EINVAL);
	assert_string_equal(err.msg, "secret ab is ambiguous (2 matches found)");
	error_clear(&err);
	assert_int_equal(store_find_object(&s, STORE_CONFIG, "nope", &o, &err), -ENOENT);
	assert_string_equal(err.msg, "config nope not found");
	error_clear(&err);

	assert_int_equal(apply(&s,
			       json_pack("{s:s, s:s, s:I}", "op", "rm_secret", "id", "abc1", "ts",
					 (json_int_t)TS),
			       NULL),
			 0);
	assert_null(store_object_named(&s, STORE_SECRET, "pw"));
	assert_non_null(store_object_named(&s, STORE_CONFIG, "pw"));
	assert_string_equal(seen.log, "secret create pw;config create pw;secret update pw;"
				      "secret create other;secret remove pw;");
	store_done(&s);
}

/* A service whose task template refers to secret s1 and, when with_config,
 * to config c1. */
static void add_service(struct store *s, const char *id, const char *name, bool with_config)
{
	json_t *cs = json_pack("{s:[{s:s, s:s}]}", "Secrets", "SecretID", "s1", "SecretName", "pw");
	if (with_config)
		json_object_set_new(cs, "Configs",
				    json_pack("[{s:s, s:s}]", "ConfigID", "c1", "ConfigName", "cfg"));
	json_object_set_new(s->services, id,
			    json_pack("{s:s, s:{s:s, s:{s:o}}}", "ID", id, "Spec", "Name", name,
				      "TaskTemplate", "ContainerSpec", cs));
}

static void test_in_use(void **state)
{
	struct store s;
	store_init(&s);
	assert_int_equal(put(&s, "secret", obj("s1", "pw", "eA=="), NULL), 0);
	assert_int_equal(put(&s, "config", obj("c1", "cfg", "eA=="), NULL), 0);
	json_t *o = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(store_find_object(&s, STORE_SECRET, "pw", &o, NULL), 0);
	/* No service: nothing is in use. */
	assert_int_equal(store_check_unused(&s, STORE_SECRET, o, &err), 0);
	add_service(&s, "svc1", "web", true);
	add_service(&s, "svc2", "api", false);
	assert_int_equal(store_check_unused(&s, STORE_SECRET, o, &err), -EINVAL);
	assert_true(strcmp(err.msg, "rpc error: code = InvalidArgument desc = secret 'pw' is in use "
				    "by the following services: web, api") == 0 ||
		    strcmp(err.msg, "rpc error: code = InvalidArgument desc = secret 'pw' is in use "
				    "by the following services: api, web") == 0);
	error_clear(&err);
	assert_int_equal(store_find_object(&s, STORE_CONFIG, "cfg", &o, NULL), 0);
	assert_int_equal(store_check_unused(&s, STORE_CONFIG, o, &err), -EINVAL);
	assert_string_equal(err.msg, "rpc error: code = InvalidArgument desc = config 'cfg' is in "
				     "use by the following service: web");
	error_clear(&err);
	store_done(&s);
}

static void test_secret_snapshot(void **state)
{
	struct store s, t;
	store_init(&s);
	store_init(&t);
	assert_int_equal(put(&s, "secret", obj("id1", "a", "eA=="), NULL), 0);
	assert_int_equal(put(&s, "config", obj("id2", "b", "eQ=="), NULL), 0);
	size_t len;
	char *snap = store_snapshot(&s, &len);
	assert_int_equal(store_restore(&t, snap, len, NULL), 0);
	free(snap);
	assert_non_null(store_object_named(&t, STORE_SECRET, "a"));
	assert_non_null(store_object_named(&t, STORE_CONFIG, "b"));
	assert_true(t.index == s.index);
	/* A snapshot from before secrets existed restores to none. */
	const char *old = "{\"cluster\":null,\"nodes\":{},\"index\":3}";
	assert_int_equal(store_restore(&t, old, strlen(old), NULL), 0);
	assert_int_equal(json_object_size(t.secrets), 0);
	assert_int_equal(json_object_size(t.configs), 0);
	store_done(&s);
	store_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_secret_commands),
	    cmocka_unit_test(test_secret_snapshot),
	    cmocka_unit_test(test_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
