/* Registry HTTP API v2 over libcurl (see registry_client.h). */
#include "image/registry_client.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "image/images.h"
#include "image/curl_lib.h"
#include "shared/digest.h"
#include "image/registry_settings.h"

#define MANIFEST_MAX (4u << 20)
#define SMALL_BLOB_MAX (8u << 20)

static const char manifest_accept[] =
    "Accept: application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v1+prettyjws, application/json";

/* ---- credentials ---- */

static int b64url_decode(const char *in, char **ret, size_t *ret_len)
{
	size_t n = strlen(in);
	_cleanup_free_ char *s = malloc(n + 4);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		s[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (n % 4)
		s[n++] = '=';
	s[n] = '\0';
	unsigned char *out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	int len = EVP_DecodeBlock(out, (unsigned char *)s, (int)n);
	if (len < 0) {
		free(out);
		return -EINVAL;
	}
	while (n > 0 && s[n - 1] == '=' && len > 0) {
		len--;
		n--;
	}
	out[len] = '\0';
	*ret = (char *)out;
	*ret_len = (size_t)len;
	return 0;
}

static char *dup_field(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v && *v ? strdup(v) : NULL;
}

int registry_auth_from_json(const char *json, size_t len, struct registry_auth *ret,
			    struct error *err)
{
	*ret = (struct registry_auth){0};
	json_t *o = json_loadb(json, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return error_set(err, -EINVAL, "invalid registry credentials: not a JSON object");
	}
	ret->username = dup_field(o, "username");
	ret->password = dup_field(o, "password");
	ret->identity_token = dup_field(o, "identitytoken");
	ret->registry_token = dup_field(o, "registrytoken");
	ret->server_address = dup_field(o, "serveraddress");
	json_decref(o);
	return 0;
}

int registry_auth_decode(const char *header, struct registry_auth *ret, struct error *err)
{
	*ret = (struct registry_auth){0};
	if (!header || !*header)
		return 0;
	_cleanup_free_ char *json = NULL;
	size_t len;
	if (b64url_decode(header, &json, &len) < 0)
		return error_set(err, -EINVAL, "invalid X-Registry-Auth header: not base64");
	if (len == 0)
		return 0;
	return registry_auth_from_json(json, len, ret, err);
}

void registry_auth_done(struct registry_auth *a)
{
	free(a->username);
	free(a->password);
	free(a->identity_token);
	free(a->registry_token);
	free(a->server_address);
	*a = (struct registry_auth){0};
}

/* ---- endpoint ---- */

static char *file_if_exists(const char *dir, const char *name)
{
	char *p = NULL;
	struct stat st;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
		return p;
	free(p);
	return NULL;
}

int registry_client_init(struct registry_client *c, struct image_service *is, const char *domain,
			 bool push, struct registry_auth *auth, struct error *err)
{
	*c = (struct registry_client){0};
	c->auth = *auth;
	*auth = (struct registry_auth){0};
	int r = fetch_curl_load(is, err);
	if (r < 0)
		return r;
	c->curl = is->curl;
	bool mirror_http;
	c->host = strdup(registry_host_for(&is->deps.registries, domain, push, &mirror_http));
	if (!c->host)
		return error_set(err, -ENOMEM, "out of memory");
	c->insecure = mirror_http || registry_is_insecure(&is->deps.registries, c->host);
	for (size_t i = 0; c->insecure && i < c->curl->n_plain_http; i++)
		c->plain_first |= strcmp(c->curl->plain_http[i], c->host) == 0;
	_cleanup_free_ char *dir = registry_certs_dir(&is->deps.registries, c->host);
	if (dir) {
		c->ca_file = file_if_exists(dir, "ca.crt");
		c->cert_file = file_if_exists(dir, "client.cert");
		c->key_file = file_if_exists(dir, "client.key");
	}
	return 0;
}

static void remember_endpoint(struct registry_client *c)
{
	struct fetch_curl *cu = c->curl;
	bool plain = strncmp(c->base, "http:", 5) == 0;
	for (size_t i = 0; i < cu->n_plain_http; i++) {
		if (strcmp(cu->plain_http[i], c->host) != 0)
			continue;
		if (!plain) {
			free(cu->plain_http[i]);
			cu->plain_http[i] = cu->plain_http[--cu->n_plain_http];
		}
		return;
	}
	char **v = plain ? realloc(cu->plain_http, (cu->n_plain_http + 1) * sizeof(*v)) : NULL;
	if (!v)
		return;
	cu->plain_http = v;
	if ((v[cu->n_plain_http] = strdup(c->host)))
		cu->n_plain_http++;
}

void registry_client_done(struct registry_client *c)
{
	if (c->reached && c->base && c->curl)
		remember_endpoint(c);
	free(c->host);
	free(c->base);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->authorization);
	registry_auth_done(&c->auth);
	*c = (struct registry_client){0};
}

