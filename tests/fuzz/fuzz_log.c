/* The log options of a container's HostConfig.LogConfig (json-file, local,
 * syslog, gelf: engine/container_log.c, log_syslog.c, log_gelf.c) and the
 * log tag
 * template, which reach berthd from any client.
 * Input: line 1 the driver's name, line 2 its Config object (JSON), the
 * rest the tag template. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/container.h"
#include "engine/log_gelf.h"
#include "engine/log_syslog.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *p = text;
	const char *type = fuzz_next_line(&p);
	const char *config = fuzz_next_line(&p);
	const char *tmpl = p ? p : "";
	/* The API's strings come from JSON: valid UTF-8 only. */
	json_t *t = json_string(type ? type : "");
	json_t *cfg = config ? json_loads(config, 0, NULL) : NULL;
	if (!t || !json_is_object(cfg)) {
		json_decref(t);
		json_decref(cfg);
		cfg = json_object();
		t = json_string("syslog");
	}
	json_t *hc = json_pack("{s:{s:o,s:o}}", "LogConfig", "Type", t, "Config", cfg);
	if (!hc)
		abort();
	struct error err = ERROR_INIT;
	uint64_t size_max;
	unsigned files;
	container_log_opts(hc, &size_max, &files, &err);
	error_clear(&err);
	container_log_kept(hc);
	struct container c = {.name = "/fuzz", .image_id = "sha256:0123456789abcdef"};
	memset(c.id, 'f', sizeof(c.id) - 1);
	c.config = json_pack("{s:s,s:[s],s:[s]}", "Image", "img", "Entrypoint", "sh", "Cmd", "-c");
	struct log_syslog_args a;
	json_t *lc = json_object_get(hc, "LogConfig");
	if (log_syslog_shim_args(&c, lc, &a, &err) == 0)
		log_syslog_args_done(&a);
	error_clear(&err);
	struct log_gelf_args g;
	if (log_gelf_shim_args(&c, lc, &g, &err) == 0)
		log_gelf_args_done(&g);
	error_clear(&err);
	char *tag = NULL;
	if (container_log_tag(&c, tmpl, &tag, &err) == 0 && !tag)
		abort();
	free(tag);
	error_clear(&err);
	json_decref(c.config);
	json_decref(hc);
	free(text);
	return 0;
}
