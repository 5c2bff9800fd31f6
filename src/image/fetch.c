/* libcurl on the thread pool, for imports from a URL. */
#include "image/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "basic/cleanup.h"
#include "daemon/daemon.h"

struct fetch_job {
	uv_work_t work;
	char *url;
	char *dir;
	int fd;
	struct error err;
	fetch_done_fn done;
	void *userdata;
};

static bool host_is_loopback_name(const char *host)
{
	if (strcasecmp(host, "localhost") == 0)
		return true;
	struct in_addr a4;
	struct in6_addr a6;
	char bare[64];
	size_t n = strlen(host);
	/* curl reports IPv6 hosts with their brackets. */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(bare)) {
		memcpy(bare, host + 1, n - 2);
		bare[n - 2] = '\0';
		host = bare;
	}
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int fetch_check_url(const char *url, struct error *err)
{
	CURLU *u = curl_url();
	if (!u)
		return error_set(err, -ENOMEM, "out of memory");
	char *scheme = NULL, *host = NULL;
	int r = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		r = error_set(err, -EINVAL, "invalid URL %s", url);
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		r = error_set(err, -EINVAL, "cannot import from %s: only http and https URLs are supported", url);
	else if (!host_is_loopback_name(host))
		r = error_set(err, -EPERM, "cannot import from %s: Berth only downloads from loopback addresses", url);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

static size_t on_data(char *data, size_t size, size_t n, void *userdata)
{
	struct fetch_job *j = userdata;
	size_t len = size * n, done = 0;
	while (done < len) {
		ssize_t w = write(j->fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 0; /* makes curl fail with a write error */
		done += (size_t)w;
	}
	return len;
}

static int open_unlinked(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

static void fetch_work(uv_work_t *w)
{
	struct fetch_job *j = w->data;
	j->fd = open_unlinked(j->dir);
	if (j->fd < 0) {
		error_set(&j->err, j->fd, "cannot create a download file in %s: %s", j->dir, strerror(-j->fd));
		return;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		error_set(&j->err, -ENOMEM, "cannot start a download");
		return;
	}
	char why[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* A redirect could lead away from loopback. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		error_set(&j->err, -EIO, "cannot download %s: %s", j->url,
			  why[0] ? why : curl_easy_strerror(rc));
	else if (lseek(j->fd, 0, SEEK_SET) < 0)
		error_set(&j->err, -errno, "cannot read back the download: %s", strerror(errno));
}

static void fetch_after(uv_work_t *w, int status)
{
	struct fetch_job *j = w->data;
	if (j->err.code < 0 && j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	j->done(j->fd, &j->err, j->userdata);
	error_clear(&j->err);
	free(j->url);
	free(j->dir);
	free(j);
}

int fetch_url_async(struct daemon *d, const char *url, const char *dir, fetch_done_fn done,
		    void *userdata, struct error *err)
{
	int r = fetch_check_url(url, err);
	if (r < 0)
		return r;
	struct fetch_job *j = calloc(1, sizeof(*j));
	if (!j)
		return error_set(err, -ENOMEM, "out of memory");
	j->url = strdup(url);
	j->dir = strdup(dir);
	j->fd = -1;
	j->done = done;
	j->userdata = userdata;
	j->work.data = j;
	if (!j->url || !j->dir || uv_queue_work(d->loop, &j->work, fetch_work, fetch_after) < 0) {
		free(j->url);
		free(j->dir);
		free(j);
		return error_set(err, -ENOMEM, "cannot queue the download");
	}
	return 0;
}