/* ---- one request ---- */

struct req {
	const char *method; /* GET, HEAD, PUT, PATCH, POST */
	const char *url;
	const char *accept;
	const char *content_type;
	/* body to send: memory, or fd from offset for len bytes */
	const char *body;
	size_t body_len;
	int body_fd;
	int64_t body_off, body_fd_len;
	/* body received: fd (hashed) or memory up to max */
	int out_fd;
	EVP_MD_CTX *hash;
	size_t max;
	_Atomic int64_t *progress;
	bool anonymous; /* no Authorization (token service) */
	const char *basic_user, *basic_pass;
	bool force_https_only;
};

struct io {
	const struct req *rq;
	struct registry_response *rs;
	int64_t sent;
	bool too_big, write_failed;
	char *www_authenticate;
};

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct io *io = ud;
	size_t len = size * n;
	/* Each response (a redirect's too) starts with its status line; the
	 * body callback needs the status to know where the body goes. */
	if (len > 9 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', len);
		io->rs->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		io->rs->content_length = -1;
		return len;
	}
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	size_t klen = (size_t)(colon - data);
	const char *v = colon + 1;
	size_t vlen = len - klen - 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	char **slot = NULL;
	if (klen == 14 && strncasecmp(data, "content-length", 14) == 0)
		io->rs->content_length = strtoll(v, NULL, 10);
	if (klen == 12 && strncasecmp(data, "content-type", 12) == 0)
		slot = &io->rs->content_type;
	else if (klen == 21 && strncasecmp(data, "docker-content-digest", 21) == 0)
		slot = &io->rs->docker_digest;
	else if (klen == 8 && strncasecmp(data, "location", 8) == 0)
		slot = &io->rs->location;
	else if (klen == 4 && strncasecmp(data, "link", 4) == 0)
		slot = &io->rs->link;
	else if (klen == 16 && strncasecmp(data, "www-authenticate", 16) == 0)
		slot = &io->www_authenticate;
	if (slot) {
		free(*slot);
		*slot = strndup(v, vlen);
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct io *io = ud;
	size_t len = size * n;
	const struct req *rq = io->rq;
	/* Error bodies always go to memory, for the message. */
	long status = io->rs->status;
	if (rq->out_fd >= 0 && status / 100 == 2) {
		size_t done = 0;
		while (done < len) {
			ssize_t w = write(rq->out_fd, data + done, len - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				io->write_failed = true;
				return 0;
			}
			done += (size_t)w;
		}
		if (rq->hash)
			EVP_DigestUpdate(rq->hash, data, len);
		if (rq->progress)
			atomic_fetch_add(rq->progress, (int64_t)len);
		return len;
	}
	size_t max = rq->max ? rq->max : 64 * 1024;
	if (io->rs->body.len + len > max) {
		io->too_big = true;
		return 0;
	}
	return buf_append(&io->rs->body, data, len) < 0 ? 0 : len;
}

static size_t on_read(char *data, size_t size, size_t n, void *ud)
{
	struct io *io = ud;
	const struct req *rq = io->rq;
	size_t want = size * n;
	if (rq->body_fd < 0) {
		size_t left = rq->body_len - (size_t)io->sent;
		size_t k = left < want ? left : want;
		if (k)
			memcpy(data, rq->body + io->sent, k);
		io->sent += (int64_t)k;
		return k;
	}
	int64_t left = rq->body_fd_len - io->sent;
	if (left <= 0)
		return 0;
	if ((int64_t)want > left)
		want = (size_t)left;
	ssize_t r = pread(rq->body_fd, data, want, rq->body_off + io->sent);
	if (r < 0)
		return CURL_READFUNC_ABORT;
	io->sent += r;
	if (rq->progress)
		atomic_fetch_add(rq->progress, (int64_t)r);
	return (size_t)r;
}

