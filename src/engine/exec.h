/* Exec instances (docker exec): a process run in a running container with
 * `runc exec --process`. runc stays in the foreground, forwards signals and
 * exits with the process's status.
 *
 * A user's exec (attached or -d) runs under an exec-mode berth-shim
 * (src/shim/exec.c): the shim is runc's parent, holds its stdio (pipes, or
 * a pty it owns for a tty), serves frames on a socket berthd made and
 * connects to, and writes the exit to <bundle>/exec-<id>.exit.json. So the
 * process survives a berthd restart or crash; an attached client's stream
 * ends with berthd, as dockerd's does. Each instance is written to
 * <bundle>/exec-<id>.state.json (config, started, then the exit code) and
 * comes back at daemon start (execs_restore): a running one reconnects to
 * its shim, one that ended meanwhile takes its code from the exit file.
 * Health probes run runc directly on berthd's loop (see health.c's call):
 * they are short, numerous, and a new daemon runs its own.
 *
 * Instances live in the container service's exec list, and their files in
 * the bundle, until their container goes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"
#include "shared/digest.h"

struct containers;
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
 * ID. -EBUSY (409) "Container X is not running", -EINVAL no command.
 * probe: a health check's, run by runc directly and never written down. */
int exec_create(struct containers *cs, struct container *c, json_t *body, bool probe,
		char ret_id[DIGEST_HEX_LEN + 1], struct error *err);
/* Finds an exec by full ID: -ENOENT "No such exec instance: id". */
int exec_lookup(struct containers *cs, const char *id, struct exec **ret, struct error *err);
/* Starts it; io NULL for detached (output discarded). -EBUSY when already
 * started, -EBUSY (409) when its container is not running. io stays in use
 * until on_end or exec_detach_io. */
int exec_start(struct containers *cs, struct exec *e, struct exec_io *io, struct error *err);
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
json_t *exec_inspect_json(struct containers *cs, struct exec *e);
/* The container's ExecIDs as dockerd lists them: its execs that have not
 * ended (created or running); JSON null when there is none. */
json_t *exec_ids_json(struct containers *cs, const char *cid);
/* Sends sig to the exec's process (e.g. SIGKILL to a health probe past its
 * timeout); 0 when it is not running. */
int exec_kill(struct exec *e, int sig);
/* Forgets an exec nobody will look up again (a health probe): its output
 * goes nowhere from now on, it leaves the store (at its end, when it still
 * runs), and it is freed once its process and pipes are closed. */
void exec_release(struct containers *cs, struct exec *e);
/* Daemon start, after the containers are loaded: the exec instances written
 * beside their containers' bundles come back; running ones reconnect to
 * their shims. */
void execs_restore(struct containers *cs);
/* Daemon shutdown: closes every handle (processes keep running). */
void execs_stop(struct containers *cs);
void execs_free(struct containers *cs);
