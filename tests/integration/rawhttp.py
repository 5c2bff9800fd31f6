#!/usr/bin/env python3
"""Raw-socket HTTP checks against berthd's unix socket (stdlib only).

usage: rawhttp.py CASE TARGET [ARGS...]

TARGET is a unix socket path, tcp:HOST:PORT or tls:HOST:PORT (see connect()).

Each case prints "ok" and exits 0, or prints what went wrong and exits 1.
Every socket operation has a timeout, so a stalled daemon fails the case
instead of hanging the suite.
"""
import json
import os
import socket
import ssl
import sys
import time

TIMEOUT = 10.0


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def connect(target, timeout=TIMEOUT, raw=False):
    """target: a unix socket path, "tcp:HOST:PORT", or "tls:HOST:PORT" (with
    RAWHTTP_CA, RAWHTTP_CERT, RAWHTTP_KEY in the environment). raw=True skips
    the TLS handshake (a client that stalls before it)."""
    if target.startswith(("tcp:", "tls:")):
        kind, host, port = target.split(":")
        s = socket.create_connection((host, int(port)), timeout=timeout)
        if kind == "tls" and not raw:
            ctx = ssl.create_default_context(cafile=os.environ["RAWHTTP_CA"])
            if os.environ.get("RAWHTTP_CERT"):
                ctx.load_cert_chain(os.environ["RAWHTTP_CERT"], os.environ["RAWHTTP_KEY"])
            s = ctx.wrap_socket(s, server_hostname=host)
        return s
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(target)
    return s


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers, self.body = headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fail("body is not JSON: %r" % self.body[:200])

    def __repr__(self):
        return "<%d %s headers=%r body=%r>" % (self.status, self.reason, self.headers, self.body[:200])