static int perform(struct registry_client *c, const struct req *rq, struct registry_response *rs,
		   char **www_auth, struct error *err)
{
	const struct fetch_curl *cu = c->curl;
	CURL *h = cu->easy_init();
	if (!h)
		return error_set(err, -ENOMEM, "cannot start a request");
	struct io io = {.rq = rq, .rs = rs};
	struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *auth = NULL, *ctype = NULL;
	if (rq->accept)
		hdrs = cu->slist_append(hdrs, rq->accept);
	if (rq->content_type && asprintf(&ctype, "Content-Type: %s", rq->content_type) >= 0)
		hdrs = cu->slist_append(hdrs, ctype);
	if (!rq->anonymous && c->authorization &&
	    asprintf(&auth, "Authorization: %s", c->authorization) >= 0)
		hdrs = cu->slist_append(hdrs, auth);
	/* A body sent with PUT/PATCH goes without 100-continue round trips. */
	hdrs = cu->slist_append(hdrs, "Expect:");
	hdrs = cu->slist_append(hdrs, "User-Agent: berth (registry client)");
	char why[CURL_ERROR_SIZE] = "";
	cu->easy_setopt(h, CURLOPT_URL, rq->url);
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled registry fails the transfer instead of hanging it. */
	cu->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	cu->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cu->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(h, CURLOPT_HEADERDATA, &io);
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, &io);
	cu->easy_setopt(h, CURLOPT_ERRORBUFFER, why);
	if (strcmp(rq->method, "GET") == 0)
		cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	if (rq->basic_user) {
		cu->easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		cu->easy_setopt(h, CURLOPT_USERNAME, rq->basic_user);
		cu->easy_setopt(h, CURLOPT_PASSWORD, rq->basic_pass ? rq->basic_pass : "");
	}
	if (strncmp(rq->url, "https:", 6) == 0) {
		if (c->ca_file)
			cu->easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
		else if (c->insecure) {
			cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
			cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (c->cert_file && c->key_file) {
			cu->easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
			cu->easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
		}
	}
	if (strcmp(rq->method, "HEAD") == 0) {
		cu->easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "PATCH") == 0) {
		cu->easy_setopt(h, CURLOPT_UPLOAD, 1L);
		cu->easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		cu->easy_setopt(h, CURLOPT_READDATA, &io);
		cu->easy_setopt(
		    h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)(rq->body_fd >= 0 ? rq->body_fd_len : (int64_t)rq->body_len));
		if (strcmp(rq->method, "PATCH") == 0)
			cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
	} else if (strcmp(rq->method, "POST") == 0) {
		cu->easy_setopt(h, CURLOPT_POST, 1L);
		cu->easy_setopt(h, CURLOPT_POSTFIELDS, "");
		cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	rs->status = 0;
	CURLcode rc = cu->easy_perform(h);
	long code = 0;
	cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	cu->easy_cleanup(h);
	cu->slist_free_all(hdrs);
	rs->status = code;
	if (www_auth)
		*www_auth = io.www_authenticate;
	else
		free(io.www_authenticate);
	if (io.too_big)
		return error_set(err, -EFBIG, "%s %s: response too large", rq->method, rq->url);
	if (io.write_failed)
		return error_set(err, -EIO, "cannot write the download: %m");
	if (rc != CURLE_OK)
		return error_set(err, -EIO, "%s \"%s\": %s",
				 rq->method[0] == 'G'	? "Get"
				 : rq->method[0] == 'H' ? "Head"
				 : rq->method[1] == 'U' ? "Put"
				 : rq->method[1] == 'A' ? "Patch"
							: "Post",
				 rq->url, fetch_curl_message(cu, why, rc));
	return 0;
}

