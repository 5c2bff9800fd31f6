#!/usr/bin/env python3
"""Hostile and mistyped container bodies against a running berthd (issue 15).

usage: badinput.py CASE SOCKET [ARGS...]

  rejects SOCKET FILE      each line of FILE is "STATUS<TAB>MESSAGE-PART<TAB>BODY";
                           POST /containers/create with BODY must answer STATUS
                           with MESSAGE-PART in the message, and store nothing
  property SOCKET PART SEED N DATA_ROOT
                           PART config, host1, host2: every field of that part
                           of the create body with every wrong JSON type;
                           random: N random bodies with several fields
                           mistyped at once, then every update field with
                           every wrong type. Each answers 400, nothing is
                           stored, the daemon keeps answering
  corpus DIR               writes the property bodies as files into DIR (for
                           the fuzz targets of tests/fuzz)

Prints "ok" and exits 0, or says what went wrong and exits 1.
"""
import json
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawhttp import Conn, Fail, check, request  # noqa: E402

# The wrong values for each kind of field.
WRONG = {
    "str": [1, 1.5, True, [], {}, ["a"]],
    "bool": ["x", 1, 0.5, [], {}],
    "int": ["1", 1.5, True, [], {}, [1]],
    "uint": [-1, "1", 1.5, [], {}],
    "strs": ["x", 1, True, {}, [1], [None], [{}], [["a"]], ["a", None]],
    "strslice": [1, True, {}, [1, 2], ["echo", None], ["echo", {}], ["sh", 1, None]],
    "strmap": ["x", 1, [], {"a": 1}, {"a": None}, {"a": []}, {"a": {}}],
    "set": ["x", 1, [], {"a": 1}, {"a": "x"}, {"a": None}],
    "obj": ["x", 1, [], True],
    "objs": ["x", 1, {}, True, [1], ["x"], [[]], [None]],
}

CONFIG = {
    "Hostname": "str", "Domainname": "str", "User": "str", "AttachStdin": "bool",
    "AttachStdout": "bool", "AttachStderr": "bool", "ExposedPorts": "set", "Tty": "bool",
    "OpenStdin": "bool", "StdinOnce": "bool", "Env": "strs", "Cmd": "strslice",
    "Healthcheck": "obj", "ArgsEscaped": "bool", "Image": "str", "Volumes": "set",
    "WorkingDir": "str", "Entrypoint": "strslice", "NetworkDisabled": "bool",
    "MacAddress": "str", "OnBuild": "strs", "Labels": "strmap", "StopSignal": "str",
    "StopTimeout": "int", "Shell": "strslice", "HostConfig": "obj", "NetworkingConfig": "obj",
}

RESOURCES = {
    "CpuShares": "int", "Memory": "int", "NanoCpus": "int", "CgroupParent": "str",
    "BlkioWeight": "uint", "BlkioWeightDevice": "objs", "CpuPeriod": "int", "CpuQuota": "int",
    "CpuRealtimePeriod": "int", "CpuRealtimeRuntime": "int", "CpusetCpus": "str",
    "CpusetMems": "str", "DeviceCgroupRules": "strs", "KernelMemory": "int",
    "MemoryReservation": "int", "MemorySwap": "int", "MemorySwappiness": "int",
    "OomKillDisable": "bool", "PidsLimit": "int", "Ulimits": "objs", "CpuCount": "int",
    "CpuPercent": "int", "IOMaximumIOps": "uint", "IOMaximumBandwidth": "uint",
}

HOST = dict(RESOURCES, **{
    "Binds": "strs", "ContainerIDFile": "str", "LogConfig": "obj", "NetworkMode": "str",
    "PortBindings": "obj", "RestartPolicy": "obj", "AutoRemove": "bool", "VolumeDriver": "str",
    "VolumesFrom": "strs", "Annotations": "strmap", "CapAdd": "strslice",
    "CapDrop": "strslice", "CgroupnsMode": "str", "Dns": "strs", "DnsOptions": "strs",
    "DnsSearch": "strs", "ExtraHosts": "strs", "GroupAdd": "strs", "IpcMode": "str",
    "Cgroup": "str", "Links": "strs", "OomScoreAdj": "int", "PidMode": "str",
    "Privileged": "bool", "PublishAllPorts": "bool", "ReadonlyRootfs": "bool",
    "SecurityOpt": "strs", "StorageOpt": "strmap", "Tmpfs": "strmap", "UTSMode": "str",
    "UsernsMode": "str", "ShmSize": "int", "Sysctls": "strmap", "Runtime": "str",
    "Isolation": "str", "Mounts": "objs", "MaskedPaths": "strs", "ReadonlyPaths": "strs",
    "Init": "bool",
})

