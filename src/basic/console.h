/* Console sockets: how an OCI runtime hands over the pty master of a
 * process with a terminal (`runc create|exec --console-socket PATH`): it
 * connects to PATH and sends the master as SCM_RIGHTS. */
#pragma once

/* A listening unix socket at path (mode 0600, close-on-exec); the fd or
 * -errno. */
int unix_socket_listen(const char *path, int backlog);
int console_socket_listen(const char *path);
/* Accepts the runtime's connection and receives the master; waits at most
 * timeout_ms for each step. The fd (close-on-exec) or -errno (-ETIMEDOUT). */
int console_socket_receive(int listen_fd, int timeout_ms);
