/* The Raft store's command apply (swarm/store.c): every manager replays the
 * committed log through store_apply, so a bad entry must be refused, never
 * crash or corrupt the store. Input: commands separated by NUL bytes, the
 * last one also used as a node reference to look up. Checks that a snapshot
 * restores to the same store. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "swarm/store.h"

static void check_snapshot(const struct store *s)
{
	size_t len = 0, len2 = 0;
	char *snap = store_snapshot(s, &len);
	if (!snap)
		abort();
	struct store copy;
	store_init(&copy);
	struct error err = ERROR_INIT;
	if (store_restore(&copy, snap, len, &err) < 0)
		abort();
	char *snap2 = store_snapshot(&copy, &len2);
	if (!snap2 || len != len2 || memcmp(snap, snap2, len) != 0)
		abort();
	free(snap2);
	store_done(&copy);
	free(snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store s;
	store_init(&s);
	struct error err = ERROR_INIT;
	const char *cmd = (const char *)data, *end = cmd + size, *last = cmd;
	size_t last_len = size;
	while (cmd < end) {
		const char *nul = memchr(cmd, '\0', (size_t)(end - cmd));
		size_t len = nul ? (size_t)(nul - cmd) : (size_t)(end - cmd);
		if (store_apply(&s, cmd, len, &err) < 0 && !err.msg)
			abort();
		error_clear(&err);
		last = cmd;
		last_len = len;
		cmd += len + 1;
	}
	check_snapshot(&s);

	char *ref = malloc(last_len + 1);
	if (!ref)
		abort();
	memcpy(ref, last, last_len);
	ref[last_len] = '\0';
	json_t *node = NULL;
	if (store_find_node(&s, ref, &node, &err) == 0) {
		json_t *pub = store_public(node);
		json_decref(pub);
	}
	error_clear(&err);
	free(ref);
	/* A snapshot from a peer is input too. */
	if (store_restore(&s, (const char *)data, size, &err) == 0)
		check_snapshot(&s);
	error_clear(&err);
	store_done(&s);
	return 0;
}
