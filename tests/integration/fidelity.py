#!/usr/bin/env python3
"""Engine API checks the way SDK clients make them (stdlib only).

usage: fidelity.py CASE SOCKET [ARGS...]

Prints "ok" and exits 0, or says what went wrong and exits 1. Every socket
operation has a timeout.
"""
import http.client
import json
import socket
import sys

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
