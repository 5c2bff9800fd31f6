/* daemon.json (daemon/config.c): read at start and on every SIGHUP, so a
 * bad file must give an error, never a crash. Input: one byte choosing
 * which command-line flags were given too (to exercise the conflict
 * checks), then the file's content. */
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "fuzz.h"

static const char *const flag_pairs[][2] = {
    {"--debug", "--tls"},
    {"-H", "unix:///run/x.sock"},
    {"--label", "a=b"},
    {"--bip", "10.99.0.1/24"},
    {"--add-runtime", "crun=/usr/bin/crun"},
    {"--iptables=false", "--tlsverify"},
    {"--data-root", "/var/lib/x"},
    {"--default-address-pool", "base=10.10.0.0/16,size=24"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *argv[1 + 2 * 8 + 1] = {"berthd"};
	int argc = 1;
	for (int i = 0; i < 8; i++) {
		if (!(data[0] & (1u << i)))
			continue;
		argv[argc++] = (char *)flag_pairs[i][0];
		argv[argc++] = (char *)flag_pairs[i][1];
	}
	struct daemon_config cfg = {0};
	struct error err = ERROR_INIT;
	if (config_parse_flags(argc, argv, &cfg, &err) != CONFIG_RUN)
		abort();
	int r = config_load_json(&cfg, "daemon.json", (const char *)data + 1, size - 1, &err);
	if (r == 0)
		r = config_finalize(&cfg, &err);
	if (r < 0 && !err.msg)
		abort();
	error_clear(&err);
	if (r == 0) {
		config_log_level(&cfg);
		struct daemon_config copy = {0};
		config_copy(&copy, &cfg);
		config_done(&copy);
	}
	config_done(&cfg);
	return 0;
}
