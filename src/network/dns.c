/* Embedded DNS (see dns.h). */
#include "network/dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "network/nl.h"

#define DNS_ADDR 0x7f00000bu /* 127.0.0.11 */
#define FORWARD_TIMEOUT_MS 3000

/* ---- messages ---- */

/* The question's name as text; *end the offset after QTYPE/QCLASS. */
static int parse_question(const uint8_t *q, size_t len, char *name, size_t nlen, size_t *end,
			  uint16_t *qtype)
{
	size_t off = 12, w = 0;
	while (off < len && q[off]) {
		size_t l = q[off];
		if (l > 63 || off + 1 + l > len || w + l + 2 > nlen)
			return -EINVAL;
		if (w)
			name[w++] = '.';
		for (size_t i = 0; i < l; i++)
			name[w++] = (char)tolower(q[off + 1 + i]);
		off += 1 + l;
	}
	if (off + 5 > len)
		return -EINVAL;
	name[w] = '\0';
	*qtype = (uint16_t)(q[off + 1] << 8 | q[off + 2]);
	*end = off + 5;
	return 0;
}

void dns_addrs_add(struct dns_addrs *a, uint32_t v4, const struct in6_addr *v6)
{
	if (v4 && a->n4 < DNS_MAX_ADDRS)
		a->v4[a->n4++] = v4;
	if (v6 && !IN6_IS_ADDR_UNSPECIFIED(v6) && a->n6 < DNS_MAX_ADDRS)
		a->v6[a->n6++] = *v6;
}

/* One answer record for the question's name (a pointer to offset 12),
 * TTL 600; false when out has no room. */
static bool put_rr(uint8_t *out, size_t outlen, size_t *off, uint16_t type, const void *rdata,
		   uint8_t rdlen)
{
	if (*off + 12 + rdlen > outlen)
		return false;
	uint8_t rr[12] = {0xc0, 0x0c, 0, (uint8_t)type, 0, 1, 0, 0, 0x02, 0x58, 0, rdlen};
	memcpy(out + *off, rr, 12);
	memcpy(out + *off + 12, rdata, rdlen);
	*off += 12 + rdlen;
	return true;
}

int dns_answer(const uint8_t *q, size_t qlen, dns_resolve_fn resolve, void *userdata, uint8_t *out,
	       size_t outlen)
{
	char name[256];
	size_t end;
	uint16_t qtype;
	if (qlen < 17 || (q[2] & 0x80) || ((q[4] << 8) | q[5]) != 1 ||
	    parse_question(q, qlen, name, sizeof(name), &end, &qtype) < 0 || end > outlen)
		return -EINVAL;
	struct dns_addrs found = {0};
	if (*name)
		resolve(userdata, name, &found);
	if (found.n4 + found.n6 == 0)
		return 0;
	/* Our names have no other records: NOERROR, no answer. */
	size_t n4 = qtype == 1 || qtype == 255 ? found.n4 : 0;
	size_t n6 = qtype == 28 || qtype == 255 ? found.n6 : 0;
	memcpy(out, q, end);
	out[2] = 0x84 | (q[2] & 0x01); /* QR, AA, RD copied */
	out[3] = 0x80;		       /* RA, NOERROR */
	out[6] = 0;
	out[7] = 0;
	out[8] = out[9] = out[10] = out[11] = 0; /* no NS, no additional */
	size_t off = end, k = 0;
	for (size_t i = 0; i < n4; i++) {
		uint32_t be = htonl(found.v4[i]);
		k += put_rr(out, outlen, &off, 1, &be, 4);
	}
	for (size_t i = 0; i < n6; i++)
		k += put_rr(out, outlen, &off, 28, &found.v6[i], 16);
	out[7] = (uint8_t)k;
	return (int)off;
}

static void servfail(uint8_t *msg, size_t len)
{
	if (len < 4)
		return;
	msg[2] = 0x80 | (msg[2] & 0x01);
	msg[3] = 0x82; /* RA, SERVFAIL */
}

