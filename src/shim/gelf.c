/* The gelf log driver's sending side, as dockerd's (go-gelf): each line of
 * output (without its newline; empty lines are skipped) is one GELF 1.1
 * message, level 6 (stdout) or 3 (stderr), with the fields berthd made
 * (--gelf-extra). Over UDP compressed (gzip, zlib or none) and cut into
 * chunks of 1420 bytes when longer; over TCP as it is, ended by a NUL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "shim/shim.h"

#define CHUNK_SIZE 1420
#define CHUNK_HEADER 12
#define MAX_CHUNKS 128

int shim_gelf_open(struct shim *s, char *msg, size_t len)
{
	if (!s->o.gelf_proto)
		return 0;
	if (gethostname(s->hostname, sizeof(s->hostname)) < 0)
		s->hostname[0] = '\0';
	s->hostname[sizeof(s->hostname) - 1] = '\0';
	int fd = shim_dial_inet(s->o.gelf_proto, s->o.gelf_addr, msg, len);
	if (fd < 0) {
		/* dockerd's words around the dial's. */
		char dial[256];
		snprintf(dial, sizeof(dial), "%s", msg);
		snprintf(msg, len, "gelf: cannot connect to GELF endpoint: %s %s", s->o.gelf_addr,
			 dial);
		return fd;
	}
	s->gelf_fd = fd;
	return 0;
}

/* The message's JSON: go-gelf's fields, then berthd's (an object). */
static char *message(struct shim *s, char stream, const char *data, size_t len, size_t *ret_len)
{
	_cleanup_free_ char *esc = malloc(len * 6 + 1), *host = NULL;
	size_t hl = strlen(s->hostname);
	host = malloc(hl * 6 + 1);
	if (!esc || !host)
		return NULL;
	size_t el = shim_json_escape(data, len, esc);
	size_t hel = shim_json_escape(s->hostname, hl, host);
	/* Milliseconds, as Go prints the float: no trailing zeros. */
	int64_t ms = time_now_ns() / 1000000;
	char ts[48];
	int n = snprintf(ts, sizeof(ts), "%lld.%03d", (long long)(ms / 1000), (int)(ms % 1000));
	while (ts[n - 1] == '0')
		ts[--n] = '\0';
	if (ts[n - 1] == '.')
		ts[--n] = '\0';
	const char *extra =
	    s->o.gelf_extra && s->o.gelf_extra[0] == '{' ? s->o.gelf_extra + 1 : "}";
	char *out = NULL;
	int r = asprintf(&out,
			 "{\"version\":\"1.1\",\"host\":\"%.*s\",\"short_message\":\"%.*s\","
			 "\"timestamp\":%s,\"level\":%d%s%s",
			 (int)hel, host, (int)el, esc, ts, stream == 'e' ? 3 : 6,
			 strcmp(extra, "}") ? "," : "", extra);
	if (r < 0)
		return NULL;
	*ret_len = (size_t)r;
	return out;
}

/* gzip or zlib at the level asked for; NULL on failure. */
static unsigned char *compress_msg(const struct shim *s, const char *in, size_t n, size_t *ret)
{
	bool gzip = strcmp(s->o.gelf_compress, "gzip") == 0;
	z_stream z = {0};
	if (deflateInit2(&z, s->o.gelf_level, Z_DEFLATED, gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)n) + 32;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int r = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
	*ret = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static bool send_udp(int fd, const unsigned char *p, size_t n)
{
	if (n <= CHUNK_SIZE)
		return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n;
	size_t data = CHUNK_SIZE - CHUNK_HEADER, count = (n + data - 1) / data;
	if (count > MAX_CHUNKS)
		return false; /* go-gelf: "msg too large" */
	unsigned char chunk[CHUNK_SIZE];
	chunk[0] = 0x1e;
	chunk[1] = 0x0f;
	if (getrandom(chunk + 2, 8, 0) != 8)
		return false;
	for (size_t i = 0; i < count; i++) {
		size_t k = i == count - 1 ? n - i * data : data;
		chunk[10] = (unsigned char)i;
		chunk[11] = (unsigned char)count;
		memcpy(chunk + CHUNK_HEADER, p + i * data, k);
		if (send(fd, chunk, CHUNK_HEADER + k, MSG_NOSIGNAL) != (ssize_t)(CHUNK_HEADER + k))
			return false;
	}
	return true;
}

static bool send_tcp(int fd, const char *p, size_t n)
{
	/* The message and its NUL in one go. */
	for (size_t off = 0; off < n + 1;) {
		ssize_t w = send(fd, p + off, n + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	return true;
}

static bool send_msg(struct shim *s, const char *m, size_t n)
{
	if (strcmp(s->o.gelf_proto, "tcp") == 0)
		return send_tcp(s->gelf_fd, m, n);
	if (strcmp(s->o.gelf_compress, "none") == 0)
		return send_udp(s->gelf_fd, (const unsigned char *)m, n);
	size_t zn = 0;
	_cleanup_free_ unsigned char *z = compress_msg(s, m, n, &zn);
	return z && send_udp(s->gelf_fd, z, zn);
}

void shim_gelf_write(struct shim *s, char stream, const char *data, size_t len)
{
	if (!s->o.gelf_proto)
		return;
	if (len && data[len - 1] == '\n')
		len--;
	if (!len)
		return;
	size_t n = 0;
	_cleanup_free_ char *m = message(s, stream, data, len, &n);
	if (!m)
		return;
	/* As for syslog: dial again once, then drop the message. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (s->gelf_fd < 0) {
			char msg[256];
			s->gelf_fd =
			    shim_dial_inet(s->o.gelf_proto, s->o.gelf_addr, msg, sizeof(msg));
			if (s->gelf_fd < 0)
				return;
		}
		if (send_msg(s, m, n))
			return;
		close(s->gelf_fd);
		s->gelf_fd = -1;
	}
}
