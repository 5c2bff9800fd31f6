/* docker import/commit --change instructions applied to a config. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "image/changes.h"

static json_t *apply(const char *const *changes, size_t n, int expect)
{
	json_t *c = changes_empty_config();
	struct error err = ERROR_INIT;
	assert_int_equal(changes_apply(c, changes, n, &err), expect);
	error_clear(&err);
	return c;
}

static void assert_json(json_t *v, const char *expect)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_string_equal(s, expect);
	free(s);
}

static void test_cmd_entrypoint(void **state)
{
	const char *ch[] = {"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", "entrypoint /init --x"};
	json_t *c = apply(ch, 2, 0);
	assert_json(json_object_get(c, "Cmd"), "[\"/bin/sh\",\"-c\",\"echo hi\"]");
	assert_json(json_object_get(c, "Entrypoint"), "[\"/bin/sh\",\"-c\",\"/init --x\"]");
	json_decref(c);
	/* ENTRYPOINT without CMD resets CMD, as in a Dockerfile. */
	const char *ch2[] = {"ENTRYPOINT [\"/x\"]"};
	c = apply(ch2, 1, 0);
	assert_true(json_is_null(json_object_get(c, "Cmd")));
	json_decref(c);
	/* A malformed JSON array is the shell form. */
	const char *ch3[] = {"CMD [oops"};
	c = apply(ch3, 1, 0);
	assert_json(json_object_get(c, "Cmd"), "[\"/bin/sh\",\"-c\",\"[oops\"]");
	json_decref(c);
}

static void test_env_label(void **state)
{
	const char *ch[] = {"ENV A=1 B=\"two words\" C=x\\ y", "ENV A 3 and more", "LABEL k=v \"q k\"='s v'",
			    "LABEL legacy some value"};
	json_t *c = apply(ch, 4, 0);
	assert_json(json_object_get(c, "Env"), "[\"A=3 and more\",\"B=two words\",\"C=x y\"]");
	assert_json(json_object_get(c, "Labels"), "{\"k\":\"v\",\"q k\":\"s v\",\"legacy\":\"some value\"}");
	json_decref(c);
	const char *bad[] = {"ENV =x"};
	json_decref(apply(bad, 1, -EINVAL));
	const char *bad2[] = {"ENV \"unterminated"};
	json_decref(apply(bad2, 1, -EINVAL));
}

static void test_misc(void **state)
{
	const char *ch[] = {"EXPOSE 80 53/udp", "WORKDIR /a", "WORKDIR b", "USER nobody:nogroup",
			    "VOLUME [\"/data\"]", "VOLUME /v1 /v2", "STOPSIGNAL SIGKILL", "ONBUILD RUN x"};
	json_t *c = apply(ch, 8, 0);
	assert_json(json_object_get(c, "ExposedPorts"), "{\"80/tcp\":{},\"53/udp\":{}}");
	assert_json(json_object_get(c, "WorkingDir"), "\"/a/b\"");
	assert_json(json_object_get(c, "User"), "\"nobody:nogroup\"");
	assert_json(json_object_get(c, "Volumes"), "{\"/data\":{},\"/v1\":{},\"/v2\":{}}");
	assert_json(json_object_get(c, "StopSignal"), "\"SIGKILL\"");
	assert_json(json_object_get(c, "OnBuild"), "[\"RUN x\"]");
	json_decref(c);
	const char *bad[] = {"RUN echo"};
	json_t *c2 = changes_empty_config();
	struct error err = ERROR_INIT;
	assert_int_equal(changes_apply(c2, bad, 1, &err), -EINVAL);
	assert_string_equal(err.msg, "RUN is not a valid change command");
	error_clear(&err);
	json_decref(c2);
	const char *bad_port[] = {"EXPOSE 99999"};
	json_decref(apply(bad_port, 1, -EINVAL));
}

static void test_split_words(void **state)
{
	json_t *w = changes_split_words("  a 'b c' \"d\\\"e\" f\\ g ");
	assert_json(w, "[\"a\",\"b c\",\"d\\\"e\",\"f g\"]");
	json_decref(w);
	assert_null(changes_split_words("'open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_entrypoint),
		cmocka_unit_test(test_env_label),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_split_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