/* ---- the server ---- */

struct dns_server {
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_tcp_t tcp;
	int open_handles;
	bool stopping;
	dns_resolve_fn resolve;
	void *userdata;
	uint32_t up[4];
	size_t n_up;
	int pending;
	struct forward *forwards; /* closed at stop */
	struct tcp_conn *conns;
};

/* A query being forwarded: the answer goes back to the client over UDP
 * (from) or over a TCP connection (conn). */
struct forward {
	struct forward *next, *prev;
	uv_udp_t sock;
	uv_timer_t timer;
	struct dns_server *s;
	struct sockaddr_storage from;
	struct tcp_conn *conn;
	uint8_t buf[4096];
	uint8_t query[512];
	size_t qlen;
	int closing;
	bool answered;
};

struct tcp_conn {
	struct tcp_conn *next, *prev;
	bool reading;
	uv_tcp_t h;
	struct dns_server *s;
	uint8_t buf[65537];
	size_t len;
	int refs;
};

static void server_maybe_free(struct dns_server *s)
{
	if (s->stopping && s->open_handles == 0 && s->pending == 0)
		free(s);
}

static void on_server_handle_closed(uv_handle_t *h)
{
	struct dns_server *s = h->data;
	s->open_handles--;
	server_maybe_free(s);
}

static void conn_unref(struct tcp_conn *c);

static void send_done(uv_udp_send_t *req, int status)
{
	free(req);
}

static void reply_udp(struct dns_server *s, const struct sockaddr *to, const uint8_t *msg,
		      size_t len)
{
	if (s->stopping)
		return;
	uv_udp_send_t *req = malloc(sizeof(*req) + len);
	if (!req)
		return;
	memcpy(req + 1, msg, len);
	uv_buf_t b = uv_buf_init((char *)(req + 1), (unsigned)len);
	if (uv_udp_send(req, &s->udp, &b, 1, to, send_done) < 0)
		free(req);
}

static void write_done(uv_write_t *req, int status)
{
	struct tcp_conn *c = req->data;
	free(req);
	conn_unref(c);
}

static void reply_tcp(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	uv_write_t *req = malloc(sizeof(*req) + len + 2);
	if (!req || uv_is_closing((uv_handle_t *)&c->h)) {
		free(req);
		return;
	}
	uint8_t *p = (uint8_t *)(req + 1);
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, msg, len);
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)len + 2);
	req->data = c;
	c->refs++;
	if (uv_write(req, (uv_stream_t *)&c->h, &b, 1, write_done) < 0) {
		c->refs--;
		free(req);
	}
}

static void reply(struct dns_server *s, struct forward *f, const uint8_t *msg, size_t len)
{
	if (f->conn)
		reply_tcp(f->conn, msg, len);
	else
		reply_udp(s, (struct sockaddr *)&f->from, msg, len);
}

static void forward_closed(uv_handle_t *h)
{
	struct forward *f = h->data;
	if (--f->closing > 0)
		return;
	struct dns_server *s = f->s;
	if (f->conn)
		conn_unref(f->conn);
	free(f);
	s->pending--;
	server_maybe_free(s);
}

static void forward_end(struct forward *f)
{
	if (f->closing)
		return;
	f->closing = 2;
	if (f->prev)
		f->prev->next = f->next;
	else
		f->s->forwards = f->next;
	if (f->next)
		f->next->prev = f->prev;
	uv_udp_recv_stop(&f->sock);
	uv_close((uv_handle_t *)&f->sock, forward_closed);
	uv_close((uv_handle_t *)&f->timer, forward_closed);
}

static void forward_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct forward *f = h->data;
	*buf = uv_buf_init((char *)f->buf, sizeof(f->buf));
}