void registry_response_done(struct registry_response *r)
{
	buf_free(&r->body);
	free(r->content_type);
	free(r->docker_digest);
	free(r->location);
	free(r->link);
	*r = (struct registry_response){0};
}

/* distribution's errcode.Error: "<code in lower case with spaces>: <message>",
 * several joined by ", ". */
char *registry_error_text(const struct registry_response *r)
{
	struct buf b = BUF_INIT;
	json_t *o = r->body.len ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
	json_t *errs = json_object_get(o, "errors");
	size_t i;
	json_t *e;
	json_array_foreach(errs, i, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		if (i)
			buf_append(&b, ", ", 2);
		for (const char *p = code ? code : "unknown"; *p; p++) {
			char ch = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
			buf_append(&b, &ch, 1);
		}
		buf_appendf(&b, ": %s", msg ? msg : "");
	}
	json_decref(o);
	if (!b.len)
		buf_appendf(&b, "%s", "");
	return buf_steal(&b);
}

static char *url_for(const struct registry_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *url_for(const struct registry_client *c, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *path = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&path, fmt, ap);
	va_end(ap);
	char *url = NULL;
	if (n < 0 || asprintf(&url, "%s%s", c->base, path) < 0)
		return NULL;
	return url;
}

char *registry_ping_url(const struct registry_client *c)
{
	char *u = NULL;
	if (asprintf(&u, "%s/v2/", c->base ? c->base : "https://") < 0)
		return NULL;
	return u;
}

/* ---- the challenge ---- */

/* Value of param in a challenge's `k="v",k2="v2"` list (caller frees). */
static char *challenge_param(const char *s, const char *param)
{
	size_t pl = strlen(param);
	const char *p = s;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq)
			return NULL;
		bool match = (size_t)(eq - p) == pl && strncasecmp(p, param, pl) == 0;
		const char *v = eq + 1;
		const char *end;
		if (*v == '"') {
			v++;
			end = strchr(v, '"');
			if (!end)
				return NULL;
		} else {
			end = v + strcspn(v, ",");
		}
		if (match)
			return strndup(v, (size_t)(end - v));
		p = *end == '"' ? end + 1 : end;
	}
	return NULL;
}

static char *url_escape(const char *s)
{
	struct buf b = BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			buf_append(&b, p, 1);
		else
			buf_appendf(&b, "%%%02X", *p);
	}
	if (!b.data)
		buf_append(&b, "", 0);
	return buf_steal(&b);
}

