/* The syslog log driver's sending side, as dockerd's (its srslog writer):
 * each line of output (without its newline; empty lines are skipped) is one
 * message, <PRI> the facility with severity info (stdout) or err (stderr),
 * in the format asked for, ended by a newline. The shim sends, so messages
 * keep flowing while berthd is down; berthd checked the options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/timeutil.h"
#include "shim/shim.h"

#define SEVERITY_ERR 3
#define SEVERITY_INFO 6

/* No address: the host's syslog socket, as Go's log/syslog looks for it. */
static int dial_local(char *msg, size_t len)
{
	static const char *const paths[] = {"/dev/log", "/var/run/syslog", "/var/run/log"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = shim_dial_unix(SOCK_DGRAM, paths[i]);
		if (fd < 0)
			fd = shim_dial_unix(SOCK_STREAM, paths[i]);
		if (fd >= 0)
			return fd;
	}
	snprintf(msg, len, "Unix syslog delivery error");
	return -ECONNREFUSED;
}

static int dial(const struct shim_opts *o, char *msg, size_t len)
{
	const char *p = o->syslog_proto;
	if (!strcmp(p, "local"))
		return dial_local(msg, len);
	if (!strcmp(p, "udp") || !strcmp(p, "tcp"))
		return shim_dial_inet(p, o->syslog_addr, msg, len);
	bool gram = !strcmp(p, "unixgram");
	int fd = shim_dial_unix(gram ? SOCK_DGRAM : SOCK_STREAM, o->syslog_addr);
	char text[64];
	if (fd < 0)
		snprintf(msg, len, "dial %s %s: connect: %s", p, o->syslog_addr,
			 error_go_text(-fd, text, sizeof(text)));
	return fd;
}

int shim_syslog_open(struct shim *s, char *msg, size_t len)
{
	if (!s->o.syslog_proto)
		return 0;
	if (gethostname(s->hostname, sizeof(s->hostname)) < 0)
		s->hostname[0] = '\0';
	s->hostname[sizeof(s->hostname) - 1] = '\0';
	int fd = dial(&s->o, msg, len);
	if (fd < 0)
		return fd;
	s->syslog_fd = fd;
	return 0;
}

/* The header of the format asked for (dockerd's formatters). */
static int header(struct shim *s, int pri, char *buf, size_t len)
{
	const char *f = s->o.syslog_format ? s->o.syslog_format : "";
	const char *tag = s->o.syslog_tag ? s->o.syslog_tag : "";
	int pid = (int)s->daemon_pid;
	int64_t ns = time_now_ns();
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	localtime_r(&t, &tm);
	char ts[64], zone[40];
	if (!*f || !strcmp(f, "rfc3164")) {
		strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm); /* Go's time.Stamp */
		if (!*f)
			return snprintf(buf, len, "<%d>%s %s[%d]: ", pri, ts, tag, pid);
		return snprintf(buf, len, "<%d>%s %s %s[%d]: ", pri, ts, s->hostname, tag, pid);
	}
	/* RFC 3339: Z for UTC, else +hh:mm; micro: six digits of the second. */
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (tm.tm_gmtoff == 0)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
			 labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
	char frac[16] = "";
	if (!strcmp(f, "rfc5424micro"))
		snprintf(frac, sizeof(frac), ".%06d", (int)(ns % 1000000000 / 1000));
	return snprintf(buf, len, "<%d>1 %s%s%s %s %s %d %s - ", pri, ts, frac, zone, s->hostname,
			tag, pid, tag);
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

void shim_syslog_write(struct shim *s, char stream, const char *data, size_t len)
{
	if (s->syslog_fd < 0 && !s->o.syslog_proto)
		return;
	if (len && data[len - 1] == '\n')
		len--;
	if (!len)
		return;
	int pri = s->o.syslog_facility | (stream == 'e' ? SEVERITY_ERR : SEVERITY_INFO);
	/* Sized first: a tag may be long. Every format's header has a fixed
	 * width for a given tag, so the second call fits. */
	int h = header(s, pri, NULL, 0);
	if (h < 0)
		return;
	_cleanup_free_ char *m = malloc((size_t)h + len + 2);
	if (!m || header(s, pri, m, (size_t)h + 1) != h)
		return;
	memcpy(m + h, data, len);
	m[(size_t)h + len] = '\n';
	/* As srslog: a failed write dials again and tries once more; a message
	 * that still cannot go is dropped (the container is not held up). */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (s->syslog_fd < 0) {
			char msg[256];
			s->syslog_fd = dial(&s->o, msg, sizeof(msg));
			if (s->syslog_fd < 0)
				return;
		}
		if (send_all(s->syslog_fd, m, (size_t)h + len + 1))
			return;
		close(s->syslog_fd);
		s->syslog_fd = -1;
	}
}
