/* The wire protocol between berthd and a berth-shim, over the shim's unix
 * socket. Header-only so the shim does not link daemon code.
 *
 * Every message is a frame: type (1 byte), payload length (4 bytes, big
 * endian), payload. Integers in payloads are big endian.
 *
 * berthd -> shim:
 *   's'  start the container (`runc run --detach`: the shim creates it only
 *        now, so the runtime runs once); answered by 'S'
 *   'i'  bytes for the container's stdin
 *   'c'  close the container's stdin
 *   'k'  u32 signal: deliver to the container's init (ignored once reaped,
 *        so a recycled pid is never hit)
 *   'r'  u32 rows, u32 columns: resize the container's terminal (tty only)
 * shim -> berthd:
 *   'h'  hello, first frame on every connection: u32 init pid, u8 started
 *   'S'  u32 errno-style result of start (0 ok), u32 init pid, then a message
 *   'o'  stdout / 'e' stderr: u64 time (ns), u64 log offset after this entry,
 *        then the bytes. The offset lets a reader of the json log file skip
 *        frames it has already read from the file.
 *   'x'  u32 exit code, u64 finish time (ns), u8 1 when the OOM killer struck:
 *        the container has exited and all its output was sent. The shim
 *        closes the connection after it.
 *
 * An exec-mode shim (one `runc exec`, src/shim/exec.c) speaks the same
 * frames with these differences: 's' runs runc and is not answered (a failed
 * start is an exit, 126 or runc's status); 'h' carries the exec process's
 * pid (0 before it is known); 'k' goes to that process; 'r' also tells runc
 * (SIGWINCH) to pass the size on; output frames carry offset 0 (no log);
 * 'x' never says OOM.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHIM_FRAME_HDR 5
#define SHIM_FRAME_MAX (1u << 20)
/* What the shim reports on its sync pipe (stdout) once `runc create` is done:
 * "ok <shim pid> <init pid>\n" or "error <message>\n". */
#define SHIM_SYNC_MAX 4096

static inline void shim_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t shim_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void shim_put_u64(unsigned char *p, uint64_t v)
{
	shim_put_u32(p, (uint32_t)(v >> 32));
	shim_put_u32(p + 4, (uint32_t)v);
}

static inline uint64_t shim_get_u64(const unsigned char *p)
{
	return (uint64_t)shim_get_u32(p) << 32 | shim_get_u32(p + 4);
}

/* Writes a frame header for type and payload length n into hdr. */
static inline void shim_frame_hdr(unsigned char hdr[SHIM_FRAME_HDR], char type, size_t n)
{
	hdr[0] = (unsigned char)type;
	shim_put_u32(hdr + 1, (uint32_t)n);
}
