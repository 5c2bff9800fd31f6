/* Unit tests of the CLI's --format templates and human renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cli/format.h"

/* Runs src against the JSON text dot; returns the output or NULL on error. */
static char *run(const char *src, const char *dot_json, struct error *err)
{
	json_t *dot = json_loads(dot_json, 0, NULL);
	assert_non_null(dot);
	struct format_tmpl *t = NULL;
	char *out = NULL;
	if (format_parse(src, "", &t, err) == 0 && format_exec(t, dot, &out, err) < 0) {
		free(out);
		out = NULL;
	}
	format_free(t);
	json_decref(dot);
	return out;
}

static void expect(const char *src, const char *dot, const char *want)
{
	struct error err = ERROR_INIT;
	char *out = run(src, dot, &err);
	if (!out)
		fail_msg("%s: %s", src, error_msg(&err));
	assert_string_equal(out, want);
	free(out);
	error_clear(&err);
}

static void expect_error(const char *src, const char *dot, const char *want)
{
	struct error err = ERROR_INIT;
	char *out = run(src, dot, &err);
	assert_null(out);
	assert_string_equal(err.msg, want);
	error_clear(&err);
}

static void test_fields(void **state)
{
	const char *dot = "{\"Name\":\"vm\",\"Swarm\":{\"NodeID\":\"\",\"State\":\"inactive\"},"
			  "\"NCPU\":2,\"Debug\":false,\"Plugins\":{\"Volume\":[\"local\"]}}";
	expect("{{.Name}}", dot, "vm");
	expect("name={{.Name}} cpus={{.NCPU}}!", dot, "name=vm cpus=2!");
	expect("{{.Swarm.State}}", dot, "inactive");
	expect("{{ .Debug }}", dot, "false");
	expect("{{.Plugins.Volume}}", dot, "[local]");
	expect("{{.Swarm}}", dot, "map[NodeID: State:inactive]");
	expect("no actions", dot, "no actions");
	expect("", dot, "");
}

static void test_json(void **state)
{
	const char *dot = "{\"A\":{\"B\":[1,\"x\"],\"C\":null},\"S\":\"<&>\"}";
	expect("{{json .}}", dot, "{\"A\":{\"B\":[1,\"x\"],\"C\":null},\"S\":\"<&>\"}");
	expect("json", dot, "{\"A\":{\"B\":[1,\"x\"],\"C\":null},\"S\":\"<&>\"}");
	expect("x{{json .A.B}}y", dot, "x[1,\"x\"]y");
	expect("{{json .S}}", dot, "\"<&>\"");
	expect("{{.A.C}}", dot, "<nil>");
}

static void test_functions_and_trim(void **state)
{
	const char *dot = "{\"T\":\"container\",\"A\":\"start now\"}";
	expect("{{upper .T}}", dot, "CONTAINER");
	expect("{{title .A}}", dot, "Start Now");
	expect("a  {{- .T -}}  b", dot, "acontainerb");
	expect("{{/* note */}}{{.T}}", dot, "container");
	expect("{{println .T}}", dot, "container\n");
}

static void test_case_insensitive_and_maps(void **state)
{
	const char *ev = "{\"time\":5,\"Actor\":{\"ID\":\"x\",\"Attributes\":{\"name\":\"n\"}}}";
	expect("{{.Time}}", ev, "5");
	expect("{{.Actor.Attributes.name}}", ev, "n");
	expect("{{.Actor.Attributes.missing}}", ev, "<no value>");
}

static void test_errors(void **state)
{
	expect_error("{{.Name", "{}", "template: :1: unclosed action");
	expect_error("a\n{{.X", "{}", "template: :2: unclosed action");
	expect_error("{{.Bogus}}", "{\"A\":1}",
		     "template: :1:2: executing \"\" at <.Bogus>: can't evaluate field Bogus");
	expect_error(
	    "{{.Swarm.Bogus}}", "{\"Swarm\":{}}",
	    "template: :1:8: executing \"\" at <.Swarm.Bogus>: can't evaluate field Bogus");
	expect_error("{{.A.B}}", "{\"A\":\"s\"}",
		     "template: :1:4: executing \"\" at <.A.B>: can't evaluate field B in type "
		     "string");
	struct error err = ERROR_INIT;
	assert_null(run("{{range .X}}{{end}}", "{}", &err));
	assert_non_null(strstr(err.msg, "unsupported template action \"{{range .X}}\""));
	error_clear(&err);
	assert_null(run("{{.A B}}", "{}", &err));
	assert_non_null(strstr(err.msg, "unsupported template action"));
	error_clear(&err);
}

static void test_tabwrite(void **state)
{
	char *s = format_tabwrite("Client:\n Version:\t1\n API version:\t1.41\n\nServer:\n x:\ty\n",
				  20, 1);
	assert_string_equal(s, "Client:\n Version:           1\n API version:       1.41\n\n"
			       "Server:\n x:                 y\n");
	free(s);
	s = format_tabwrite(" a-very-long-label-here:\tv\n b:\tw", 20, 1);
	/* the long label widens the column: 24 characters plus padding 1 */
	assert_string_equal(s, " a-very-long-label-here: v\n b:                      w");
	free(s);
}

static void test_human(void **state)
{
	char buf[64];
	format_bytes_size(25276026880.0, buf, sizeof(buf));
	assert_string_equal(buf, "23.54GiB");
	format_bytes_size(2048, buf, sizeof(buf));
	assert_string_equal(buf, "2KiB");
	format_bytes_size(512, buf, sizeof(buf));
	assert_string_equal(buf, "512B");
	format_human_duration(5000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "5 seconds");
	format_human_duration(3600000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "About an hour");
	format_human_duration(90LL * 24 * 3600000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "3 months");
}

static void test_times(void **state)
{
	char buf[64];
	setenv("TZ", "UTC", 1);
	tzset();
	format_time_local(1795623811798129504LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T16:23:31.798129504Z");
	format_time_local(1795623811000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T16:23:31.000000000Z");
	setenv("TZ", "CET-1", 1);
	tzset();
	format_time_local(1795623811000000005LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T17:23:31.000000005+01:00");
	setenv("TZ", "UTC", 1);
	char *s = format_ansic("2026-05-07T21:09:36.000000000+00:00");
	assert_string_equal(s, "Thu May  7 21:09:36 2026");
	free(s);
	s = format_ansic("not a time");
	assert_string_equal(s, "not a time");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_functions_and_trim),
	    cmocka_unit_test(test_case_insensitive_and_maps),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_tabwrite),
	    cmocka_unit_test(test_human),
	    cmocka_unit_test(test_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