static int fetch_token(struct registry_client *c, const char *challenge, const char *const *scopes,
		       struct error *err)
{
	_cleanup_free_ char *realm = challenge_param(challenge, "realm");
	_cleanup_free_ char *service = challenge_param(challenge, "service");
	if (!realm)
		return error_set(err, -EPROTO, "the registry's bearer challenge names no realm");
	struct buf url = BUF_INIT;
	buf_appendf(&url, "%s%c", realm, strchr(realm, '?') ? '&' : '?');
	if (service) {
		_cleanup_free_ char *e = url_escape(service);
		buf_appendf(&url, "service=%s", e);
	}
	for (size_t i = 0; scopes && scopes[i]; i++) {
		_cleanup_free_ char *e = url_escape(scopes[i]);
		buf_appendf(&url, "&scope=%s", e);
	}
	if (c->auth.username) {
		_cleanup_free_ char *e = url_escape(c->auth.username);
		buf_appendf(&url, "&account=%s", e);
	}
	_cleanup_free_ char *u = buf_steal(&url);
	struct req rq = {.method = "GET",
			 .url = u,
			 .out_fd = -1,
			 .body_fd = -1,
			 .anonymous = true,
			 .basic_user = c->auth.username,
			 .basic_pass = c->auth.password};
	struct registry_response rs = {0};
	int r = perform(c, &rq, &rs, NULL, err);
	if (r == 0 && rs.status == 401)
		r = error_set(err, -EACCES, "unauthorized: incorrect username or password");
	else if (r == 0 && rs.status != 200)
		r = error_set(err, -EACCES, "token service %s answered %ld", realm, rs.status);
	json_t *o = r == 0 ? json_loadb(rs.body.data, rs.body.len, 0, NULL) : NULL;
	const char *tok = json_string_value(json_object_get(o, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(o, "access_token"));
	if (r == 0 && (!tok || !*tok))
		r = error_set(err, -EPROTO, "the token service %s gave no token", realm);
	if (r == 0) {
		free(c->authorization);
		if (asprintf(&c->authorization, "Bearer %s", tok) < 0)
			c->authorization = NULL;
	}
	json_decref(o);
	registry_response_done(&rs);
	return r;
}

static int basic_header(struct registry_client *c, struct error *err)
{
	if (!c->auth.username)
		return error_set(err, -EACCES, "no basic auth credentials");
	_cleanup_free_ char *plain = NULL;
	int n =
	    asprintf(&plain, "%s:%s", c->auth.username, c->auth.password ? c->auth.password : "");
	if (n < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ unsigned char *b64 = malloc(((size_t)n + 2) / 3 * 4 + 1);
	if (!b64)
		return error_set(err, -ENOMEM, "out of memory");
	EVP_EncodeBlock(b64, (unsigned char *)plain, n);
	free(c->authorization);
	if (asprintf(&c->authorization, "Basic %s", b64) < 0)
		c->authorization = NULL;
	return 0;
}

static int ping(struct registry_client *c, const char *base, struct registry_response *rs,
		char **www_auth, struct error *err)
{
	free(c->base);
	c->base = strdup(base);
	_cleanup_free_ char *url = registry_ping_url(c);
	struct req rq = {
	    .method = "GET", .url = url, .out_fd = -1, .body_fd = -1, .anonymous = true};
	return perform(c, &rq, rs, www_auth, err);
}

int registry_login(struct registry_client *c, const char *const *scopes, struct error *err)
{
	_cleanup_free_ char *https = NULL, *http = NULL, *www = NULL;
	if (asprintf(&https, "https://%s", c->host) < 0 ||
	    asprintf(&http, "http://%s", c->host) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct registry_response rs = {0};
	int r = -EAGAIN;
	/* Plain HTTP again where it answered last time, if it still does: a
	 * registry's own answer (a TLS one says 400 to plain HTTP). */
	if (c->plain_first && !c->ca_file) {
		r = ping(c, http, &rs, &www, err);
		if (r < 0 || (rs.status != 200 && rs.status != 401)) {
			error_clear(err);
			registry_response_done(&rs);
			free(www);
			www = NULL;
			r = -EAGAIN;
		}
	}
	if (r < 0)
		r = ping(c, https, &rs, &www, err);
	/* An insecure registry may speak plain HTTP (dockerd's fallback); one
	 * with a CA in certs.d is held to TLS. */
	if (r < 0 && c->insecure && !c->ca_file) {
		error_clear(err);
		registry_response_done(&rs);
		free(www);
		www = NULL;
		r = ping(c, http, &rs, &www, err);
	}
	if (r < 0) {
		registry_response_done(&rs);
		return r;
	}
	long status = rs.status;
	registry_response_done(&rs);
	c->reached = true;
	if (status != 401)
		return 0; /* open to all (or a registry without the /v2/ check) */
	if (c->auth.registry_token) {
		free(c->authorization);
		return asprintf(&c->authorization, "Bearer %s", c->auth.registry_token) < 0
			   ? error_set(err, -ENOMEM, "out of memory")
			   : 0;
	}
	if (www && strncasecmp(www, "bearer ", 7) == 0)
		return fetch_token(c, www + 7, scopes, err);
	if (www && strncasecmp(www, "basic", 5) == 0)
		return basic_header(c, err);
	return error_set(err, -EACCES, "the registry asks for an unsupported authentication: %s",
			 www ? www : "(no challenge)");
}

/* ---- requests of the protocol ---- */

static int status_error(struct registry_client *c, const char *what,
			const struct registry_response *rs, struct error *err)
{
	_cleanup_free_ char *text = registry_error_text(rs);
	int code = rs->status == 404			    ? -ENOENT
		   : rs->status == 401 || rs->status == 403 ? -EACCES
							    : -EIO;
	if (text && *text)
		return error_set(err, code, "%s", text);
	/* A HEAD answer has no body to tell why: distribution's words. */
	if (rs->status == 401)
		return error_set(err, code, "unauthorized: authentication required");
	if (rs->status == 403)
		return error_set(err, code, "denied: requested access to the resource is denied");
	return error_set(err, code, "%s: unexpected status %ld", what, rs->status);
}

int registry_get_manifest(struct registry_client *c, const char *repo, const char *ref,
			  struct registry_response *ret, struct error *err)
{
	*ret = (struct registry_response){0};
	_cleanup_free_ char *url = url_for(c, "/v2/%s/manifests/%s", repo, ref);
	struct req rq = {.method = "GET",
			 .url = url,
			 .accept = manifest_accept,
			 .out_fd = -1,
			 .body_fd = -1,
			 .max = MANIFEST_MAX};
	int r = perform(c, &rq, ret, NULL, err);
	if (r == 0 && ret->status != 200)
		r = status_error(c, "cannot get the manifest", ret, err);
	return r;
}

static int hash_check(EVP_MD_CTX *h, const char *digest, struct error *err)
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_DigestFinal_ex(h, md, &len);
	char hex[DIGEST_HEX_LEN + 1];
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, digest_hex(digest)) != 0)
		return error_set(err, -EIO, "filesystem layer verification failed for digest %s",
				 digest);
	return 0;
}

