#!/usr/bin/env python3
"""A syslog receiver for the syslog log driver's tests, on loopback or a
unix socket: every message it gets is appended to OUT as received (each
ends with its newline; a stream is cut at newlines). The port (udp, tcp)
or "ready" is written to OUT.ready once it listens.

    syslogd.py udp|tcp|unix|unixgram PATH-OR-PORT OUT
"""
import os
import socket
import sys
import threading


def main():
    proto, where, out = sys.argv[1:4]
    if proto in ("udp", "tcp"):
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(where)))
        ready = str(s.getsockname()[1])
    else:
        kind = socket.SOCK_DGRAM if proto == "unixgram" else socket.SOCK_STREAM
        s = socket.socket(socket.AF_UNIX, kind)
        s.bind(where)
        ready = "ready"
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    with open(out + ".ready.tmp", "w") as f:
        f.write(ready + "\n")
    os.rename(out + ".ready.tmp", out + ".ready")
    with open(out, "ab", buffering=0) as f:
        if kind == socket.SOCK_DGRAM:
            while True:
                f.write(s.recv(65536))
        lock = threading.Lock()

        def serve(c):
            # Whole lines only, so streams of two senders do not interleave.
            buf = b""
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                lines, _, buf = buf.rpartition(b"\n")
                if lines:
                    with lock:
                        f.write(lines + b"\n")
            c.close()

        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
