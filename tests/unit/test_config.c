/* berthd flags, daemon.json, conflicts and defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"

static char tmpdir[] = "/tmp/berth-test-config-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static char *write_file(const char *name, const char *content)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static int parse(struct daemon_config *cfg, struct error *err, int argc, ...)
{
	char *argv[32];
	va_list ap;
	va_start(ap, argc);
	argv[0] = "berthd";
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	*cfg = (struct daemon_config){0};
	return config_parse_flags(argc, argv, cfg, err);
}

static void test_flags_and_defaults(void **state)
{
	struct daemon_config c;
	struct error err = ERROR_INIT;
	assert_int_equal(parse(&c, &err, 10, "-H", "unix:///tmp/a.sock", "--host=tcp://127.0.0.1:1",
			       "-D", "--data-root", "/x", "--label", "a=b", "--tlsverify"),
			 CONFIG_RUN);
	assert_int_equal(c.n_hosts, 2);
	assert_string_equal(c.hosts[1], "tcp://127.0.0.1:1");
	assert_true(c.debug);
	assert_true(c.tlsverify);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_true(c.tls); /* implied by --tlsverify */
	assert_string_equal(c.exec_root, "/run/berth");
	assert_string_equal(c.storage_driver, "overlay2");
	assert_int_equal(config_log_level(&c), LOG_LEVEL_DEBUG);
	config_done(&c);

	assert_int_equal(parse(&c, &err, 2, "--debug=false"), CONFIG_RUN);
	assert_false(c.debug);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_int_equal(c.n_hosts, 1);
	assert_string_equal(c.hosts[0], DEFAULT_HOST);
	config_done(&c);
}

static void test_flag_errors(void **state)
{
	struct daemon_config c;
	struct error err = ERROR_INIT;
	assert_int_equal(parse(&c, &err, 2, "--bogus"), -EINVAL);
	assert_string_equal(err.msg, "unknown flag: --bogus");
	error_clear(&err);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 2, "-H"), -EINVAL);
	assert_non_null(strstr(err.msg, "flag needs an argument"));
	error_clear(&err);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 2, "--tls=maybe"), -EINVAL);
	error_clear(&err);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 3, "--log-level", "loud"), CONFIG_RUN);
	assert_int_equal(config_finalize(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid log level \"loud\""));
	error_clear(&err);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 3, "--label", "novalue"), CONFIG_RUN);
	assert_int_equal(config_finalize(&c, &err), -EINVAL);
	assert_string_equal(err.msg, "bad attribute format: novalue");
	error_clear(&err);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 2, "--help"), CONFIG_HELP);
	config_done(&c);
}

static void test_file_merge(void **state)
{
	struct daemon_config c;
	struct error err = ERROR_INIT;
	char *f = write_file("ok.json", "{\"debug\": true, \"labels\": [\"x=y\"], \"log-level\": \"warn\"}");
	assert_int_equal(parse(&c, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), 0);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_true(c.debug);
	assert_int_equal(c.n_labels, 1);
	assert_string_equal(c.labels[0], "x=y");
	assert_string_equal(c.log_level, "warn");
	config_done(&c);
	free(f);
}

/* The containers' default LogConfig from the file or from flags. */
static void test_log_config(void **state)
{
	struct daemon_config c;
	struct error err = ERROR_INIT;
	char *f = write_file("log.json", "{\"log-driver\": \"local\", \"log-opts\": "
					 "{\"max-size\": \"1m\", \"a\": \"b=c\"}}");
	assert_int_equal(parse(&c, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), 0);
	json_t *lc = config_log_config(&c);
	char *text = json_dumps(lc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text,
			    "{\"Config\":{\"a\":\"b=c\",\"max-size\":\"1m\"},\"Type\":\"local\"}");
	free(text);
	json_decref(lc);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 1), CONFIG_RUN);
	lc = config_log_config(&c);
	text = json_dumps(lc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"Config\":{},\"Type\":\"json-file\"}");
	free(text);
	json_decref(lc);
	config_done(&c);
	assert_int_equal(parse(&c, &err, 5, "--log-opt", "x=1", "--log-opt", "x"), -EINVAL);
	assert_non_null(strstr(error_msg(&err), "invalid key value pair format in log-opt"));
	error_clear(&err);
	config_done(&c);
	free(write_file("log.json", "{\"log-opts\": [\"max-size=1m\"]}"));
	assert_int_equal(parse(&c, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), -EINVAL);
	assert_non_null(strstr(error_msg(&err), "log-opts"));
	error_clear(&err);
	config_done(&c);
	free(f);
}

static void test_file_conflicts_and_errors(void **state)
{
	struct daemon_config c;
	struct error err = ERROR_INIT;
	char *f = write_file("conflict.json", "{\"debug\": false, \"data-root\": \"/y\"}");
	assert_int_equal(parse(&c, &err, 4, "-D", "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "specified both as a flag and in the configuration file: debug: (from flag: true, from file: false)"));
	error_clear(&err);
	config_done(&c);
	free(f);

	f = write_file("unknown.json", "{\"bogus\": 1}");
	assert_int_equal(parse(&c, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "don't match any configuration option: bogus"));
	error_clear(&err);
	config_done(&c);
	free(f);

	f = write_file("type.json", "{\"debug\": \"yes\"}");
	assert_int_equal(parse(&c, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"debug\" must be true or false"));
	error_clear(&err);
	config_done(&c);
	free(f);

	f = write_file("broken.json", "{\"debug\": ");
	assert_int_equal(parse(&c, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), -EINVAL);
	error_clear(&err);
	config_done(&c);
	free(f);

	assert_int_equal(parse(&c, &err, 3, "--config-file", "/nonexistent/berth.json"), CONFIG_RUN);
	assert_int_equal(config_load_file(&c, &err), -ENOENT);
	error_clear(&err);
	config_done(&c);
}

static void test_reload(void **state)
{
	struct daemon_config flags, fresh;
	struct error err = ERROR_INIT;
	char *f = write_file("reload.json", "{\"labels\": [\"k=1\"]}");
	assert_int_equal(parse(&flags, &err, 3, "--config-file", f), CONFIG_RUN);
	assert_int_equal(config_reload(&flags, &fresh, &err), 0);
	assert_int_equal(fresh.n_labels, 1);
	config_done(&fresh);
	free(write_file("reload.json", "{\"labels\": [\"k=2\", \"j=3\"], \"debug\": true}"));
	assert_int_equal(config_reload(&flags, &fresh, &err), 0);
	assert_int_equal(fresh.n_labels, 2);
	assert_true(fresh.debug);
	config_done(&fresh);
	free(write_file("reload.json", "{\"labels\": 3}"));
	assert_int_equal(config_reload(&flags, &fresh, &err), -EINVAL);
	error_clear(&err);
	config_done(&flags);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_and_defaults),
	    cmocka_unit_test(test_flag_errors),
	    cmocka_unit_test(test_file_merge),
	    cmocka_unit_test(test_log_config),
	    cmocka_unit_test(test_file_conflicts_and_errors),
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