int registry_get_small_blob(struct registry_client *c, const char *repo, const char *digest,
			    struct buf *ret, struct error *err)
{
	_cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/%s", repo, digest);
	struct req rq = {
	    .method = "GET", .url = url, .out_fd = -1, .body_fd = -1, .max = SMALL_BLOB_MAX};
	struct registry_response rs = {0};
	int r = perform(c, &rq, &rs, NULL, err);
	if (r == 0 && rs.status != 200)
		r = status_error(c, "cannot get blob", &rs, err);
	if (r == 0) {
		char got[DIGEST_BUF];
		digest_sha256(rs.body.data ? rs.body.data : "", rs.body.len, got);
		if (strcmp(got, digest) != 0)
			r = error_set(err, -EIO, "image config verification failed for digest %s",
				      digest);
	}
	if (r == 0) {
		*ret = rs.body;
		rs.body = (struct buf)BUF_INIT;
	}
	registry_response_done(&rs);
	return r;
}

int registry_get_blob(struct registry_client *c, const char *repo, const char *digest, int fd,
		      _Atomic int64_t *progress, struct error *err)
{
	_cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/%s", repo, digest);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	if (!h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h);
		return error_set(err, -ENOMEM, "out of memory");
	}
	struct req rq = {.method = "GET",
			 .url = url,
			 .out_fd = fd,
			 .body_fd = -1,
			 .hash = h,
			 .progress = progress};
	struct registry_response rs = {0};
	int r = perform(c, &rq, &rs, NULL, err);
	if (r == 0 && rs.status != 200)
		r = status_error(c, "cannot get blob", &rs, err);
	if (r == 0)
		r = hash_check(h, digest, err);
	EVP_MD_CTX_free(h);
	registry_response_done(&rs);
	return r;
}

int registry_blob_exists(struct registry_client *c, const char *repo, const char *digest,
			 int64_t *size, struct error *err)
{
	_cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/%s", repo, digest);
	struct req rq = {.method = "HEAD", .url = url, .out_fd = -1, .body_fd = -1};
	struct registry_response rs = {0};
	int r = perform(c, &rq, &rs, NULL, err);
	if (r == 0)
		r = rs.status == 200   ? 1
		    : rs.status == 404 ? 0
				       : status_error(c, "blob check", &rs, err);
	registry_response_done(&rs);
	return r;
}

/* The Location of an upload, made absolute, with extra query appended. */
static char *upload_url(const struct registry_client *c, const char *location, const char *query)
{
	char *u = NULL;
	const char *sep = strchr(location, '?') ? "&" : "?";
	int n =
	    location[0] == '/'
		? asprintf(&u, "%s%s%s%s", c->base, location, query ? sep : "", query ? query : "")
		: asprintf(&u, "%s%s%s", location, query ? sep : "", query ? query : "");
	return n < 0 ? NULL : u;
}

