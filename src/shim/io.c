/* The shim's data paths: container output to the json-file log and to every
 * connected berthd client, and berthd's messages (start, stdin, signals). */
#include <errno.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "basic/timeutil.h"
#include "shared/shim_proto.h"
#include "shim/shim.h"

#define READ_CHUNK 16384

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
		   : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!len || len > n || (len == 2 && p[0] < 0xc2) || (len == 4 && p[0] > 0xf4))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* out needs 6 * n bytes. Invalid UTF-8 becomes U+FFFD and <, >, & are
 * escaped, as Go's encoding/json (and so dockerd's log files) do. */
size_t shim_json_escape(const char *in, size_t n, char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			o += (size_t)sprintf(out + o, "\\ufffd");
			i++;
		} else if (l > 1) {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		} else {
			if (c == '"' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c == '\n' || c == '\r' || c == '\t') {
				out[o++] = '\\';
				out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				o += (size_t)sprintf(out + o, "\\u%04x", c);
			} else {
				out[o++] = (char)c;
			}
			i++;
		}
	}
	return o;
}

void shim_send(struct shim *s, int fd, char type, const void *payload, size_t len)
{
	unsigned char hdr[SHIM_FRAME_HDR];
	shim_frame_hdr(hdr, type, len);
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)payload, len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	size_t total = sizeof(hdr) + len;
	while (total) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A client that cannot keep up for the send timeout is
			 * dropped; its reads fail from here on. */
			shutdown(fd, SHUT_RDWR);
			return;
		}
		total -= (size_t)n;
		while (m.msg_iovlen && (size_t)n >= m.msg_iov[0].iov_len) {
			n -= (ssize_t)m.msg_iov[0].iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov[0].iov_base = (char *)m.msg_iov[0].iov_base + n;
			m.msg_iov[0].iov_len -= (size_t)n;
		}
	}
}

void shim_broadcast(struct shim *s, char type, const void *payload, size_t len)
{
	for (size_t i = 0; i < s->n_clients; i++)
		shim_send(s, s->clients[i].fd, type, payload, len);
}

/* One log entry: a line with its newline, or what a read ended with. */
static void log_entry(struct shim *s, char stream, const char *data, size_t len)
{
	static const char fmt[] = "{\"log\":\"%.*s\",\"stream\":\"%s\",\"time\":\"%s\"}\n";
	int64_t now = time_now_ns();
	char ts[64];
	time_format_rfc3339nano(now, ts, sizeof(ts));
	char *esc = malloc(len * 6 + 1);
	char *line = NULL;
	if (!esc)
		return;
	size_t el = shim_json_escape(data, len, esc);
	int n = asprintf(&line, fmt, (int)el, esc, stream == 'o' ? "stdout" : "stderr", ts);
	free(esc);
	if (n < 0)
		return;
	shim_log_write(s, line, (size_t)n);
	free(line);
	shim_syslog_write(s, stream, data, len);
	shim_gelf_write(s, stream, data, len);
	unsigned char *frame = malloc(16 + len);
	if (!frame)
		return;
	shim_put_u64(frame, (uint64_t)now);
	shim_put_u64(frame + 8, s->log_off);
	memcpy(frame + 16, data, len);
	shim_broadcast(s, stream, frame, 16 + len);
	free(frame);
}

/* Exec mode: no log, so no lines to cut; offset 0. */
static void exec_output(struct shim *s, char stream, const char *data, size_t len)
{
	unsigned char frame[16 + READ_CHUNK];
	shim_put_u64(frame, (uint64_t)time_now_ns());
	shim_put_u64(frame + 8, 0);
	memcpy(frame + 16, data, len);
	shim_broadcast(s, stream, frame, 16 + len);
}

