#!/usr/bin/env python3
"""A GELF receiver for the gelf log driver's tests, on loopback: every
message (UDP: gzip, zlib or plain, chunks put together; TCP: ended by a
NUL) is appended to OUT as one line of JSON, with "_wire" saying how it
came ("gzip", "zlib", "plain", "chunked/gzip" ...). The port is written to
OUT.ready once it listens.

    gelfd.py udp|tcp OUT
"""
import gzip
import json
import os
import socket
import sys
import threading
import zlib


def decode(data):
    if data[:2] == b"\x1f\x8b":
        return "gzip", gzip.decompress(data)
    if data[:1] == b"\x78":
        return "zlib", zlib.decompress(data)
    return "plain", data


def main():
    proto, out = sys.argv[1:3]
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    lock = threading.Lock()
    f = open(out, "a", buffering=1)

    def emit(wire, payload):
        msg = json.loads(payload)
        msg["_wire"] = wire
        with lock:
            f.write(json.dumps(msg) + "\n")

    with open(out + ".ready.tmp", "w") as r:
        r.write(str(s.getsockname()[1]) + "\n")
    os.rename(out + ".ready.tmp", out + ".ready")
    if kind == socket.SOCK_DGRAM:
        chunks = {}
        while True:
            data = s.recv(65536)
            if data[:2] != b"\x1e\x0f":
                emit(*decode(data))
                continue
            mid, seq, count = data[2:10], data[10], data[11]
            parts = chunks.setdefault(mid, {})
            parts[seq] = data[12:]
            if len(parts) == count:
                del chunks[mid]
                wire, payload = decode(b"".join(parts[i] for i in range(count)))
                emit("chunked/" + wire, payload)

    def serve(c):
        buf = b""
        while True:
            data = c.recv(65536)
            if not data:
                break
            buf += data
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                emit("tcp", msg)
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
