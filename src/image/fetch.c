/* libcurl on the thread pool, for imports from a URL. */
#include "image/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "basic/cleanup.h"
#include "image/images.h"
#include "image/curl_lib.h"

/* libcurl is opened on first use: it and the libraries it pulls in (GnuTLS,
 * Kerberos, LDAP, SSH...) would otherwise double berthd's resident memory
 * for a feature most daemons never use. */
const char *fetch_curl_message(const struct fetch_curl *cu, char *why, CURLcode rc)
{
	if (!why[0])
		return cu->easy_strerror(rc);
	char *at = strstr(why, " after ");
	if (at) {
		char *p = at + 7;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p > at + 7 && strncmp(p, " ms", 3) == 0)
			memmove(at, p + 3, strlen(p + 3) + 1);
	}
	return why;
}

int fetch_curl_load(struct image_service *is, struct error *err)
{
	if (is->curl)
		return 0;
	struct fetch_curl *c = calloc(1, sizeof(*c));
	if (!c)
		return error_set(err, -ENOMEM, "out of memory");
	c->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!c->lib) {
		free(c);
		return error_set(err, -ENOSYS, "downloads need libcurl: %s", dlerror());
	}
	struct {
		void *dst;
		const char *name;
	} syms[] = {
	    {&c->global_init, "curl_global_init"},
	    {&c->global_cleanup, "curl_global_cleanup"},
	    {&c->url, "curl_url"},
	    {&c->url_set, "curl_url_set"},
	    {&c->url_get, "curl_url_get"},
	    {&c->url_cleanup, "curl_url_cleanup"},
	    {&c->free, "curl_free"},
	    {&c->easy_init, "curl_easy_init"},
	    {&c->easy_setopt, "curl_easy_setopt"},
	    {&c->easy_perform, "curl_easy_perform"},
	    {&c->easy_cleanup, "curl_easy_cleanup"},
	    {&c->easy_strerror, "curl_easy_strerror"},
	    {&c->easy_getinfo, "curl_easy_getinfo"},
	    {&c->slist_append, "curl_slist_append"},
	    {&c->slist_free_all, "curl_slist_free_all"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		void *f = dlsym(c->lib, syms[i].name);
		if (!f) {
			dlclose(c->lib);
			free(c);
			return error_set(err, -ENOSYS, "libcurl lacks %s", syms[i].name);
		}
		memcpy(syms[i].dst, &f, sizeof(f));
	}
	/* libcurl 7.84+ makes this safe with threads around (the pool's). */
	c->global_init(CURL_GLOBAL_DEFAULT);
	is->curl = c;
	return 0;
}

void fetch_done(struct image_service *is)
{
	if (!is->curl)
		return;
	is->curl->global_cleanup();
	dlclose(is->curl->lib);
	for (size_t i = 0; i < is->curl->n_plain_http; i++)
		free(is->curl->plain_http[i]);
	free(is->curl->plain_http);
	free(is->curl);
	is->curl = NULL;
}

struct fetch_job {
	const struct fetch_curl *curl;
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

static int check_url(const struct fetch_curl *c, const char *url, struct error *err)
{
	CURLU *u = c->url();
	if (!u)
		return error_set(err, -ENOMEM, "out of memory");
	char *scheme = NULL, *host = NULL;
	int r = 0;
	if (c->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    c->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    c->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		r = error_set(err, -EINVAL, "invalid URL %s", url);
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		r = error_set(err, -EINVAL,
			      "cannot import from %s: only http and https URLs are supported", url);
	else if (!host_is_loopback_name(host))
		r = error_set(err, -EPERM,
			      "cannot import from %s: Berth only downloads from loopback addresses",
			      url);
	c->free(scheme);
	c->free(host);
	c->url_cleanup(u);
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
		error_set(&j->err, j->fd, "cannot create a download file in %s: %s", j->dir,
			  strerror(-j->fd));
		return;
	}
	const struct fetch_curl *cu = j->curl;
	CURL *c = cu->easy_init();
	if (!c) {
		error_set(&j->err, -ENOMEM, "cannot start a download");
		return;
	}
	char why[CURL_ERROR_SIZE] = "";
	cu->easy_setopt(c, CURLOPT_URL, j->url);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* A redirect could lead away from loopback. */
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, j);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, why);
	CURLcode rc = cu->easy_perform(c);
	cu->easy_cleanup(c);
	if (rc != CURLE_OK)
		error_set(&j->err, -EIO, "cannot download %s: %s", j->url,
			  fetch_curl_message(cu, why, rc));
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

int fetch_url_async(struct image_service *is, const char *url, const char *dir, fetch_done_fn done,
		    void *userdata, struct error *err)
{
	int r = fetch_curl_load(is, err);
	if (r == 0)
		r = check_url(is->curl, url, err);
	if (r < 0)
		return r;
	struct fetch_job *j = calloc(1, sizeof(*j));
	if (!j)
		return error_set(err, -ENOMEM, "out of memory");
	j->curl = is->curl;
	j->url = strdup(url);
	j->dir = strdup(dir);
	j->fd = -1;
	j->done = done;
	j->userdata = userdata;
	j->work.data = j;
	if (!j->url || !j->dir ||
	    uv_queue_work(is->deps.loop, &j->work, fetch_work, fetch_after) < 0) {
		free(j->url);
		free(j->dir);
		free(j);
		return error_set(err, -ENOMEM, "cannot queue the download");
	}
	return 0;
}
