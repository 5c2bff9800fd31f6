/* Exec instances (docker exec, no tty): a process run in a running
 * container with `runc exec --process`, spawned by berthd on its loop. runc
 * stays in the foreground, forwards signals and exits with the process's
 * status, so berthd never waits: it learns the exit from the uv_process
 * callback. Exec processes do not survive a daemon restart (their stdio are
 * berthd's pipes), as dockerd's do not outlive a client that is attached.
 *
 * Instances live in the daemon's exec store until their container goes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"
#include "shared/digest.h"

struct daemon;
struct container;
struct exec;
struct detach_keys;

/* Who reads an exec's output (the hijacked /exec/{id}/start connection). */
struct exec_io {
	/* stream 1 stdout, 2 stderr */
	void (*on_output)(struct exec_io *io, int stream, const char *data, size_t len);
	/* All output was delivered and the exit code is recorded. */
	void (*on_end)(struct exec_io *io, int exit_code);
	void *userdata;
};

/* POST /containers/{id}/exec with body ExecConfig; *ret_id gets the new
 * ID. -EBUSY (409) "Container X is not running", -EINVAL no command. */
int exec_create(struct daemon *d, struct container *c, json_t *body,
		char ret_id[DIGEST_HEX_LEN + 1], struct error *err);
/* Finds an exec by full ID: -ENOENT "No such exec instance: id". */
int exec_lookup(struct daemon *d, const char *id, struct exec **ret, struct error *err);
/* Starts it; io NULL for detached (output discarded). -EBUSY when already
 * started, -EBUSY (409) when its container is not running. io stays in use
 * until on_end or exec_detach_io. */
int exec_start(struct daemon *d, struct exec *e, struct exec_io *io, struct error *err);
/* Forwards stdin (when the exec has AttachStdin); len 0 with eof closes it. */
void exec_stdin(struct exec *e, const char *data, size_t len);
void exec_stdin_close(struct exec *e);
/* The reader went away: output is discarded from now on. */
void exec_detach_io(struct exec *e);
/* The reader typed the detach keys: output is discarded from now on, stdin
 * stays open and the process runs on (an exec_detach event), as dockerd does. */
void exec_detached(struct exec *e);
/* The detach keys to watch for on the exec's stdin (the create's
 * DetachKeys, else ctrl-p,ctrl-q); false when it has no tty or no stdin. */
bool exec_detach_keys(const struct exec *e, struct detach_keys *ret);
/* POST /exec/{id}/resize: h rows, w columns; no effect without a tty. */
int exec_resize(struct exec *e, const char *h, const char *w, struct error *err);
/* GET /exec/{id}/json */
json_t *exec_inspect_json(struct daemon *d, struct exec *e);
/* Sends sig to the exec's process (e.g. SIGKILL to a health probe past its
 * timeout); 0 when it is not running. */
int exec_kill(struct exec *e, int sig);
/* Forgets an exec nobody will look up again (a health probe): its output
 * goes nowhere from now on, it leaves the store (at its end, when it still
 * runs), and it is freed once its process and pipes are closed. */
void exec_release(struct daemon *d, struct exec *e);
/* Daemon shutdown: closes every handle (processes keep running). */
void execs_stop(struct daemon *d);
void execs_free(struct daemon *d);