ssize_t shim_pump(struct shim *s, int fd, char stream)
{
	char buf[READ_CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (s->o.exec_id) {
		if (n > 0)
			exec_output(s, stream, buf, (size_t)n);
		return n;
	}
	size_t start = 0;
	for (size_t i = 0; i < (size_t)n; i++) {
		if (buf[i] != '\n')
			continue;
		log_entry(s, stream, buf + start, i + 1 - start);
		start = i + 1;
	}
	if (start < (size_t)n)
		log_entry(s, stream, buf + start, (size_t)n - start);
	return n;
}

static void send_hello(struct shim *s, int fd)
{
	unsigned char p[5];
	shim_put_u32(p, (uint32_t)(s->o.exec_id ? shim_exec_pid(s) : s->init_pid));
	p[4] = s->started;
	shim_send(s, fd, 'h', p, sizeof(p));
}

void shim_accept(struct shim *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (s->n_clients == SHIM_MAX_CLIENTS || s->exited) {
		close(fd);
		return;
	}
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s->clients[s->n_clients++] = (struct shim_client){.fd = fd};
	s->had_client = true;
	send_hello(s, fd);
}

void shim_client_drop(struct shim *s, size_t i)
{
	close(s->clients[i].fd);
	free(s->clients[i].in);
	s->clients[i] = s->clients[--s->n_clients];
}

static void do_start(struct shim *s, int fd)
{
	char msg[1024] = "";
	int r = s->started ? 0 : s->created ? -EALREADY : shim_start(s, msg, sizeof(msg));
	if (r == 0)
		s->started = true;
	unsigned char p[8 + sizeof(msg)];
	shim_put_u32(p, (uint32_t)-r);
	shim_put_u32(p + 4, (uint32_t)(r == 0 ? s->init_pid : 0));
	size_t ml = strlen(msg);
	memcpy(p + 8, msg, ml);
	shim_send(s, fd, 'S', p, 8 + ml);
}

static void close_stdin(struct shim *s)
{
	if (s->in_fd >= 0)
		close(s->in_fd);
	s->in_fd = -1;
}

/* Exec mode: stdin is queued (the process may read it slowly), signals go
 * to the process rather than to runc, and a resize tells runc to follow. */
static void handle_exec(struct shim *s, char type, const unsigned char *p, size_t n)
{
	if (type == 's' && !s->started) {
		shim_exec_start(s);
	} else if (type == 'i') {
		shim_exec_stdin(s, p, n);
	} else if (type == 'c') {
		shim_exec_stdin_close(s);
	} else if (type == 'k' && n >= 4 && !s->exited && shim_exec_pid(s) > 0) {
		kill(shim_exec_pid(s), (int)shim_get_u32(p));
	} else if (type == 'r' && n >= 8 && s->tty_fd >= 0 && !s->exited) {
		struct winsize ws = {.ws_row = (unsigned short)shim_get_u32(p),
				     .ws_col = (unsigned short)shim_get_u32(p + 4)};
		if (ioctl(s->tty_fd, TIOCSWINSZ, &ws) == 0 && s->init_pid > 0)
			kill(s->init_pid, SIGWINCH);
	}
}

static void handle(struct shim *s, int fd, char type, const unsigned char *p, size_t n)
{
	if (s->o.exec_id) {
		handle_exec(s, type, p, n);
	} else if (type == 's') {
		do_start(s, fd);
	} else if (type == 'i' && s->in_fd >= 0) {
		/* The pipe is non-blocking: a container that never reads its
		 * stdin must not stall the shim (what does not fit is lost). */
		(void)!write(s->in_fd, p, n);
	} else if (type == 'c') {
		close_stdin(s);
	} else if (type == 'k' && n >= 4 && s->init_pid > 0 && !s->exited) {
		kill(s->init_pid, (int)shim_get_u32(p));
	} else if (type == 'r' && n >= 8 && s->tty_fd >= 0) {
		struct winsize ws = {.ws_row = (unsigned short)shim_get_u32(p),
				     .ws_col = (unsigned short)shim_get_u32(p + 4)};
		ioctl(s->tty_fd, TIOCSWINSZ, &ws);
	}
}

bool shim_client_read(struct shim *s, size_t i)
{
	struct shim_client *c = &s->clients[i];
	unsigned char buf[READ_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	unsigned char *in = realloc(c->in, c->in_len + (size_t)n);
	if (!in)
		return false;
	memcpy(in + c->in_len, buf, (size_t)n);
	c->in = in;
	c->in_len += (size_t)n;
	size_t off = 0;
	while (c->in_len - off >= SHIM_FRAME_HDR) {
		uint32_t len = shim_get_u32(c->in + off + 1);
		if (len > SHIM_FRAME_MAX)
			return false;
		if (c->in_len - off < SHIM_FRAME_HDR + len)
			break;
		handle(s, c->fd, (char)c->in[off], c->in + off + SHIM_FRAME_HDR, len);
		off += SHIM_FRAME_HDR + len;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return true;
}
