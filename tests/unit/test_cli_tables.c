/* Unit tests of the CLI's list tables: docker's tabwriter layout, the
 * table/json/template forms, volume rows, image and history rows from
 * canned daemon JSON, system df figures and human sizes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/df.h"
#include "cli/image_rows.h"
#include "cli/inspect.h"
#include "cli/table.h"

static char *render(const char *format, const char *def, json_t *rows, json_t *headers)
{
	struct table t;
	struct error err = ERROR_INIT;
	assert_int_equal(table_init(&t, format, def, &err), 0);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) assert_int_equal(table_row(&t, r, &err), 0);
	char *out = table_render(&t, headers, &err);
	table_done(&t);
	json_decref(headers);
	return out;
}

static void test_tabwrite(void **state)
{
	char *s = table_tabwrite("DRIVER\tVOLUME NAME\nlocal\tnm\nlocal\tlongername\n", 10, 3);
	assert_string_equal(s, "DRIVER    VOLUME NAME\nlocal     nm\nlocal     longername\n");
	free(s);
	s = table_tabwrite("A\tlonger than ten\tx\nbb\tc\ty\n", 10, 3);
	assert_string_equal(s, "A         longer than ten   x\nbb        c                 y\n");
	free(s);
}

static json_t *volumes(void)
{
	json_t *a = json_loads("[{\"Name\":\"tv\",\"Driver\":\"local\",\"Scope\":\"local\","
			       "\"Mountpoint\":\"/d/tv/_data\",\"Labels\":{\"c\":\"\",\"a\":\"b\"}},"
			       "{\"Name\":\"nm\",\"Driver\":\"local\",\"Scope\":\"local\","
			       "\"Mountpoint\":\"/d/nm/_data\",\"Labels\":null}]",
			       0, NULL);
	json_t *rows = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) json_array_append_new(rows, cli_volume_row(v));
	json_decref(a);
	return rows;
}

static json_t *volume_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "Driver", "DRIVER", "Name", "VOLUME NAME",
			 "Labels", "LABELS", "Links", "LINKS");
}

static void test_volume_table(void **state)
{
	json_t *rows = volumes();
	char *s = render(NULL, "table {{.Driver}}\t{{.Name}}", rows, volume_headers());
	assert_string_equal(s, "DRIVER    VOLUME NAME\nlocal     tv\nlocal     nm\n");
	free(s);
	s = render("table {{.Name}}\\t{{.Labels}}\\t{{.Links}}", NULL, rows, volume_headers());
	assert_string_equal(s, "VOLUME NAME   LABELS    LINKS\ntv            a=b,c=    N/A\n"
			       "nm                      N/A\n");
	free(s);
	s = render("{{.Name}}:{{.Mountpoint}}", NULL, rows, volume_headers());
	assert_string_equal(s, "tv:/d/tv/_data\nnm:/d/nm/_data\n");
	free(s);
	s = render("json", NULL, rows, NULL);
	assert_non_null(strstr(s, "{\"Availability\":\"N/A\",\"Driver\":\"local\",\"Group\":"
				  "\"N/A\",\"Labels\":\"a=b,c=\",\"Links\":\"N/A\""));
	free(s);
	json_decref(rows);
}

static void test_template_error(void **state)
{
	struct table t;
	struct error err = ERROR_INIT;
	assert_int_equal(table_init(&t, "{{.Name", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "template parsing error: "));
	error_clear(&err);
}

static const char images_json[] =
    "[{\"Containers\":-1,\"Created\":1000000000,\"Id\":\"sha256:"
    "dbec7d16e9ac84fdb8785d2c68bdccee2c4c0ec50573efd37884ae9bc296b237\",\"RepoDigests\":null,"
    "\"RepoTags\":[\"bb:1\",\"other/bb:latest\"],\"SharedSize\":-1,\"Size\":1982256,"
    "\"VirtualSize\":1982256},"
    "{\"Containers\":-1,\"Created\":999996400,\"Id\":\"sha256:"
    "5aa4cb567c9486edf96330aad60d8e8a0a5a5e86f36a19f23a78c860d5327fdb\","
    "\"RepoDigests\":[\"reg/x@sha256:abcd\"],\"RepoTags\":[],\"SharedSize\":-1,\"Size\":"
    "512,\"VirtualSize\":512},"
    "{\"Containers\":-1,\"Created\":999996400,\"Id\":\"sha256:"
    "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef\","
    "\"RepoDigests\":null,\"RepoTags\":null,\"SharedSize\":-1,\"Size\":0,\"VirtualSize\":0}]";

static void test_images_table(void **state)
{
	json_t *images = json_loads(images_json, 0, NULL);
	struct image_list_opts o = {0};
	int64_t now = 1000000005LL * 1000000000LL;
	json_t *rows = image_list_rows(images, &o, now);
	char *def = image_list_default_format(&o);
	char *s = render(NULL, def, rows, image_list_headers());
	assert_string_equal(s,
			    "REPOSITORY   TAG       IMAGE ID       CREATED             SIZE\n"
			    "bb           1         dbec7d16e9ac   5 seconds ago       1.98MB\n"
			    "other/bb     latest    dbec7d16e9ac   5 seconds ago       1.98MB\n"
			    "reg/x        <none>    5aa4cb567c94   About an hour ago   512B\n"
			    "<none>       <none>    0123456789ab   About an hour ago   0B\n");
	free(s);
	free(def);
	json_decref(rows);

	o = (struct image_list_opts){.digests = true, .no_trunc = true};
	rows = image_list_rows(images, &o, now);
	def = image_list_default_format(&o);
	s = render(NULL, def, rows, image_list_headers());
	assert_non_null(strstr(s, "REPOSITORY   TAG       DIGEST        IMAGE ID"));
	assert_non_null(strstr(s, "reg/x        <none>    sha256:abcd   sha256:5aa4cb567c94"));
	free(s);
	free(def);
	json_decref(rows);
	json_decref(images);
}

static void test_history_table(void **state)
{
	json_t *h = json_loads("[{\"Comment\":\"hello msg\",\"Created\":1000000000,"
			       "\"CreatedBy\":\"/bin/sh -c #(nop)\\tCMD [\\\"sh\\\"] and a very long "
			       "tail of text\",\"Id\":\"sha256:dbec7d16e9ac84fd\",\"Size\":1982256},"
			       "{\"Comment\":\"\",\"Created\":1000000000,\"CreatedBy\":\"\","
			       "\"Id\":\"<missing>\",\"Size\":0}]",
			       0, NULL);
	struct image_history_opts o = {.human = true};
	json_t *rows = image_history_rows(h, &o, 1000000002LL * 1000000000LL);
	char *s = render(NULL, image_history_default_format(&o), rows, image_history_headers());
	assert_string_equal(s, "IMAGE          CREATED         CREATED BY                              "
			       "        SIZE      COMMENT\n"
			       "dbec7d16e9ac   2 seconds ago   /bin/sh -c #(nop) CMD [\"sh\"] and a very "
			       "long\xe2\x80\xa6   1.98MB    hello msg\n"
			       "<missing>      2 seconds ago                                           "
			       "        0B        \n");
	free(s);
	json_decref(rows);
	json_decref(h);
}

static void test_df(void **state)
{
	json_t *df = json_loads(
	    "{\"LayersSize\":1982256,\"Images\":[{\"Containers\":0,\"VirtualSize\":1982256,"
	    "\"SharedSize\":0},{\"Containers\":1,\"VirtualSize\":1000,\"SharedSize\":0}],"
	    "\"Containers\":[],\"Volumes\":[{\"Name\":\"v1\",\"UsageData\":{\"RefCount\":0,"
	    "\"Size\":2048}},{\"Name\":\"v2\",\"UsageData\":{\"RefCount\":1,\"Size\":1000}}],"
	    "\"BuildCache\":null,\"BuilderSize\":0}",
	    0, NULL);
	json_t *rows = df_summary_rows(df);
	char *s = render(NULL, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
			       "{{.Reclaimable}}",
			 rows,
			 json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount",
				   "TOTAL", "Active", "ACTIVE", "Size", "SIZE", "Reclaimable",
				   "RECLAIMABLE"));
	assert_string_equal(s, "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n"
			       "Images          2         1         1.982MB   1.981MB (99%)\n"
			       "Containers      0         0         0B        0B\n"
			       "Local Volumes   2         1         3.048kB   2.048kB (67%)\n"
			       "Build Cache     0         0         0B        0B\n");
	free(s);
	json_decref(rows);
	rows = df_volume_rows(json_object_get(df, "Volumes"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "Links")),
			    "1");
	json_decref(rows);
	json_decref(df);
}

static void test_sizes_and_refs(void **state)
{
	char b[32];
	table_human_size(1982256, b, sizeof(b));
	assert_string_equal(b, "1.98MB");
	table_human_size4(1982256, b, sizeof(b));
	assert_string_equal(b, "1.982MB");
	table_human_size(0, b, sizeof(b));
	assert_string_equal(b, "0B");
	table_human_size(999, b, sizeof(b));
	assert_string_equal(b, "999B");
	char *repo = NULL;
	assert_string_equal(image_split_tag("localhost:5000/a/b:v1", &repo), "v1");
	assert_string_equal(repo, "localhost:5000/a/b");
	free(repo);
	assert_null(image_split_tag("localhost:5000/a", &repo));
	assert_string_equal(repo, "localhost:5000/a");
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tabwrite),	   cmocka_unit_test(test_volume_table),
	    cmocka_unit_test(test_template_error), cmocka_unit_test(test_images_table),
	    cmocka_unit_test(test_history_table),  cmocka_unit_test(test_df),
	    cmocka_unit_test(test_sizes_and_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
