/* Downloads for `docker import URL`: http(s) from loopback addresses only,
 * into an unlinked file, on the thread pool. */
#pragma once

#include <stdbool.h>

#include "basic/error.h"

struct image_service;

/* Downloads url into an unlinked file in dir and calls done on the loop with
 * the file (positioned at its start, owned by done) or fd -1 and err.
 * Only http(s) on 127.0.0.0/8, ::1 or localhost is fetched (-EPERM or
 * -EINVAL otherwise): a daemon that downloads whatever an API caller names
 * can be made to reach internal services. libcurl is loaded on first use
 * (-ENOSYS when it is missing). */
typedef void (*fetch_done_fn)(int fd, const struct error *err, void *userdata);
int fetch_url_async(struct image_service *is, const char *url, const char *dir, fetch_done_fn done,
		    void *userdata, struct error *err);

/* Unloads libcurl at shutdown, when no download runs any more. */
void fetch_done(struct image_service *is);
