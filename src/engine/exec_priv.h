/* An exec instance's state, shared by exec.c (the instance, the process
 * spec, health probes run by runc directly) and exec_shim.c (user execs run
 * by an exec-mode berth-shim, persisted beside the bundle). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "basic/error.h"
#include "engine/child.h"
#include "engine/exec.h"
#include "shared/detach_keys.h"
#include "shared/digest.h"

struct exec {
	struct exec *next;
	struct containers *cs;
	char id[DIGEST_HEX_LEN + 1];
	char cid[DIGEST_HEX_LEN + 1];
	json_t *cmd, *env;
	char *user, *workdir;
	char *keys_spec; /* DetachKeys as given at create, NULL when not */
	struct detach_keys keys;
	bool probe; /* a health probe: runc run directly, nothing on disk */
	bool privileged, attach_in, attach_out, attach_err, tty;
	bool started, running, stdin_open, dropped;
	bool ended;    /* exit_code is final (and in the state file) */
	bool released; /* exec_release while running: leave the store at the end */
	int exit_code, pid;
	struct exec_io *io;
	struct child proc; /* runc (probes) or the shim's first fork */
	uv_pipe_t in, out, err;
	uv_timer_t refused; /* reports an exec refused before runc ran */
	/* user execs: the shim's socket */
	uv_pipe_t link;
	uv_connect_t connect;
	unsigned char *link_in; /* partial frames */
	size_t link_in_len;
	int open_handles; /* freed when 0 and dropped */
	int pending;	  /* process exit and pipe EOFs before the end */
	char *spec_path, *pid_path, *log_path;
	char *state_path, *exit_path, *sock_path;
};

/* Frees an exec no loop handle of which was ever opened. */
void exec_free(struct exec *e);
struct container *exec_container(struct exec *e);
void exec_close_handle(struct exec *e, uv_handle_t *h);
/* Closes e->proc if it is open. */
void exec_close_proc(struct exec *e);
/* One of the things the end waits for (exit, pipe EOFs) happened. */
void exec_pending_done(struct exec *e);
/* Records the end (exit_code set, process gone) without telling anyone: an
 * exec that ended while berthd was down. */
void exec_end_quietly(struct exec *e);
/* Fills the paths of e's files in c's bundle; -ENOMEM. */
int exec_paths(struct containers *cs, struct container *c, struct exec *e);

/* exec_shim.c */
/* Writes e's state file (<bundle>/exec-<id>.state.json). */
int exec_save(struct exec *e, struct error *err);
/* Starts e's process through an exec-mode shim (stdio only when attached). */
int exec_shim_spawn(struct exec *e, struct container *c, bool attached, struct error *err);
void exec_shim_send(struct exec *e, char type, const void *p, size_t n);
/* The exit from the shim's exit file (when it ended while nobody listened);
 * false when there is none. */
bool exec_shim_exit_file(struct exec *e);
