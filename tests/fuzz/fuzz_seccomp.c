/* Seccomp profiles in Docker's JSON format (engine/seccomp.c), given as
 * --security-opt seccomp=<json> in a container's HostConfig, turned into
 * the OCI spec's linux.seccomp. Input: one byte picking the container's
 * capabilities, then the profile text. */
#include <stdlib.h>
#include <string.h>

#include "engine/oci_spec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const cap_sets[] = {
	    "[]",
	    "[\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\",\"CAP_SETUID\"]",
	    "[\"CAP_SYS_ADMIN\",\"CAP_SYS_PTRACE\",\"CAP_SYS_TIME\",\"CAP_SYS_NICE\"]",
	};
	json_t *caps = json_loads(cap_sets[data[0] % 3], 0, NULL);
	char *opt = malloc(size + 8);
	if (!caps || !opt)
		abort();
	memcpy(opt, "seccomp=", 8);
	memcpy(opt + 8, data + 1, size - 1);
	/* The option arrives inside the JSON body: valid UTF-8, no NUL. */
	json_t *text = json_stringn(opt, size + 7);
	free(opt);
	if (!text) {
		json_decref(caps);
		return 0;
	}
	json_t *hc = json_pack("{s:[o], s:b}", "SecurityOpt", text, "Privileged", data[0] & 4);
	if (!hc)
		abort();
	json_t *out = NULL;
	struct error err = ERROR_INIT;
	if (oci_seccomp(hc, caps, &out, &err) == 0) {
		/* It goes into config.json: it must serialize. */
		char *s = out ? json_dumps(out, JSON_COMPACT) : NULL;
		if (out && !s)
			abort();
		free(s);
		json_decref(out);
	} else if (!err.msg) {
		abort();
	}
	error_clear(&err);
	json_decref(hc);
	json_decref(caps);
	return 0;
}
