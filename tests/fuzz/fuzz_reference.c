/* Image references (image/reference.c) as the API gets them in ?fromImage=,
 * ?tag=, /images/{name} and the docker CLI's arguments: parsing, and the
 * normalized form, which must parse back to the same reference, and the
 * familiar form. (The familiar form need not: "docker.io/a.b/c" shows as
 * "a.b/c", a name on host a.b, in Docker too.) */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/reference.h"

static void check_round_trip(const struct reference *r)
{
	char *full = reference_string(r);
	char *familiar = reference_familiar_string(r);
	if (!full || !familiar)
		abort();
	struct reference again = REFERENCE_INIT;
	struct error err = ERROR_INIT;
	if (reference_parse(full, &again, &err) < 0)
		abort();
	char *full_again = reference_string(&again);
	if (!full_again || strcmp(full, full_again) != 0)
		abort();
	char *fam2 = reference_familiarize(full);
	if (!fam2 || strcmp(fam2, familiar) != 0)
		abort();
	free(fam2);
	free(full_again);
	reference_done(&again);
	free(full);
	free(familiar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct reference r = REFERENCE_INIT;
	struct error err = ERROR_INIT;
	if (reference_parse(s, &r, &err) == 0) {
		check_round_trip(&r);
		char *name = reference_name(&r);
		char *fam = reference_familiar_name(&r);
		if (!name || !fam)
			abort();
		free(name);
		free(fam);
		if (reference_default_tag(&r) < 0)
			abort();
		check_round_trip(&r);
	} else if (!err.msg) {
		abort(); /* every refusal says why */
	}
	error_clear(&err);
	reference_done(&r);

	char *norm = NULL;
	if (reference_normalize(s, &norm, &err) == 0)
		free(norm);
	error_clear(&err);
	reference_tag_valid(s);
	free(s);
	return 0;
}