# Nested objects: a wrong type one level down.
NESTED_HOST = {
    "Mounts": [[{"Type": "bind", "Source": "/tmp", "Target": 1}], [{"Type": [], "Target": "/x"}],
               [{"Type": "volume", "Target": "/x", "ReadOnly": "yes"}], ["x"], [None],
               [{"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"SizeBytes": "1m"}}],
               [{"Type": "volume", "Target": "/x", "VolumeOptions": {"Labels": {"a": 1}}}],
               [{"Type": "bind", "Source": "/tmp", "Target": "/x",
                 "BindOptions": {"Propagation": 1}}]],
    "RestartPolicy": [{"Name": 1}, {"Name": "always", "MaximumRetryCount": "x"},
                      {"MaximumRetryCount": 1.5}],
    "LogConfig": [{"Type": 1}, {"Config": {"max-size": 1}}, {"Config": "x"}],
    "PortBindings": [{"80/tcp": "x"}, {"80/tcp": [{"HostPort": 80}]}, {"80/tcp": [1]},
                     {"80/tcp": [{"HostIp": []}]}],
    "Ulimits": [[{"Name": 1}], [{"Name": "nofile", "Soft": "x", "Hard": 1}], ["x"],
                [{"Name": "nofile", "Soft": 1.5, "Hard": 2}]],
    "BlkioWeightDevice": [[{"Path": 1}], [{"Weight": -1}], [{"Weight": 70000}]],
    "ConsoleSize": [[-1, 2], ["a", "b"], "x"],
}
NESTED_TOP = {
    "Healthcheck": [{"Test": 1}, {"Test": ["CMD", 1]}, {"Interval": "1s"}, {"Retries": 1.5}],
    "NetworkingConfig": [{"EndpointsConfig": "x"}, {"EndpointsConfig": {"bridge": "x"}},
                         {"EndpointsConfig": {"bridge": {"Aliases": "x"}}},
                         {"EndpointsConfig": {"bridge": {"IPAMConfig": {"IPv4Address": 1}}}},
                         {"EndpointsConfig": {"bridge": {"IPPrefixLen": "x"}}}],
}

UPDATE = dict(RESOURCES, RestartPolicy="obj")


def base_create():
    return {"Image": "bb", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}


def config_bodies():
    """Every Config field with every wrong type, one at a time."""
    for field, kind in CONFIG.items():
        for v in WRONG[kind]:
            b = base_create()
            b[field] = v
            yield b
    for field, vals in NESTED_TOP.items():
        for v in vals:
            b = base_create()
            b[field] = v
            yield b


def host_bodies(half):
    """Every HostConfig field (of one half, in order) with every wrong type."""
    fields = sorted(HOST)
    mid = len(fields) // 2
    for field in fields[:mid] if half == 1 else fields[mid:]:
        for v in WRONG[HOST[field]] + NESTED_HOST.get(field, []):
            b = base_create()
            b["HostConfig"][field] = v
            yield b


def create_bodies():
    return list(config_bodies()) + list(host_bodies(1)) + list(host_bodies(2))


def update_bodies():
    for field, kind in UPDATE.items():
        vals = WRONG[kind] + NESTED_HOST.get(field, [])
        for v in vals:
            yield {field: v}


def random_body(rng):
    """Several fields mistyped at once, at both levels."""
    b = base_create()
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            field = rng.choice(sorted(set(CONFIG) - {"HostConfig"}))
            b[field] = rng.choice(WRONG[CONFIG[field]])
        else:
            field = rng.choice(sorted(HOST))
            b["HostConfig"][field] = rng.choice(WRONG[HOST[field]] + NESTED_HOST.get(field, []))
    return b


def api(sock, method, path, body=None, timeout=10):
    c = Conn(sock, timeout)
    try:
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        headers = [("Content-Type", "application/json")] if body is not None else []
        c.send(request(method, "/v1.41" + path, headers, data))
        return c.read_response()
    finally:
        c.close()


def listing(sock):
    r = api(sock, "GET", "/containers/json?all=1")
    check(r.status == 200, "GET /containers/json?all=1 answered %d: %r" % (r.status, r.body[:300]))
    return sorted(x["Id"] for x in r.json())


def stored(sock, data_root):
    """What is stored: the container directories on disk when the data root
    is known (cheap enough to look after every request), else the list."""
    if data_root:
        return sorted(os.listdir(os.path.join(data_root, "containers")))
    return listing(sock)


def expect_rejected(sock, body, status, part, before, data_root=None):
    r = api(sock, "POST", "/containers/create", body)
    what = body if isinstance(body, bytes) else json.dumps(body)
    check(r.status == status, "status %d, not %d, for %s: %r" % (r.status, status, what[:300], r.body[:300]))
    msg = r.json().get("message", "")
    check(part in msg, "message %r lacks %r for %s" % (msg, part, what[:300]))
    check(stored(sock, data_root) == before, "something was stored after %s" % what[:300])


def case_rejects(sock, path):
    before = listing(sock)
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            status, part, body = line.split("\t", 2)
            expect_rejected(sock, body.encode(), int(status), part, before)


def case_property(sock, part, seed, n, data_root):
    """part: config, host1 or host2 (every field of that part with every
    wrong type), or random (n random bodies from seed, then the updates)."""
    rng = random.Random(int(seed))
    before_list, before = listing(sock), stored(sock, data_root)
    count = 0
    bodies = {"config": lambda: list(config_bodies()), "host1": lambda: list(host_bodies(1)),
              "host2": lambda: list(host_bodies(2)),
              "random": lambda: [random_body(rng) for _ in range(int(n))]}[part]()
    for b in bodies:
        expect_rejected(sock, b, 400, "", before, data_root)
        count += 1
    check(listing(sock) == before_list, "containers listed after the refused creates")
    if part != "random":
        sys.stderr.write("%d mistyped bodies refused\n" % count)
        return
    # Updates of an existing container: refused, and nothing of it changes.
    r = api(sock, "POST", "/containers/create?name=prop_upd", base_create())
    check(r.status == 201, "creating the update target: %r" % r)
    cid = r.json()["Id"]
    inspect = api(sock, "GET", "/containers/%s/json" % cid).json()
    hc_path = os.path.join(data_root, "containers", cid, "hostconfig.json")
    with open(hc_path) as f:
        hc_file = f.read()
    for b in update_bodies():
        r = api(sock, "POST", "/containers/%s/update" % cid, b)
        check(r.status == 400, "update %s answered %d: %r" % (json.dumps(b), r.status, r.body[:300]))
        with open(hc_path) as f:
            check(f.read() == hc_file, "update %s changed hostconfig.json" % json.dumps(b))
        count += 1
    now = api(sock, "GET", "/containers/%s/json" % cid).json()
    check(now["HostConfig"] == inspect["HostConfig"], "the updates changed the HostConfig")
    r = api(sock, "DELETE", "/containers/%s" % cid)
    check(r.status == 204, "removing the update target: %r" % r)
    check(listing(sock) == before, "containers left after the property run")
    sys.stderr.write("%d mistyped bodies refused (seed %s)\n" % (count, seed))


def case_exec_too_long(sock, cid, count):
    """An exec whose argv is over the kernel's limit: the stream says
    "argument list too long" and the exit code is 126."""
    r = api(sock, "POST", "/containers/%s/exec" % cid,
            {"Cmd": ["echo"] + ["a" * 100000] * int(count), "AttachStdout": True,
             "AttachStderr": True}, timeout=60)
    check(r.status == 201, "exec create: %r" % r)
    eid = r.json()["Id"]
    c = Conn(sock, 60)
    body = json.dumps({"Detach": False, "Tty": False}).encode()
    c.send(request("POST", "/v1.41/exec/%s/start" % eid, [("Content-Type", "application/json")], body))
    out = b""
    try:
        while True:
            c._fill()
    except (EOFError, Fail):
        out = c.buf
    c.close()
    check(b"argument list too long" in out, "exec output lacks the reason: %r" % out[-300:])
    r = api(sock, "GET", "/exec/%s/json" % eid)
    check(r.json().get("ExitCode") == 126, "exit code %r, not 126: %r" % (r.json().get("ExitCode"), out[-600:]))


def raw_exchange(sock, data, shut=False, timeout=10):
    """Sends data (tolerating a peer that stops reading), optionally
    half-closes, and returns the first response."""
    c = Conn(sock, timeout)
    try:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if shut:
            c.sock.shutdown(socket.SHUT_WR)
        return c.read_response()
    finally:
        c.close()


def expect_http(sock, data, status, part, what, shut=False):
    r = raw_exchange(sock, data, shut)
    check(r.status == status, "%s: status %d, not %d: %r" % (what, r.status, status, r))
    check(part.encode() in r.body, "%s: %r lacks %r" % (what, r.body[:300], part))


def case_http(sock):
    expect_http(sock, b"GET /_ping HTTP/9.9\r\nHost: x\r\n\r\n", 505, "HTTP version not supported",
                "HTTP/9.9")
    expect_http(sock, b"GET /_ping\r\n\r\n", 505, "HTTP version not supported", "HTTP/0.9")
    expect_http(sock, b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400,
                "obsolete line folding", "obs-fold")
    expect_http(sock, b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\tc\r\n\r\n", 400,
                "obsolete line folding", "obs-fold with a tab")
    body = b'{"Name":"gz"}'
    gz = (b"POST /v1.41/networks/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Transfer-Encoding: gzip, chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    expect_http(sock, gz, 501, "unsupported transfer encoding", "Transfer-Encoding: gzip, chunked")
    short = (b"POST /v1.41/networks/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100\r\n\r\n{\"Name\"")
    expect_http(sock, short, 400, "the connection ended in the middle of a request",
                "short body and a half-close", shut=True)
    expect_http(sock, b"GET /_ping HTTP/1.1\r\nHost: x\r\n", 400, "in the middle of a request",
                "headers cut by a half-close", shut=True)
    expect_http(sock, b"GET /_ping?x=" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                "request URI too long", "a 1 MB URL")
    expect_http(sock, b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (1 << 20) + b"\r\n\r\n",
                431, "request header fields too large", "a 1 MB header")
    # Nothing of the above was created, and the daemon still answers.
    r = api(sock, "GET", "/networks")
    check(r.status == 200 and not any(n["Name"] == "gz" for n in r.json()), "networks: %r" % r)
    # A request cut after the request line, with no half-close, still waits
    # for the rest (a slow client is not an error).
    c = Conn(sock)
    c.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n")
    c.send(b"\r\n")
    check(c.read_response().status == 200, "a request sent in two parts")
    c.close()


HTTP_INPUTS = {
    "http-version-9.9": b"GET /_ping HTTP/9.9\r\nHost: x\r\n\r\n",
    "http-version-0.9": b"GET /_ping\r\n\r\n",
    "http-obs-fold": b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n",
    "http-te-gzip-chunked": (b"POST /v1.41/networks/create HTTP/1.1\r\nHost: x\r\n"
                             b"Transfer-Encoding: gzip, chunked\r\n\r\nd\r\n{\"Name\":\"gz\"}\r\n0\r\n\r\n"),
    "http-short-body": (b"POST /v1.41/networks/create HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 100\r\n\r\n{\"Name\""),
    "http-nul-query": b"POST /v1.41/containers/x/kill?signal=%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    "http-long-url": b"GET /_ping?x=" + b"a" * (128 << 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "http-long-header": b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (128 << 10) + b"\r\n\r\n",
    "json-nul": b'{"Image":"bb\\u0000x"}',
}


def case_corpus(outdir):
    """Files for the fuzz targets: create-*.json and update-*.json bodies,
    rejects-*.json from badinput_rejects.tsv, http-*.txt raw requests."""
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(15)
    bodies = [("create", b) for b in create_bodies()] + [("update", b) for b in update_bodies()]
    bodies += [("create", random_body(rng)) for _ in range(50)]
    for i, (kind, b) in enumerate(bodies):
        with open(os.path.join(outdir, "%s-%04d.json" % (kind, i)), "w") as f:
            json.dump(b, f, sort_keys=True)
    tsv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "badinput_rejects.tsv")
    n = 0
    for line in open(tsv):
        if line.strip() and not line.startswith("#"):
            with open(os.path.join(outdir, "rejects-%04d.json" % n), "w") as f:
                f.write(line.rstrip("\n").split("\t", 2)[2])
            n += 1
    for name, data in HTTP_INPUTS.items():
        ext = "json" if name.startswith("json") else "txt"
        with open(os.path.join(outdir, "%s.%s" % (name, ext)), "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    name, args = sys.argv[1], sys.argv[2:]
    fn = globals().get("case_" + name)
    if not fn:
        print("unknown case %s" % name)
        return 2
    try:
        fn(*args)
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    except (OSError, EOFError) as e:
        print("FAIL: socket error: %r" % e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
