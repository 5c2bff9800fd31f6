/* Unit tests of the CLI's request building: hosts, TLS resolution, query
 * strings, filters, timestamps, versions, flag parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/client.h"
#include "cli/host.h"
#include "cli/query.h"

static void expect_host(const char *in, bool tls, const char *url)
{
	struct cli_host h;
	struct error err = ERROR_INIT;
	if (cli_host_parse(in, tls, &h, &err) < 0)
		fail_msg("%s: %s", in, error_msg(&err));
	assert_string_equal(h.url, url);
	cli_host_done(&h);
}

static void expect_bad_host(const char *in)
{
	struct cli_host h;
	struct error err = ERROR_INIT;
	assert_int_equal(cli_host_parse(in, false, &h, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid bind address format"));
	error_clear(&err);
}

static void test_hosts(void **state)
{
	expect_host("unix:///run/berth/berth.sock", false, "unix:///run/berth/berth.sock");
	expect_host("unix://", false, "unix:///run/berth/berth.sock");
	expect_host("tcp://10.0.0.1:2375", false, "tcp://10.0.0.1:2375");
	expect_host("tcp://example.com", false, "tcp://example.com:2375");
	expect_host("tcp://example.com", true, "tcp://example.com:2376");
	expect_host("tcp://:4000", false, "tcp://127.0.0.1:4000");
	expect_host("tcp://[::1]:2375/", false, "tcp://[::1]:2375");
	expect_host("localhost:1234", false, "tcp://localhost:1234");
	struct cli_host h;
	struct error err = ERROR_INIT;
	assert_int_equal(cli_host_parse("tcp://[fe80::1]", false, &h, &err), 0);
	assert_string_equal(h.name, "fe80::1");
	assert_string_equal(h.port, "2375");
	cli_host_done(&h);
	expect_bad_host("bogus://x");
	expect_bad_host("ssh://me@host");
	expect_bad_host("tcp://host:port");
	expect_bad_host("tcp://host:99999");
	expect_bad_host("tcp://host:1/base");
	expect_bad_host("");
}

static void test_tls_resolve(void **state)
{
	struct cli_tls_config t;
	struct error err = ERROR_INIT;
	unsetenv("DOCKER_TLS_VERIFY");
	setenv("DOCKER_CERT_PATH", "/nonexistent-berth-test", 1);
	assert_int_equal(cli_tls_resolve(false, false, NULL, NULL, NULL, &t, &err), 0);
	assert_false(t.enabled);
	cli_tls_done(&t);
	/* --tls alone: no files needed, nothing verified */
	assert_int_equal(cli_tls_resolve(true, false, NULL, NULL, NULL, &t, &err), 0);
	assert_true(t.enabled);
	assert_false(t.verify);
	assert_null(t.ca);
	cli_tls_done(&t);
	/* --tlsverify needs the CA */
	assert_int_equal(cli_tls_resolve(false, true, NULL, NULL, NULL, &t, &err), -ENOENT);
	assert_string_equal(err.msg,
			    "open /nonexistent-berth-test/ca.pem: no such file or directory");
	error_clear(&err);
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	assert_int_equal(
	    cli_tls_resolve(false, false, "/x/ca.pem", "/x/c.pem", "/x/k.pem", &t, &err), 0);
	assert_true(t.enabled && t.verify);
	assert_string_equal(t.ca, "/x/ca.pem");
	assert_string_equal(t.key, "/x/k.pem");
	cli_tls_done(&t);
	assert_int_equal(cli_tls_resolve(false, false, "/x/ca.pem", "/x/c.pem", NULL, &t, &err),
			 -EINVAL);
	error_clear(&err);
	unsetenv("DOCKER_TLS_VERIFY");
}

static void test_query(void **state)
{
	char *e = query_escape("a b&c=d/é");
	assert_string_equal(e, "a%20b%26c%3Dd%2F%C3%A9");
	free(e);
	e = query_path("/services/%s/update", "a/b?c");
	assert_string_equal(e, "/services/a%2Fb%3Fc/update");
	free(e);
	struct query q = {0};
	char *p = query_build_path("1.41", "/events", &q);
	assert_string_equal(p, "/v1.41/events");
	free(p);
	assert_int_equal(query_add(&q, "since", "1.000000000"), 0);
	assert_int_equal(query_add(&q, "filters", "{\"type\":[\"x\"]}"), 0);
	p = query_build_path("1.41", "/events", &q);
	assert_string_equal(
	    p, "/v1.41/events?since=1.000000000&filters=%7B%22type%22%3A%5B%22x%22%5D%7D");
	free(p);
	p = query_build_path(NULL, "/_ping", NULL);
	assert_string_equal(p, "/_ping");
	free(p);
	query_done(&q);
}

static void test_filters(void **state)
{
	const char *vals[] = {"type=container", " Event = start ", "type=image", "type=container",
			      "label=a=b"};
	struct cli_strv sv = {vals, 5};
	char *j = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(query_filters_json(&sv, &j, &err), 0);
	/* The docker CLI's map form, keys sorted as Go's encoder writes them. */
	assert_string_equal(j, "{\"event\":{\"start\":true},\"label\":{\"a=b\":true},"
			       "\"type\":{\"container\":true,\"image\":true}}");
	free(j);
	struct cli_strv none = {0};
	assert_int_equal(query_filters_json(&none, &j, &err), 0);
	assert_null(j);
	const char *bad[] = {"bogus"};
	struct cli_strv sb = {bad, 1};
	assert_int_equal(query_filters_json(&sb, &j, &err), -EINVAL);
	assert_string_equal(err.msg, "bad format of filter (expected name=value)");
	error_clear(&err);
	assert_false(query_filter_valid("x"));
	assert_true(query_filter_valid("x="));
}