static int start_upload(struct registry_client *c, const char *repo, const char *query,
			struct registry_response *rs, struct error *err)
{
	_cleanup_free_ char *url = url_for(c, "/v2/%s/blobs/uploads/%s", repo, query ? query : "");
	struct req rq = {.method = "POST", .url = url, .out_fd = -1, .body_fd = -1};
	int r = perform(c, &rq, rs, NULL, err);
	if (r == 0 && rs->status != 202 && rs->status != 201)
		r = status_error(c, "cannot start an upload", rs, err);
	if (r == 0 && rs->status == 202 && !rs->location)
		r = error_set(err, -EPROTO, "the registry started an upload without a Location");
	return r;
}

int registry_mount_blob(struct registry_client *c, const char *repo, const char *digest,
			const char *from, struct error *err)
{
	_cleanup_free_ char *q = NULL, *efrom = url_escape(from);
	if (asprintf(&q, "?mount=%s&from=%s", digest, efrom) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct registry_response rs = {0};
	int r = start_upload(c, repo, q, &rs, err);
	if (r == 0)
		r = rs.status == 201 ? 1 : 0;
	registry_response_done(&rs);
	return r;
}

static int upload(struct registry_client *c, const char *repo, const char *digest, int fd,
		  const char *data, int64_t size, int64_t chunk, _Atomic int64_t *progress,
		  struct error *err)
{
	struct registry_response rs = {0};
	int r = start_upload(c, repo, NULL, &rs, err);
	_cleanup_free_ char *loc = rs.location ? strdup(rs.location) : NULL;
	registry_response_done(&rs);
	if (r < 0)
		return r;
	int64_t off = 0;
	/* Large blobs go in chunks (PATCH), then the closing PUT has no body. */
	while (chunk > 0 && size > chunk && off < size) {
		int64_t n = size - off < chunk ? size - off : chunk;
		_cleanup_free_ char *url = upload_url(c, loc, NULL);
		struct req rq = {.method = "PATCH",
				 .url = url,
				 .out_fd = -1,
				 .body_fd = fd,
				 .body_off = off,
				 .body_fd_len = n,
				 .content_type = "application/octet-stream",
				 .progress = progress};
		r = perform(c, &rq, &rs, NULL, err);
		if (r == 0 && rs.status != 202)
			r = status_error(c, "cannot upload a chunk", &rs, err);
		if (r == 0 && rs.location) {
			free(loc);
			loc = strdup(rs.location);
		}
		registry_response_done(&rs);
		if (r < 0)
			return r;
		off += n;
	}
	_cleanup_free_ char *q = NULL;
	if (asprintf(&q, "digest=%s", digest) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *url = upload_url(c, loc, q);
	struct req rq = {.method = "PUT",
			 .url = url,
			 .out_fd = -1,
			 .body_fd = -1,
			 .content_type = "application/octet-stream",
			 .progress = progress};
	if (off < size && fd >= 0) {
		rq.body_fd = fd;
		rq.body_off = off;
		rq.body_fd_len = size - off;
	} else if (off < size) {
		rq.body = data;
		rq.body_len = (size_t)size;
	}
	r = perform(c, &rq, &rs, NULL, err);
	if (r == 0 && rs.status != 201)
		r = status_error(c, "cannot finish the upload", &rs, err);
	registry_response_done(&rs);
	return r;
}

int registry_upload_blob(struct registry_client *c, const char *repo, const char *digest, int fd,
			 int64_t size, int64_t chunk, _Atomic int64_t *progress, struct error *err)
{
	return upload(c, repo, digest, fd, NULL, size, chunk, progress, err);
}

int registry_upload_blob_mem(struct registry_client *c, const char *repo, const char *digest,
			     const char *data, size_t len, struct error *err)
{
	return upload(c, repo, digest, -1, data, (int64_t)len, 0, NULL, err);
}

int registry_put_manifest(struct registry_client *c, const char *repo, const char *tag,
			  const char *media_type, const char *data, size_t len, struct error *err)
{
	_cleanup_free_ char *url = url_for(c, "/v2/%s/manifests/%s", repo, tag);
	struct req rq = {.method = "PUT",
			 .url = url,
			 .out_fd = -1,
			 .body_fd = -1,
			 .body = data,
			 .body_len = len,
			 .content_type = media_type};
	struct registry_response rs = {0};
	int r = perform(c, &rq, &rs, NULL, err);
	if (r == 0 && rs.status != 201)
		r = status_error(c, "cannot put the manifest", &rs, err);
	registry_response_done(&rs);
	return r;
}

int registry_check(struct registry_client *c, long *status, struct error *err)
{
	_cleanup_free_ char *url = registry_ping_url(c);
	struct req rq = {.method = "GET", .url = url, .out_fd = -1, .body_fd = -1};
	struct registry_response rs = {0};
	int r = perform(c, &rq, &rs, NULL, err);
	*status = rs.status;
	registry_response_done(&rs);
	return r;
}

/* The target of a Link header's rel="next" ("</v2/x/tags/list?last=b>;
 * rel=\"next\""), or NULL. */
static char *link_next(const char *link)
{
	const char *lt = link ? strchr(link, '<') : NULL;
	const char *gt = lt ? strchr(lt, '>') : NULL;
	if (!gt || !strstr(gt, "rel=\"next\""))
		return NULL;
	return strndup(lt + 1, (size_t)(gt - lt - 1));
}

/* More pages than any registry sends: a Link that loops ends here. */
#define TAG_PAGES_MAX 10000

static int list_tags_page(struct registry_client *c, const char *url, json_t *all, char **next,
			  struct error *err)
{
	struct registry_response rs = {0};
	struct req rq = {.method = "GET", .url = url, .out_fd = -1, .body_fd = -1, .max = 1 << 20};
	int r = perform(c, &rq, &rs, NULL, err);
	if (r == 0 && rs.status != 200)
		r = status_error(c, "cannot list the tags", &rs, err);
	json_t *page = r == 0 ? json_loadb(rs.body.data, rs.body.len, 0, NULL) : NULL;
	json_t *tags = json_object_get(page, "tags");
	if (r == 0 && !json_is_array(tags) && !json_is_null(tags))
		r = error_set(err, -EIO, "invalid tag list from %s", c->host);
	size_t i;
	json_t *t;
	json_array_foreach(r == 0 ? tags : NULL, i, t)
	{
		if (json_is_string(t) && json_array_append(all, t) < 0)
			r = error_set(err, -ENOMEM, "out of memory");
	}
	*next = r == 0 ? link_next(rs.link) : NULL;
	json_decref(page);
	registry_response_done(&rs);
	return r;
}

int registry_list_tags(struct registry_client *c, const char *repo, json_t **ret, struct error *err)
{
	json_t *all = json_array();
	char *url = url_for(c, "/v2/%s/tags/list", repo);
	int r = all && url ? 0 : error_set(err, -ENOMEM, "out of memory");
	for (int pages = 0; r == 0 && url; pages++) {
		_cleanup_free_ char *next = NULL;
		if (pages == TAG_PAGES_MAX)
			r = error_set(err, -EIO, "too many pages of tags from %s", c->host);
		else
			r = list_tags_page(c, url, all, &next, err);
		free(url);
		url = NULL;
		/* A page link is a path on the same registry, or a whole URL. */
		if (r == 0 && next)
			url = *next == '/' ? url_for(c, "%s", next) : TAKE_PTR(next);
		if (r == 0 && next && !url)
			r = error_set(err, -ENOMEM, "out of memory");
	}
	free(url);
	if (r < 0) {
		json_decref(all);
		return r;
	}
	*ret = all;
	return 0;
}

int registry_get_path(struct registry_client *c, const char *path, struct registry_response *ret,
		      struct error *err)
{
	*ret = (struct registry_response){0};
	_cleanup_free_ char *url = url_for(c, "%s", path);
	struct req rq = {.method = "GET", .url = url, .out_fd = -1, .body_fd = -1, .max = 1 << 20};
	return perform(c, &rq, ret, NULL, err);
}
