/* Time parsing, listen addresses, buffers and error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/buf.h"
#include "basic/error.h"
#include "basic/timeutil.h"
#include "shared/host.h"

#define SEC 1000000000LL

static void test_api_timestamps(void **state)
{
	int64_t ns;
	assert_int_equal(time_parse_api_timestamp("1700000000", &ns), 0);
	assert_true(ns == 1700000000 * SEC);
	assert_int_equal(time_parse_api_timestamp("1700000000.5", &ns), 0);
	assert_true(ns == 1700000000 * SEC + 500000000);
	assert_int_equal(time_parse_api_timestamp("1.000000001", &ns), 0);
	assert_true(ns == SEC + 1);
	assert_int_equal(time_parse_api_timestamp("abc", &ns), -EINVAL);
	assert_int_equal(time_parse_api_timestamp("1.", &ns), -EINVAL);
	assert_int_equal(time_parse_api_timestamp("1x", &ns), -EINVAL);
	assert_int_equal(time_parse_api_timestamp("", &ns), -EINVAL);
}

static void test_durations_and_user_times(void **state)
{
	int64_t ns;
	assert_int_equal(time_parse_duration("1h30m", &ns), 0);
	assert_true(ns == 5400 * SEC);
	assert_int_equal(time_parse_duration("300ms", &ns), 0);
	assert_true(ns == 300000000);
	assert_int_equal(time_parse_duration("1.5s", &ns), 0);
	assert_true(ns == 1500000000);
	assert_int_equal(time_parse_duration("5", &ns), -EINVAL);
	assert_int_equal(time_parse_duration("5x", &ns), -EINVAL);
	int64_t now = 2000000000 * SEC;
	assert_int_equal(time_parse_user_timestamp("10m", now, &ns), 0);
	assert_true(ns == now - 600 * SEC);
	assert_int_equal(time_parse_user_timestamp("2023-11-14T22:13:20Z", now, &ns), 0);
	assert_true(ns == 1700000000 * SEC);
	assert_int_equal(time_parse_user_timestamp("2023-11-14T23:13:20+01:00", now, &ns), 0);
	assert_true(ns == 1700000000 * SEC);
	assert_int_equal(time_parse_user_timestamp("2023-11-14T22:13:20.25Z", now, &ns), 0);
	assert_true(ns == 1700000000 * SEC + 250000000);
	assert_int_equal(time_parse_user_timestamp("1700000000", now, &ns), 0);
	assert_true(ns == 1700000000 * SEC);
	assert_int_equal(time_parse_user_timestamp("yesterday", now, &ns), -EINVAL);
}

static void test_rfc3339nano(void **state)
{
	char buf[64];
	time_format_rfc3339nano(1700000000 * SEC + 120000000, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.12Z");
	time_format_rfc3339nano(1700000000 * SEC, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20Z");
}

static void test_go_durations(void **state)
{
	static const struct {
		int64_t ns;
		const char *s;
	} cases[] = {
		{0, "0s"},	       {999, "999ns"},	      {1500, "1.5µs"},
		{500000000, "500ms"}, {1000000000, "1s"},    {1500000000, "1.5s"},
		{90 * SEC, "1m30s"},  {60 * SEC, "1m0s"},    {7200 * SEC, "2h0m0s"},
		{-2 * SEC, "-2s"},
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_format_duration(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
}

static void test_hosts(void **state)
{
	struct host_addr h;
	struct error err = ERROR_INIT;
	assert_int_equal(host_parse("unix:///run/x.sock", false, &h, &err), 0);
	assert_int_equal(h.kind, HOST_UNIX);
	assert_string_equal(h.path, "/run/x.sock");
	assert_int_equal(host_parse("tcp://127.0.0.1:2375", false, &h, &err), 0);
	assert_true(host_is_loopback(&h));
	assert_int_equal(host_parse("tcp://:4000", false, &h, &err), 0);
	assert_string_equal(h.ip, "127.0.0.1");
	assert_int_equal(h.port, 4000);
	assert_int_equal(host_parse("tcp://0.0.0.0", true, &h, &err), 0);
	assert_int_equal(h.port, 2376);
	assert_false(host_is_loopback(&h));
	assert_int_equal(host_parse("tcp://[::1]:99", false, &h, &err), 0);
	assert_true(host_is_loopback(&h));
	assert_int_equal(host_parse("tcp://example.com:1", false, &h, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(host_parse("tcp://1.2.3.4:99999", false, &h, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(host_parse("http://x", false, &h, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(host_parse("unix://relative", false, &h, &err), -EINVAL);
	error_clear(&err);
}

static void test_buf_and_error(void **state)
{
	struct buf b = BUF_INIT;
	buf_appendf(&b, "%s-%d", "a", 1);
	buf_append(&b, "xyz", 3);
	buf_consume(&b, 2);
	assert_string_equal(b.data, "1xyz");
	char *s = buf_steal(&b);
	assert_string_equal(s, "1xyz");
	free(s);
	assert_null(b.data);

	struct error err = ERROR_INIT;
	assert_int_equal(error_set(&err, -ENOENT, "no such thing: %s", "x"), -ENOENT);
	assert_int_equal(error_wrap(&err, "looking up %d", 7), -ENOENT);
	assert_string_equal(err.msg, "looking up 7: no such thing: x");
	error_clear(&err);
	assert_null(err.msg);
	assert_int_equal(error_set(NULL, -EIO, "ignored"), -EIO);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_timestamps), cmocka_unit_test(test_durations_and_user_times),
		cmocka_unit_test(test_rfc3339nano), cmocka_unit_test(test_go_durations),    cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_buf_and_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