class Conn:
    """One connection with a read buffer, so pipelined responses parse."""

    def __init__(self, path, timeout=TIMEOUT):
        self.sock = connect(path, timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise Fail("timed out waiting for the daemon (buffered: %r)" % self.buf[:200])
        if not chunk:
            raise EOFError
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head=False):
        try:
            status_line = self._line().decode("latin-1")
        except EOFError:
            raise Fail("connection closed before a response")
        parts = status_line.split(" ", 2)
        check(len(parts) >= 2 and parts[0].startswith("HTTP/"), "bad status line %r" % status_line)
        headers = []
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        r = Response(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers, b"")
        if head or r.status in (204, 304) or 100 <= r.status < 200:
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        cl = r.header("Content-Length")
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                self._line()
            r.body = body
        elif cl is not None:
            r.body = self._exact(int(cl))
        else:
            body = self.buf
            self.buf = b""
            while True:
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    raise Fail("timed out reading a body delimited by close")
                if not chunk:
                    break
                body += chunk
            r.body = body
        return r

    def closed_by_peer(self, timeout=TIMEOUT):
        """True if the peer closes the connection (EOF) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except socket.timeout:
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True

    def close(self):
        self.sock.close()


def get(path_sock, method, target, headers=(), body=b"", version="HTTP/1.1"):
    c = Conn(path_sock)
    c.send(request(method, target, headers, body, version))
    r = c.read_response(head=(method == "HEAD"))
    c.close()
    return r


def request(method, target, headers=(), body=b"", version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, target, version), "Host: localhost"]
    lines += ["%s: %s" % h for h in headers]
    if body and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def expect_status(r, status, what):
    check(r.status == status, "%s: expected status %d, got %r" % (what, status, r))


def expect_error(r, status, message, what):
    expect_status(r, status, what)
    ct = r.header("Content-Type") or ""
    check(ct.startswith("application/json"), "%s: Content-Type %r, want application/json" % (what, ct))
    j = r.json()
    check(isinstance(j, dict) and "message" in j, "%s: body %r has no message" % (what, j))
    if message is not None:
        check(j["message"] == message, "%s: message %r, want %r" % (what, j["message"], message))
    return j


def ping_ok(sock, what="ping"):
    r = get(sock, "GET", "/_ping")
    expect_status(r, 200, what)
    check(r.body == b"OK", "%s: body %r" % (what, r.body))


# ---- cases ----

def case_keepalive(sock):
    c = Conn(sock)
    for i in range(3):
        c.send(request("GET", "/_ping"))
        r = c.read_response()
        expect_status(r, 200, "request %d on one connection" % (i + 1))
        check(r.body == b"OK", "body %r" % r.body)
    c.send(request("GET", "/version"))
    r = c.read_response()
    expect_status(r, 200, "/version on the same connection")
    check(r.json().get("ApiVersion") == "1.41", "version body %r" % r.body[:200])
    c.close()


def case_pipelined(sock):
    c = Conn(sock)
    c.send(request("GET", "/_ping") + request("GET", "/version") + request("GET", "/nope"))
    r1, r2, r3 = c.read_response(), c.read_response(), c.read_response()
    expect_status(r1, 200, "first pipelined response")
    check(r1.body == b"OK", "first pipelined body %r" % r1.body)
    expect_status(r2, 200, "second pipelined response")
    check("ApiVersion" in r2.json(), "second pipelined body is not /version: %r" % r2.body[:200])
    expect_error(r3, 404, "page not found", "third pipelined response")
    c.close()


def chunked(body, size=5):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


def case_chunked_body(sock):
    c = Conn(sock)
    body = json.dumps({"Image": "busybox", "Cmd": ["true"]}).encode()
    c.send(request("POST", "/v1.41/nope/create", [("Transfer-Encoding", "chunked"),
                                                   ("Content-Type", "application/json")], chunked(body)))
    expect_error(c.read_response(), 404, "page not found", "chunked POST to an unknown path")
    c.send(request("GET", "/_ping", [("Transfer-Encoding", "chunked")], chunked(b"hello world")))
    r = c.read_response()
    expect_status(r, 200, "GET /_ping with a chunked body on the same connection")
    check(r.body == b"OK", "body %r" % r.body)
    # Chunks split across sends.
    c.send(request("GET", "/_ping", [("Transfer-Encoding", "chunked")]) + b"5\r\nhel")
    time.sleep(0.05)
    c.send(b"lo\r\n0\r\n\r\n")
    r = c.read_response()
    expect_status(r, 200, "chunked body split over two sends")
    c.close()


def case_chunked_too_big(sock):
    c = Conn(sock)
    c.send(request("POST", "/nope", [("Transfer-Encoding", "chunked")]))
    piece = b"x" * (1 << 20)
    status = None
    try:
        for _ in range(20):  # 20 MiB > the 16 MiB limit
            c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = c.read_response()
    status = r.status
    check(status == 413, "chunked body over 16MiB: expected 413, got %r" % r)
    c.close()
    ping_ok(sock, "ping after an oversized chunked body")


def case_garbage(sock):
    for junk in (b"\x00\x01\x02garbage\xff\xfe\r\n\r\n", b"HELLO\r\n\r\n",
                 b"GET /_ping HTTP/9.9.9\r\n\r\n", b"GET /_ping HTTP/1.1\r\nBad Header Line\r\n\r\n",
                 b"GET /_ping HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"GET /_ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        c = Conn(sock)
        c.send(junk)
        r = c.read_response()
        expect_error(r, 400, None, "garbage %r" % junk[:30])
        check(c.closed_by_peer(), "connection stays open after garbage %r" % junk[:30])
        c.close()
        ping_ok(sock, "ping after garbage %r" % junk[:30])


def case_oversized_headers(sock):
    c = Conn(sock)
    big = "a" * (70 * 1024)
    try:
        c.send(request("GET", "/_ping", [("X-Big", big)]))
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = c.read_response()
    expect_error(r, 431, None, "70KiB header")
    c.close()
    # Many small headers adding up past the limit.
    c = Conn(sock)
    try:
        c.send(request("GET", "/_ping", [("X-H%d" % i, "v" * 100) for i in range(1000)]))
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect_error(c.read_response(), 431, None, "1000 headers of 100 bytes")
    c.close()
    # A huge URL counts too.
    c = Conn(sock)
    try:
        c.send(request("GET", "/_ping?x=" + "b" * (70 * 1024)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect_error(c.read_response(), 414, None, "70KiB URL")
    c.close()
    # Just under the limit is accepted.
    r = get(sock, "GET", "/_ping", [("X-Big", "c" * (60 * 1024))])
    expect_status(r, 200, "60KiB header")
    ping_ok(sock, "ping after oversized headers")


def case_huge_content_length(sock):
    c = Conn(sock)
    c.send(request("POST", "/nope", [("Content-Length", str(17 * 1024 * 1024))]))
    expect_error(c.read_response(), 413, None, "Content-Length 17MiB")
    c.close()
    c = Conn(sock)
    c.send(request("POST", "/nope", [("Content-Length", "99999999999999999999")]))
    r = c.read_response()
    check(r.status in (400, 413), "Content-Length beyond 64 bits: expected 400 or 413, got %r" % r)
    c.close()
    ping_ok(sock, "ping after huge Content-Length")


def case_not_found(sock):
    for method, target in (("POST", "/info"), ("POST", "/v1.41/info"), ("DELETE", "/_ping"),
                           ("PUT", "/version"), ("GET", "/nope"), ("GET", "/v1.41/nope"),
                           ("GET", "/v1.41/containers/json/extra/deep"), ("GET", "/"),
                           ("GET", "/info/"), ("GET", "/v1.41")):
        r = get(sock, method, target)
        expect_error(r, 404, "page not found", "%s %s" % (method, target))


def case_versions(sock):
    r = get(sock, "GET", "/v1.99/info")
    expect_error(r, 400, "client version 1.99 is too new. Maximum supported API version is 1.41", "/v1.99/info")
    r = get(sock, "GET", "/v1.42/version")
    expect_error(r, 400, "client version 1.42 is too new. Maximum supported API version is 1.41", "/v1.42/version")
    r = get(sock, "GET", "/v1.12/info")
    j = expect_error(r, 400, None, "/v1.12/info")
    check("too old" in j["message"] and "1.24" in j["message"], "/v1.12/info message %r" % j["message"])
    r = get(sock, "GET", "/v1.23/info")
    expect_status(r, 400, "/v1.23/info")
    for target in ("/v1.24/info", "/v1.30/info", "/v1.41/info", "/info", "/v1.24/version",
                   "/v1.41/_ping", "/v1.24/_ping"):
        r = get(sock, "GET", target)
        expect_status(r, 200, target)
    j = get(sock, "GET", "/info").json()
    check(isinstance(j, dict) and "ID" in j, "/info body %r" % j)


def check_ping_headers(r, what):
    want = {"API-Version": "1.41", "Docker-Experimental": "false", "Ostype": "linux",
            "Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache"}
    for k, v in want.items():
        check(r.header(k) == v, "%s: header %s is %r, want %r (headers %r)" % (what, k, r.header(k), v, r.headers))
    check(r.header("Builder-Version") is not None, "%s: no Builder-Version header (%r)" % (what, r.headers))


def case_ping(sock):
    r = get(sock, "GET", "/_ping")
    expect_status(r, 200, "GET /_ping")
    check(r.body == b"OK", "GET /_ping body %r" % r.body)
    check_ping_headers(r, "GET /_ping")
    c = Conn(sock)
    c.send(request("HEAD", "/_ping"))
    r = c.read_response(head=True)
    expect_status(r, 200, "HEAD /_ping")
    check_ping_headers(r, "HEAD /_ping")
    # No body after a HEAD response: the next response on the connection
    # must start right away.
    c.send(request("GET", "/_ping"))
    r2 = c.read_response()
    expect_status(r2, 200, "GET /_ping after HEAD on one connection")
    check(r2.body == b"OK", "GET after HEAD body %r" % r2.body)
    c.close()
    r = get(sock, "GET", "/v1.41/_ping")
    check_ping_headers(r, "GET /v1.41/_ping")


def case_silent_clients(sock):
    silent = [connect(sock, raw=True) for _ in range(5)]
    half = []
    for partial in (b"GET /_pi", b"GET /_ping HTTP/1.1\r\nHost: x\r\n",
                    b"POST /nope HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"):
        s = connect(sock)
        s.sendall(partial)
        half.append(s)
    for i in range(3):
        ping_ok(sock, "ping %d while silent and half-request clients are connected" % i)
    # The half-finished requests complete normally when the rest arrives.
    half[1].sendall(b"\r\n")
    c = Conn.__new__(Conn)
    c.sock, c.buf = half[1], b""
    r = c.read_response()
    expect_status(r, 200, "half request completed later")
    for s in silent + half:
        s.close()
    ping_ok(sock, "ping after closing them")


def case_many_connections(sock, n=200):
    conns = [Conn(sock) for _ in range(n)]
    for c in conns:
        c.send(request("GET", "/_ping"))
    for i, c in enumerate(conns):
        r = c.read_response()
        expect_status(r, 200, "connection %d of %d" % (i + 1, n))
        check(r.body == b"OK", "connection %d body %r" % (i + 1, r.body))
    # And again on the same connections (keep-alive), in reverse order.
    for c in reversed(conns):
        c.send(request("GET", "/version"))
    for i, c in enumerate(conns):
        expect_status(c.read_response(), 200, "second request on connection %d" % (i + 1))
    for c in conns:
        c.close()


def case_http10(sock):
    c = Conn(sock)
    c.send(b"GET /_ping HTTP/1.0\r\n\r\n")
    r = c.read_response()
    expect_status(r, 200, "HTTP/1.0 GET /_ping")
    check(r.body == b"OK", "HTTP/1.0 body %r" % r.body)
    check(c.closed_by_peer(), "HTTP/1.0 connection not closed after the response")
    c.close()
    # HTTP/1.1 with Connection: close closes too.
    c = Conn(sock)
    c.send(request("GET", "/_ping", [("Connection", "close")]))
    expect_status(c.read_response(), 200, "Connection: close")
    check(c.closed_by_peer(), "connection not closed after Connection: close")
    c.close()
    # HTTP/1.0 with keep-alive may stay open, but must be answered.
    c = Conn(sock)
    c.send(b"GET /version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    expect_status(c.read_response(), 200, "HTTP/1.0 keep-alive")
    c.close()


def case_byte_by_byte(sock):
    c = Conn(sock)
    for b in request("GET", "/_ping", [("X-Slow", "yes")]):
        c.send(bytes([b]))
    r = c.read_response()
    expect_status(r, 200, "request sent one byte at a time")
    check(r.body == b"OK", "body %r" % r.body)
    c.close()


def case_head_no_body(sock):
    c = Conn(sock)
    for target, status in (("/version", 200), ("/v1.41/info", 200), ("/nope", 404),
                           ("/v1.99/version", 400)):
        c.send(request("HEAD", target))
        r = c.read_response(head=True)
        expect_status(r, status, "HEAD %s" % target)
        # If the daemon wrongly sent a body, the next response would not
        # start with a status line.
        c.send(request("GET", "/_ping"))
        r = c.read_response()
        expect_status(r, 200, "GET /_ping after HEAD %s on one connection" % target)
        check(r.body == b"OK", "GET after HEAD %s: body %r" % (target, r.body))
    c.close()


def case_large_body(sock):
    """A 4MiB body (under the limit) in one go and chunked, then a ping on
    the same connection: the body is consumed, not mistaken for requests."""
    c = Conn(sock)
    body = (b"GET /_ping HTTP/1.1\r\n\r\n" * 200000)[:4 << 20]
    c.send(request("POST", "/nope", [("Content-Length", str(len(body)))], body))
    expect_error(c.read_response(), 404, "page not found", "POST /nope with a 4MiB body")
    c.send(request("POST", "/nope", [("Transfer-Encoding", "chunked")]) + chunked(body, 100000))
    expect_error(c.read_response(), 404, "page not found", "POST /nope with a 4MiB chunked body")
    c.send(request("GET", "/_ping"))
    r = c.read_response()
    expect_status(r, 200, "ping after large bodies")
    check(r.body == b"OK", "body %r" % r.body)
    c.close()


def case_many_connections_50(sock):
    case_many_connections(sock, 50)


def case_events_boundaries(sock, t_nano):
    """since/until are inclusive at nanosecond precision, as in dockerd."""
    t = int(t_nano)

    def ts(n):
        return "%d.%09d" % (n // 10**9, n % 10**9)

    def count(since, until):
        r = get(sock, "GET", "/v1.41/events?since=%s&until=%s" % (ts(since), ts(until)))
        expect_status(r, 200, "events since=%s until=%s" % (ts(since), ts(until)))
        return len([l for l in r.body.splitlines() if b'"reload"' in l])

    check(count(t, t) == 1, "since=until=event time: want the event, got %d" % count(t, t))
    check(count(t - 10**9, t) == 1, "until=event time: want the event")
    check(count(t, t + 10**9) == 1, "since=event time: want the event")
    check(count(t + 1, t + 10**9) == 0, "since=event time+1ns: want nothing")
    check(count(t - 10**9, t - 1) == 0, "until=event time-1ns: want nothing")


def case_expect_continue(sock):
    """RFC 7231 5.1.1: a server that gets Expect: 100-continue with a body
    MUST answer 100 (Continue) or a final status before the body arrives."""
    c = Conn(sock, timeout=5)
    c.send(request("POST", "/nope", [("Expect", "100-continue"), ("Content-Length", "5")]))
    r = c.read_response()
    check(r.status in (100, 404, 417), "Expect: 100-continue: want 100 Continue or a final status, got %r" % r)
    if r.status == 100:
        c.send(b"hello")
        expect_error(c.read_response(), 404, "page not found", "POST after 100 Continue")
    c.close()
    ping_ok(sock, "ping after Expect: 100-continue")


def case_close_races(sock, since, until):
    """Clients that close right after the response starts, with Connection:
    close: the daemon's own close must not collide with the peer's."""
    reqs = {
        "events-history": b"GET /v1.41/events?since=%s&until=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        % (since.encode(), until.encode()),
        "ping": b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "info": b"GET /v1.41/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    }
    for name, req in reqs.items():
        for how in ("after-first-read", "without-reading"):
            for i in range(400):
                s = connect(sock)
                s.sendall(req)
                if how == "after-first-read":
                    try:
                        s.recv(65536)
                    except OSError:
                        pass
                s.close()
                try:
                    connect(sock).close()
                except OSError as e:
                    raise Fail("daemon gone after %d x %s closed %s: %r" % (i + 1, name, how, e))
    ping_ok(sock, "ping after the close races")


def case_hold(sock, secs):
    """Used by shutdown tests: holds a half request open and reports."""
    s = connect(sock)
    s.sendall(b"GET /_ping HTTP/1.1\r\n")
    print("connected", flush=True)
    s.settimeout(float(secs))
    try:
        s.recv(1)
    except socket.timeout:
        pass
    return


def case_ping_n(sock, n):
    for _ in range(int(n)):
        ping_ok(sock)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    name, sock, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    fn = globals().get("case_" + name.replace("-", "_"))
    if not fn:
        print("unknown case %s" % name)
        return 2
    try:
        fn(sock, *args)
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    except (OSError, EOFError, ssl.SSLError) as e:
        print("FAIL: socket error: %r" % e)
        return 1
    if name != "hold":
        print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