static void test_timestamps(void **state)
{
	char buf[64];
	struct error err = ERROR_INIT;
	int64_t now = 1795623811798129504LL;
	assert_int_equal(query_timestamp("0s", now, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "1795623811.798129504");
	assert_int_equal(query_timestamp("1m", now, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "1795623751.798129504");
	assert_int_equal(query_timestamp("1700000000", now, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "1700000000.000000000");
	assert_int_equal(query_timestamp("2026-01-02T03:04:05.5Z", now, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "1767323045.500000000");
	assert_int_equal(query_timestamp("bogus", now, buf, sizeof(buf), &err), -EINVAL);
	assert_string_equal(err.msg, "failed to parse value as time or duration: \"bogus\"");
	error_clear(&err);
}

static void test_flags(void **state)
{
	bool debug = false;
	const char *level = NULL;
	struct cli_strv hosts = {0}, args = {0};
	struct cli_flag flags[] = {
	    {"debug", 'D', CLI_FLAG_BOOL, &debug, NULL, "", false},
	    {"log-level", 'l', CLI_FLAG_STRING, &level, "string", "", false},
	    {"host", 'H', CLI_FLAG_LIST, &hosts, "list", "", false},
	};
	char *argv[] = {"-Dldebug", "--host=unix:///a", "-H", "tcp://b", "version", "--x"};
	struct error err = ERROR_INIT;
	assert_int_equal(cli_flags_parse(flags, 3, 6, argv, false, &args, &err), 0);
	assert_true(debug);
	assert_string_equal(level, "debug");
	assert_int_equal(hosts.n, 2);
	assert_string_equal(hosts.v[1], "tcp://b");
	assert_int_equal(args.n, 2); /* not interspersed: the rest belongs to the command */
	assert_string_equal(args.v[1], "--x");
	cli_strv_free(&args);
	cli_strv_free(&hosts);

	char *bad1[] = {"--bogus"};
	assert_int_equal(cli_flags_parse(flags, 3, 1, bad1, true, &args, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown flag: --bogus");
	error_clear(&err);
	char *bad2[] = {"-Dx"};
	assert_int_equal(cli_flags_parse(flags, 3, 1, bad2, true, &args, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown shorthand flag: 'x' in -x");
	error_clear(&err);
	char *bad3[] = {"-H"};
	assert_int_equal(cli_flags_parse(flags, 3, 1, bad3, true, &args, &err), -EINVAL);
	assert_string_equal(err.msg, "flag needs an argument: 'H' in -H");
	error_clear(&err);
	char *bad4[] = {"a", "--log-level"};
	assert_int_equal(cli_flags_parse(flags, 3, 2, bad4, true, &args, &err), -EINVAL);
	assert_string_equal(err.msg, "flag needs an argument: --log-level");
	error_clear(&err);
	cli_strv_free(&args);
	char *mixed[] = {"a", "--debug=false", "b", "--", "-D"};
	assert_int_equal(cli_flags_parse(flags, 3, 5, mixed, true, &args, &err), 0);
	assert_false(debug);
	assert_int_equal(args.n, 3);
	assert_string_equal(args.v[2], "-D");
	cli_strv_free(&args);

	/* A tri-state boolean tells --tty=false from no flag. */
	enum cli_opt_bool tty = CLI_OPT_UNSET, init = CLI_OPT_UNSET, ro = CLI_OPT_UNSET;
	struct cli_flag opt[] = {
	    {"tty", 't', CLI_FLAG_OPT_BOOL, &tty, NULL, "", false},
	    {"init", 0, CLI_FLAG_OPT_BOOL, &init, NULL, "", false},
	    {"read-only", 0, CLI_FLAG_OPT_BOOL, &ro, NULL, "", false},
	};
	char *tri[] = {"-t", "--init=false", "svc"};
	assert_int_equal(cli_flags_parse(opt, 3, 3, tri, true, &args, &err), 0);
	assert_int_equal(tty, CLI_OPT_TRUE);
	assert_int_equal(init, CLI_OPT_FALSE);
	assert_int_equal(ro, CLI_OPT_UNSET);
	cli_strv_free(&args);
	char *bad5[] = {"--init=maybe"};
	assert_int_equal(cli_flags_parse(opt, 3, 1, bad5, true, &args, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid argument \"maybe\" for \"--init\" flag: "
				     "strconv.ParseBool: parsing \"maybe\": invalid syntax");
	error_clear(&err);
	cli_strv_free(&args);
}

static void test_error_message(void **state)
{
	const char *b = "{\"message\":\"invalid filter 'bogus'\"}\n";
	char *m = client_error_message(b, strlen(b));
	assert_string_equal(m, "invalid filter 'bogus'");
	free(m);
	m = client_error_message("page not found\n", 15);
	assert_string_equal(m, "page not found");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts),	  cmocka_unit_test(test_tls_resolve),
	    cmocka_unit_test(test_query),	  cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_timestamps),	  cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_error_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