static void forward_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr,
			 unsigned flags)
{
	struct forward *f = u->data;
	if (n < 0 && !f->answered) {
		/* Upstream unreachable (ICMP error): answer SERVFAIL now. */
		f->answered = true;
		uint8_t fail[512];
		size_t l = f->qlen < sizeof(fail) ? f->qlen : sizeof(fail);
		memcpy(fail, f->query, l);
		servfail(fail, l);
		reply(f->s, f, fail, l);
		forward_end(f);
		return;
	}
	if (n <= 0 || f->answered)
		return;
	f->answered = true;
	reply(f->s, f, f->buf, (size_t)n);
	forward_end(f);
}

static void forward_timeout(uv_timer_t *t)
{
	forward_end(t->data);
}

/* Sends q upstream from the host's namespace; the answer goes back to the
 * client as it is (same ID). */
static void forward(struct dns_server *s, const uint8_t *q, size_t len, const struct sockaddr *from,
		    struct tcp_conn *conn)
{
	uint8_t fail[512];
	if (s->n_up == 0 || len > sizeof(((struct forward *)0)->buf)) {
		size_t l = len < sizeof(fail) ? len : sizeof(fail);
		memcpy(fail, q, l);
		servfail(fail, l);
		if (conn)
			reply_tcp(conn, fail, l);
		else
			reply_udp(s, from, fail, l);
		return;
	}
	struct forward *f = calloc(1, sizeof(*f));
	if (!f)
		return;
	f->s = s;
	if (from)
		memcpy(&f->from, from, sizeof(struct sockaddr_in));
	if (conn) {
		f->conn = conn;
		conn->refs++;
	}
	s->pending++;
	f->next = s->forwards;
	if (f->next)
		f->next->prev = f;
	s->forwards = f;
	uv_udp_init(s->loop, &f->sock);
	uv_timer_init(s->loop, &f->timer);
	f->sock.data = f->timer.data = f;
	struct sockaddr_in up = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(s->up[0])};
	memcpy(f->buf, q, len);
	f->qlen = len < sizeof(f->query) ? len : sizeof(f->query);
	memcpy(f->query, q, f->qlen);
	uv_buf_t b = uv_buf_init((char *)f->buf, (unsigned)len);
	/* Connected, so that an ICMP error comes back as a read error. */
	if (uv_udp_connect(&f->sock, (struct sockaddr *)&up) < 0 ||
	    uv_udp_try_send(&f->sock, &b, 1, NULL) < 0 ||
	    uv_udp_recv_start(&f->sock, forward_alloc, forward_recv) < 0) {
		forward_end(f);
		return;
	}
	uv_timer_start(&f->timer, forward_timeout, FORWARD_TIMEOUT_MS, 0);
}

static void handle_query(struct dns_server *s, const uint8_t *q, size_t len,
			 const struct sockaddr *from, struct tcp_conn *conn)
{
	uint8_t out[4096];
	int n = dns_answer(q, len, s->resolve, s->userdata, out, sizeof(out));
	if (n < 0)
		return;
	if (n == 0) {
		forward(s, q, len, from, conn);
		return;
	}
	if (conn)
		reply_tcp(conn, out, (size_t)n);
	else
		reply_udp(s, from, out, (size_t)n);
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static __thread char space[4096]; /* consumed before the next read */
	*buf = uv_buf_init(space, sizeof(space));
}

static void udp_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr,
		     unsigned flags)
{
	struct dns_server *s = u->data;
	if (n <= 0 || !addr || s->stopping)
		return;
	handle_query(s, (const uint8_t *)buf->base, (size_t)n, addr, NULL);
}

/* ---- TCP ---- */

static void conn_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;
	struct dns_server *s = c->s;
	free(c);
	s->pending--;
	server_maybe_free(s);
}

static void conn_unref(struct tcp_conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->h, conn_closed);
}

