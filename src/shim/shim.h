/* berth-shim: one small monitor per container (the containerd-shim/conmon
 * role). It makes the container's stdio pipes, runs `runc run --detach`
 * when berthd asks for the start, holds the pipes, writes
 * the json-file log, serves berthd on a unix socket (proto.h), reaps the
 * container's init as a subreaper, records the exit in <dir>/exit.json and
 * runs `runc delete`. It outlives berthd: a restarted daemon reconnects.
 *
 * Exec mode (--exec-id, exec.c): the same for one `runc exec` in a running
 * container: no log, the exit in <bundle>/exec-<exec id>.exit.json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHIM_MAX_CLIENTS 64

struct shim_opts {
	const char *id;
	const char *bundle;	  /* holds config.json; runc's log goes here */
	const char *dir;	  /* container dir: <id>-json.log, exit.json */
	const char *socket;	  /* control socket path */
	const char *runtime;	  /* e.g. /usr/sbin/runc */
	const char *runtime_root; /* runc --root */
	bool open_stdin;	  /* give the container a stdin pipe */
	bool stdin_once;	  /* close it when the first attached client does */
	bool tty;		  /* a pty instead of pipes (runc --console-socket) */
	uint64_t log_max_size;	  /* rotate the json log beyond this (0: never) */
	unsigned log_max_file;	  /* files kept, the current one included */
	bool no_log;		  /* the none driver: output goes to attached clients only */
	/* The syslog driver (syslog.c): proto udp, tcp, unix, unixgram or
	 * local (the host's socket); NULL: not that driver. */
	const char *syslog_proto, *syslog_addr, *syslog_format, *syslog_tag;
	int syslog_facility; /* already shifted: LOG_DAEMON is 24 */
	/* The gelf driver (gelf.c): proto udp or tcp; NULL: not that driver.
	 * gelf_extra: berthd's JSON object of the fields every message has. */
	const char *gelf_proto, *gelf_addr, *gelf_compress, *gelf_extra;
	int gelf_level;
	const char *exec_id;	  /* exec mode: the exec instance */
	const char *process;	  /* exec mode: runc exec --process */
	int listen_fd;		  /* exec mode: the socket, bound and listening by berthd */
};

struct shim_client {
	int fd;
	unsigned char *in; /* partial frame read from berthd */
	size_t in_len;
};

struct shim {
	struct shim_opts o;
	int listen_fd, sig_fd, log_fd;
	int out_fd, err_fd, in_fd; /* container side: read, read, write (-1 none) */
	int child_fds[3];	   /* the container's ends until the runtime has them */
	int tty_fd;		   /* the pty master of a tty container, else -1 */
	pid_t init_pid;
	pid_t daemon_pid; /* berthd, which spawned us */
	bool created, started, exited, oom_killed; /* created: the runtime ran */
	int exit_code;
	uint64_t log_off;  /* bytes ever logged: the offsets of log frames */
	uint64_t log_size; /* size of the current log file */
	char *log_path;
	int syslog_fd;	    /* -1: none, or to dial again */
	int gelf_fd;	    /* the same for gelf */
	char hostname[256]; /* in rfc3164 and rfc5424 messages */
	struct shim_client clients[SHIM_MAX_CLIENTS];
	size_t n_clients;
	bool had_client;
	/* exec mode: init_pid is runc's (the shim's child), exec_pid the
	 * process's (from runc's pid file, read when first needed). */
	pid_t exec_pid;
	unsigned char *in_q; /* stdin not yet taken by the process */
	size_t in_q_len;
	bool in_close; /* close stdin once in_q is written */
};

/* runtime.c: the OCI runtime, run to completion. */
/* Creates and starts the container (`runc run --detach`) on these stdio
 * fds; console: runc's --console-socket for a tty container, or NULL. */
int shim_runtime_run(struct shim *s, int in, int out, int err, const char *console, char *msg,
		     size_t msg_len);
void shim_runtime_delete(struct shim *s);
/* Exec mode: forks `runc exec` on these stdio fds; its pid or -errno. */
pid_t shim_runtime_exec(struct shim *s, int in, int out, int err);

/* log.c: the json-file log and its rotation. */
int shim_log_open(struct shim *s);
/* Appends one entry (a whole line); rotates first when it would not fit. */
int shim_log_write(struct shim *s, const char *line, size_t n);

/* dial.c: proto "udp" or "tcp" to host:port ([v6]:port), the first
 * address that answers; on failure -errno and, in msg, Go's net.Dial
 * wording ("dial tcp 127.0.0.1:1: connect: connection refused"). */
int shim_dial_inet(const char *proto, const char *addr, char *msg, size_t len);
/* type SOCK_DGRAM or SOCK_STREAM; -errno. */
int shim_dial_unix(int type, const char *path);

/* syslog.c: the syslog driver. Connects as options say; on failure a
 * message in Go's wording (dockerd's dial errors). */
int shim_syslog_open(struct shim *s, char *msg, size_t len);
/* One message of a line of output, stream 'o' or 'e'. */
void shim_syslog_write(struct shim *s, char stream, const char *data, size_t len);

/* gelf.c: the gelf driver, as syslog.c. */
int shim_gelf_open(struct shim *s, char *msg, size_t len);
void shim_gelf_write(struct shim *s, char stream, const char *data, size_t len);

/* io.c: logs and clients. */
/* Reads what is available on fd (stream 'o' or 'e'); logs and broadcasts it.
 * Returns 0 at EOF, > 0 when data was handled, < 0 on error. */
ssize_t shim_pump(struct shim *s, int fd, char stream);
void shim_accept(struct shim *s);
/* Reads and handles client i's messages; false when it went away. */
bool shim_client_read(struct shim *s, size_t i);
void shim_client_drop(struct shim *s, size_t i);
void shim_broadcast(struct shim *s, char type, const void *payload, size_t len);
void shim_send(struct shim *s, int fd, char type, const void *payload, size_t len);
/* main.c: collects exited children; records the exit of init_pid. */
void shim_reap(struct shim *s);
/* Creates and starts the container on the prepared stdio (once). */
int shim_start(struct shim *s, char *msg, size_t msg_len);
/* Whether berthd (our parent at start) is gone. */
bool shim_daemon_gone(const struct shim *s);

/* exec.c: exec mode, after the fork away from berthd; the exit status. */
int shim_exec_main(struct shim *s);
/* Client messages of exec mode: 's' runs runc, 'i'/'c' stdin, 'k' kill. */
void shim_exec_start(struct shim *s);
void shim_exec_stdin(struct shim *s, const unsigned char *p, size_t n);
void shim_exec_stdin_close(struct shim *s);
pid_t shim_exec_pid(struct shim *s);

/* JSON string body escaping as Go's encoding/json does (no quotes added). */
size_t shim_json_escape(const char *in, size_t n, char *out);
