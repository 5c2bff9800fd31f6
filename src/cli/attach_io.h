/* Attached I/O for run, start -a, attach and exec: copies a hijacked
 * connection to our stdout/stderr (raw for tty sessions, demultiplexed
 * otherwise), our stdin to it (half-closed at EOF), puts the terminal in raw
 * mode for tty sessions (restored on every exit path), sends the terminal
 * size at start and on SIGWINCH, proxies signals as kill for non-tty
 * sessions and detaches on the detach keys, as docker's hijack.go does. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "cli/cli.h"
#include "shared/detach_keys.h"

/* Splits the multiplexed stream: an 8-byte header (stream, 0, 0, 0,
 * big-endian length) before each payload. */
struct demux {
	unsigned char hdr[8];
	size_t hdr_len;
	uint32_t left;
	int stream; /* 1 stdout, 2 stderr */
};

/* Feeds n bytes; calls out(stream, data, len, userdata) per payload piece. */
void demux_feed(struct demux *d, const char *p, size_t n,
		void (*out)(int stream, const char *data, size_t len, void *userdata),
		void *userdata);

struct attach_opts {
	bool tty;		 /* raw stream; raw terminal when stdin is one */
	bool in;		 /* forward stdin, half-close at EOF */
	bool sig_proxy;		 /* forward SIGINT/SIGTERM/... as kill (non-tty) */
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q (tty with stdin only) */
	const char *resize_path; /* "/containers/ID/resize" or "/exec/ID/resize" */
	const char *kill_path;	 /* "/containers/ID/kill" for sig_proxy */
};

/* Copies between fd and our stdio until the daemon ends the stream.
 * Returns 0 when it ended, 1 when the user detached, negative on errors
 * (err set). Does not close fd. */
int attach_io_pump(const struct cli *cli, int fd, const struct attach_opts *o, struct error *err);

/* Sends our terminal's size (stdout's, else stdin's) to resize_path; does
 * nothing when neither is a terminal. Errors are ignored, as docker does. */
void attach_io_resize(const struct cli *cli, const char *resize_path);

/* A whole attached session on a container, docker's order: attach, register
 * a wait, start (when start), copy I/O, then collect the exit code. */
struct attach_session {
	const char *id;
	bool tty, in, start, sig_proxy;
	const char *detach_keys;
	const char *wait_condition; /* "next-exit", "removed" or NULL (not-running) */
};

/* Returns 0 with *ret_code the container's exit status, 1 when the user
 * detached (the container runs on), negative with err set on failure;
 * *ret_started tells whether the start request (if any) was made and
 * succeeded (run's exit codes differ for start failures). */
int attach_session_run(const struct cli *cli, const struct attach_session *s, int *ret_code,
		       bool *ret_started, struct error *err);
