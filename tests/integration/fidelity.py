#!/usr/bin/env python3
"""Engine API checks the way SDK clients make them (stdlib only).

usage: fidelity.py CASE SOCKET [ARGS...]

Prints "ok" and exits 0, or says what went wrong and exits 1. Every socket
operation has a timeout.
"""
import base64
import http.client
import json
import socket
import sys
import time

TIMEOUT = 30.0


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=TIMEOUT)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(self.path)


def call(conn, method, url, body=None):
    headers = {}
    if body is not None:
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, "/v1.41" + url, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def case_kill_inspect(sock, name):
    """SIGKILL, then inspect on the same connection at once: not running."""
    c = UnixConn(sock)
    st, data = call(c, "POST", "/containers/%s/kill" % name)
    check(st == 204, "kill: %d %r" % (st, data))
    st, data = call(c, "GET", "/containers/%s/json" % name)
    check(st == 200, "inspect: %d %r" % (st, data))
    state = json.loads(data)["State"]
    check(state["Status"] == "exited" and state["ExitCode"] == 137,
          "state right after kill: %s %s" % (state["Status"], state["ExitCode"]))
    st, data = call(c, "DELETE", "/containers/%s" % name)
    check(st == 204, "rm without force right after kill: %d %r" % (st, data))


def exec_start_raw(sock, container, create_tty, start_tty):
    """Creates an exec printing to stdout and stderr and starts it; returns
    the bytes of the hijacked stream up to its end."""
    c = UnixConn(sock)
    st, data = call(c, "POST", "/containers/%s/exec" % container,
                    {"Cmd": ["sh", "-c", "echo out; sleep 0.2; echo err >&2"],
                     "AttachStdout": True, "AttachStderr": True, "Tty": create_tty})
    check(st == 201, "exec create: %d %r" % (st, data))
    eid = json.loads(data)["Id"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(sock)
    body = json.dumps({"Detach": False, "Tty": start_tty}).encode()
    s.sendall(b"POST /v1.41/exec/%s/start HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/json\r\nConnection: Upgrade\r\n"
              b"Upgrade: tcp\r\nContent-Length: %d\r\n\r\n%s"
              % (eid.encode(), len(body), body))
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 101"), "exec start: %r" % head)
    return rest


def demux(data):
    """Splits a multiplexed stream into (stream, payload) frames."""
    frames = []
    while data:
        check(len(data) >= 8 and data[0] in (1, 2) and data[1:4] == b"\0\0\0",
              "not a stream header: %r" % data[:16])
        n = int.from_bytes(data[4:8], "big")
        frames.append((data[0], data[8:8 + n]))
        data = data[8 + n:]
    return frames


def case_exec_framing(sock, container):
    """The start body's Tty decides the framing, not the create's."""
    # Created with a tty, started without: framed, all on stdout.
    frames = demux(exec_start_raw(sock, container, True, False))
    check(frames and all(f[0] == 1 for f in frames),
          "tty exec started without Tty: %r" % frames)
    text = b"".join(f[1] for f in frames)
    check(b"out" in text and b"err" in text, "tty exec output: %r" % text)
    # Created without a tty, started with Tty: raw bytes, no headers.
    raw = exec_start_raw(sock, container, False, True)
    check(raw.replace(b"\r", b"") == b"out\nerr\n", "raw exec output: %r" % raw)
    # Neither: framed, each line on its stream.
    frames = demux(exec_start_raw(sock, container, False, False))
    check(frames == [(1, b"out\n"), (2, b"err\n")], "framed exec output: %r" % frames)


def read_chunks(f):
    """The chunks of a chunked response body, as sent."""
    chunks = []
    while True:
        size = int(f.readline().split(b";")[0], 16)
        if size == 0:
            f.readline()
            return chunks
        chunks.append(f.read(size))
        check(f.read(2) == b"\r\n", "chunk without its CRLF")


def post_load(sock, path):
    """POST /images/load of the file at path: (status, chunks)."""
    body = open(path, "rb").read()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(sock)
    s.sendall(b"POST /v1.41/images/load HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/x-tar\r\nContent-Length: %d\r\n\r\n"
              % len(body) + body)
    f = s.makefile("rb")
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline().strip()
        if not line:
            break
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    check(headers.get("transfer-encoding") == "chunked", "load reply not chunked: %r" % headers)
    chunks = read_chunks(f)
    s.close()
    return status, chunks


def case_load_chunks(sock, good, bad):
    """Each message of a load is one chunk ending with its newline, parsed
    chunk by chunk as docker-py does; a bad archive is a 200 whose stream
    holds the error."""
    status, chunks = post_load(sock, good)
    check(status == 200, "load: %d" % status)
    check(chunks, "load sent nothing")
    for c in chunks:
        check(c.endswith(b"\n") and c.count(b"\n") == 1, "chunk not one line: %r" % c)
        msg = json.loads(c)
        check("error" not in msg, "error loading: %r" % msg)
    check(any(b"Loaded image" in c for c in chunks), "no Loaded image line: %r" % chunks)
    status, chunks = post_load(sock, bad)
    check(status == 200, "load of a bad archive: %d %r" % (status, chunks))
    msg = json.loads(chunks[-1])
    check(chunks[-1].endswith(b"\n") and msg.get("error") and
          msg["errorDetail"]["message"] == msg["error"], "error line: %r" % chunks)


def hijack(sock, method, url, body=None):
    """Opens a hijacked connection (Upgrade: tcp) as SDK clients do; returns
    the socket and any stream bytes that came with the 101 head."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(sock)
    b = json.dumps(body).encode() if body is not None else b""
    s.sendall(b"%s /v1.41%s HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/json\r\nConnection: Upgrade\r\n"
              b"Upgrade: tcp\r\nContent-Length: %d\r\n\r\n%s"
              % (method.encode(), url.encode(), len(b), b))
    data = b""
    while b"\r\n\r\n" not in data:
        more = s.recv(65536)
        check(more, "no answer to %s %s" % (method, url))
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 101"), "%s %s: %r" % (method, url, head))
    return s, rest


def read_until(s, seen, want):
    """Reads until want shows up in the stream; returns all that was read."""
    while want not in seen:
        more = s.recv(65536)
        check(more, "stream ended before %r; got %r" % (want, seen))
        seen += more
    return seen


def type_keys(s, keys, one_by_one):
    """Sends the detach keys a keystroke at a time (a person typing) or in
    one write (a paste, or a client that buffers)."""
    if not one_by_one:
        s.sendall(keys)
        return
    for k in keys:
        s.sendall(bytes([k]))
        time.sleep(0.2)


def expect_closed(s, what):
    """After the detach keys the daemon ends the stream."""
    data = b""
    while True:
        more = s.recv(65536)
        if not more:
            return
        data += more
        check(len(data) < 4096, "%s: stream still open, sending %r" % (what, data))


def case_detach_attach(sock, name, spec, keys_hex, word, one_by_one):
    """Attach with stdin to a tty container running cat, type word, then
    the detach keys: the stream ends, the container runs on."""
    url = "/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1" % name
    if spec:
        url += "&detachKeys=" + spec
    s, seen = hijack(sock, "POST", url)
    s.sendall(word.encode() + b"\n")
    read_until(s, seen, word.encode())
    type_keys(s, bytes.fromhex(keys_hex), one_by_one == "1")
    expect_closed(s, "attach")
    s.close()
    c = UnixConn(sock)
    st, data = call(c, "GET", "/containers/%s/json" % name)
    check(st == 200 and json.loads(data)["State"]["Running"],
          "container after detach: %d %r" % (st, data[:200]))


def case_detach_exec(sock, name, spec, keys_hex):
    """An exec with a tty and stdin, started attached: its detach keys end
    the stream and leave the process running."""
    c = UnixConn(sock)
    st, data = call(c, "POST", "/containers/%s/exec" % name,
                    {"Cmd": ["cat"], "AttachStdin": True, "AttachStdout": True,
                     "AttachStderr": True, "Tty": True, "DetachKeys": spec})
    check(st == 201, "exec create: %d %r" % (st, data))
    eid = json.loads(data)["Id"]
    s, seen = hijack(sock, "POST", "/exec/%s/start" % eid, {"Detach": False, "Tty": True})
    s.sendall(b"typed\n")
    read_until(s, seen, b"typed")
    type_keys(s, bytes.fromhex(keys_hex), True)
    expect_closed(s, "exec")
    s.close()
    st, data = call(c, "GET", "/exec/%s/json" % eid)
    info = json.loads(data)
    check(st == 200 and info["Running"], "exec after detach: %d %r" % (st, data))
    want = base64.b64encode(bytes.fromhex(keys_hex)).decode() if spec else ""
    check(info["DetachKeys"] == want, "exec DetachKeys: %r" % info["DetachKeys"])


def main():
    case = globals().get("case_" + sys.argv[1])
    if not case:
        print("unknown case " + sys.argv[1])
        return 2
    try:
        case(*sys.argv[2:])
    except (Fail, OSError, ValueError, KeyError) as e:
        print("%s: %s" % (sys.argv[1], e))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
