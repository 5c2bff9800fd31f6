/* Image digests of service specs (see service_image.h). */
#include "cli/service_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "cli/client.h"
#include "image/reference.h"

/* imageWithDigestString: name:tag@digest, the tag "latest" when there was
 * none; an unparsable or already pinned reference is left alone. */
static char *image_with_digest(const char *image, const char *digest)
{
	struct reference ref = REFERENCE_INIT;
	struct error err = ERROR_INIT;
	char *out = NULL;
	if (reference_parse(image, &ref, &err) == 0 && !ref.digest &&
	    reference_default_tag(&ref) == 0 && (ref.digest = strdup(digest)))
		out = reference_familiar_string(&ref);
	else
		out = strdup(image);
	reference_done(&ref);
	error_clear(&err);
	return out;
}

static json_t *platforms_of(json_t *resp)
{
	json_t *out = json_array(), *p;
	size_t i;
	json_array_foreach(json_object_get(resp, "Platforms"), i, p)
	{
		const char *arch = json_string_value(json_object_get(p, "architecture")) ?: "";
		const char *os = json_string_value(json_object_get(p, "os")) ?: "";
		/* swarmkit#2294: nodes say armv7l where manifests say arm. */
		if (strcasecmp(arch, "arm") == 0)
			arch = "";
		json_array_append_new(out, json_pack("{s:s, s:s}", "Architecture", arch, "OS", os));
	}
	return out;
}

static char *digest_warning(const char *image)
{
	char *w = NULL;
	if (asprintf(&w,
		     "image %s could not be accessed on a registry to record\n"
		     "its digest. Each node will access %s independently,\n"
		     "possibly leading to different nodes running different\n"
		     "versions of the image.\n",
		     image, image) < 0)
		return NULL;
	return w;
}

int service_image_resolve(const struct cli *cli, json_t *tt, const char *auth,
			  char **ret_warning)
{
	*ret_warning = NULL;
	json_t *cs = json_object_get(tt, "ContainerSpec");
	const char *image = json_string_value(json_object_get(cs, "Image"));
	if (!image || !*image)
		return 0;
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/distribution/%s/json", image) < 0)
		return -ENOMEM;
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	struct error err = ERROR_INIT;
	int r = cli_call_auth(cli, "GET", path, NULL, NULL, auth, &resp, &err);
	error_clear(&err);
	const char *digest =
	    json_string_value(json_object_get(json_object_get(resp, "Descriptor"), "digest"));
	if (r < 0 || !digest) {
		*ret_warning = digest_warning(image);
		return *ret_warning ? 0 : -ENOMEM;
	}
	char *pinned = image_with_digest(image, digest);
	if (!pinned)
		return -ENOMEM;
	json_object_set_new(cs, "Image", json_string(pinned));
	free(pinned);
	json_t *platforms = platforms_of(resp);
	if (!json_array_size(platforms)) {
		json_decref(platforms);
		return 0;
	}
	json_t *placement = json_object_get(tt, "Placement");
	if (!json_is_object(placement)) {
		placement = json_object();
		json_object_set_new(tt, "Placement", placement);
	}
	json_object_set_new(placement, "Platforms", platforms);
	return 0;
}