/* Ends the connection's read side (its reference). */
static void conn_stop_reading(struct tcp_conn *c)
{
	if (!c->reading)
		return;
	c->reading = false;
	uv_read_stop((uv_stream_t *)&c->h);
	conn_unref(c);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct tcp_conn *c = st->data;
	if (n < 0 || c->s->stopping) {
		conn_stop_reading(c);
		return;
	}
	c->len += (size_t)n;
	while (c->len >= 2) {
		size_t l = (size_t)c->buf[0] << 8 | c->buf[1];
		if (c->len < l + 2)
			break;
		handle_query(c->s, c->buf + 2, l, NULL, c);
		memmove(c->buf, c->buf + 2 + l, c->len - l - 2);
		c->len -= l + 2;
	}
	if (c->len == sizeof(c->buf))
		conn_stop_reading(c);
}

static void on_tcp_conn(uv_stream_t *server, int status)
{
	struct dns_server *s = server->data;
	if (status < 0)
		return;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	c->refs = 1;
	c->reading = true;
	s->pending++;
	c->next = s->conns;
	if (c->next)
		c->next->prev = c;
	s->conns = c;
	uv_tcp_init(s->loop, &c->h);
	c->h.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0 ||
	    uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read) < 0)
		conn_stop_reading(c);
}

/* ---- start / stop ---- */

static int bind_inside(const char *netns_path, int *ret_udp, int *ret_tcp, struct error *err)
{
	int orig;
	int r = netns_enter(netns_path, &orig, err);
	if (r < 0)
		return r;
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(DNS_ADDR)};
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (t >= 0)
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (u < 0 || t < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    bind(t, (struct sockaddr *)&a, sizeof(a)) < 0)
		r = error_set(err, -errno, "embedded DNS: bind 127.0.0.11:53: %s", strerror(errno));
	netns_leave(orig);
	if (r < 0) {
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
		return r;
	}
	*ret_udp = u;
	*ret_tcp = t;
	return 0;
}

int dns_server_start(uv_loop_t *loop, const char *netns_path, dns_resolve_fn resolve,
		     void *userdata, const uint32_t *upstreams, size_t n_up,
		     struct dns_server **ret, struct error *err)
{
	int ufd, tfd;
	int r = bind_inside(netns_path, &ufd, &tfd, err);
	if (r < 0)
		return r;
	struct dns_server *s = calloc(1, sizeof(*s));
	if (!s) {
		close(ufd);
		close(tfd);
		return error_set(err, -ENOMEM, "out of memory");
	}
	*s = (struct dns_server){.loop = loop, .resolve = resolve, .userdata = userdata};
	for (size_t i = 0; i < n_up && s->n_up < ARRAY_SIZE(s->up); i++)
		s->up[s->n_up++] = upstreams[i];
	uv_udp_init(loop, &s->udp);
	uv_tcp_init(loop, &s->tcp);
	s->udp.data = s->tcp.data = s;
	s->open_handles = 2;
	r = uv_udp_open(&s->udp, ufd);
	if (r == 0)
		r = uv_udp_recv_start(&s->udp, udp_alloc, udp_recv);
	else
		close(ufd);
	int r2 = uv_tcp_open(&s->tcp, tfd);
	if (r2 == 0)
		r2 = uv_listen((uv_stream_t *)&s->tcp, 16, on_tcp_conn);
	else
		close(tfd);
	if (r < 0 || r2 < 0) {
		dns_server_stop(s);
		return error_set(err, r < 0 ? r : r2, "embedded DNS: %s",
				 uv_strerror(r < 0 ? r : r2));
	}
	*ret = s;
	return 0;
}

void dns_server_stop(struct dns_server *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	while (s->forwards)
		forward_end(s->forwards);
	for (struct tcp_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		conn_stop_reading(c);
	}
	uv_close((uv_handle_t *)&s->udp, on_server_handle_closed);
	uv_close((uv_handle_t *)&s->tcp, on_server_handle_closed);
}
