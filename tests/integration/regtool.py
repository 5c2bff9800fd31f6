#!/usr/bin/env python3
"""Puts images into a registry with its HTTP API v2 (python3 stdlib only), for
the registry tests; and a bearer token service for the token-auth test.

  regtool.py put HOST REPO TAG KIND [LAYERS]
      builds an image of LAYERS (default 2) small gzip layers and uploads it;
      KIND is one of
        docker    Docker schema 2 manifest
        oci       OCI image manifest
        index     OCI index with linux/amd64, linux/arm64/v8 and linux/s390x
                  entries (each its own image; the files say which)
        list      Docker manifest list, same entries
        schema1   a schema 1 manifest (signed-looking, refused by clients)
        badtype   a manifest with an unknown mediaType
        evil      one layer with a "../escape" entry
      prints JSON {"digest", "config", "layers": [blob digests], "diff_ids",
      "platforms": {"os/arch[/variant]": manifest digest}}
  regtool.py big HOST REPO TAG MB
      one layer of MB megabytes of incompressible data; prints JSON as put
  regtool.py cutproxy PORT TARGET CUT
      forwards 127.0.0.1:PORT to TARGET (host:port) and dies, closing every
      connection, once one answer carried more than CUT bytes (0: never):
      a registry that goes away in the middle of a download
  regtool.py blobpath STORAGE DIGEST
      the file distribution keeps the blob in
  regtool.py search PORT
      a v1 search endpoint on 127.0.0.1:PORT, as Docker Hub's (distribution
      has none): /v2/ answers 200, /v1/search?q=&n= the fixed repositories
      whose name holds q, at most n; each request is logged on stderr. Also
      a repository "pages" whose tags/list answers in two Link pages (the
      tag "zz" on the second) and whose manifests are all unknown
  regtool.py tokens PORT KEY CERT USER PASS
      a token service for distribution's token auth on 127.0.0.1:PORT: basic
      credentials USER:PASS (anonymous: a token granting nothing), JWT signed
      RS256 with KEY (openssl), x5c CERT
"""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request

MTIME = 1700000000


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_tar(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = MTIME
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return out.getvalue()


def gz(b):
    return gzip.compress(b, mtime=0)


class Registry:
    def __init__(self, host):
        self.base = "http://" + host

    def req(self, method, path, data=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        r = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(r) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def blob(self, repo, data):
        d = sha(data)
        st, h, _ = self.req("POST", "/v2/%s/blobs/uploads/" % repo, b"")
        assert st == 202, st
        loc = h["Location"]
        if loc.startswith("/"):
            loc = self.base + loc
        loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(d)
        st, _, body = self.req("PUT", loc, data, {"Content-Type": "application/octet-stream"})
        assert st == 201, (st, body)
        return d

    def manifest(self, repo, ref, mt, body):
        st, _, resp = self.req("PUT", "/v2/%s/manifests/%s" % (repo, ref), body, {"Content-Type": mt})
        assert st == 201, (st, resp)
        return sha(body)


def image(reg, repo, nlayers, oci, arch="amd64", variant=None, evil=False, tag_note=""):
    layers, diff_ids = [], []
    for i in range(nlayers):
        files = [("layer%d.txt" % i, ("layer %d of %s %s\n" % (i, arch, tag_note)).encode())]
        if i == 0:
            files.append(("arch", (arch + (("/" + variant) if variant else "") + "\n").encode()))
        if evil:
            files = [("../escape", b"out\n")]
        tar = make_tar(files)
        diff_ids.append(sha(tar))
        layers.append(gz(tar))
    cfg = {"architecture": arch, "os": "linux", "created": "2023-11-14T22:13:20Z",
           "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "regtool"}] * nlayers}
    if variant:
        cfg["variant"] = variant
    cfgb = json.dumps(cfg, separators=(",", ":")).encode()
    cfgd = reg.blob(repo, cfgb)
    lds = [reg.blob(repo, l) for l in layers]
    lt = "application/vnd.oci.image.layer.v1.tar+gzip" if oci else \
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    mt = "application/vnd.oci.image.manifest.v1+json" if oci else \
        "application/vnd.docker.distribution.manifest.v2+json"
    m = {"schemaVersion": 2, "mediaType": mt,
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json" if oci else
                    "application/vnd.docker.container.image.v1+json",
                    "size": len(cfgb), "digest": cfgd},
         "layers": [{"mediaType": lt, "size": len(l), "digest": d} for l, d in zip(layers, lds)]}
    body = json.dumps(m, indent=3).encode()
    return mt, body, cfgd, lds, diff_ids


def cmd_put(host, repo, tag, kind, nlayers=2):
    reg = Registry(host)
    nlayers = int(nlayers)
    out = {"platforms": {}}
    if kind in ("docker", "oci", "evil"):
        mt, body, cfgd, lds, diffs = image(reg, repo, 1 if kind == "evil" else nlayers,
                                           kind == "oci", evil=kind == "evil")
        out.update(digest=reg.manifest(repo, tag, mt, body), config=cfgd, layers=lds, diff_ids=diffs)
    elif kind in ("index", "list"):
        entries = []
        for arch, variant in (("amd64", None), ("arm64", "v8"), ("s390x", None)):
            mt, body, cfgd, lds, diffs = image(reg, repo, nlayers, kind == "index", arch, variant)
            d = reg.manifest(repo, sha(body), mt, body)
            plat = {"architecture": arch, "os": "linux"}
            if variant:
                plat["variant"] = variant
            entries.append({"mediaType": mt, "size": len(body), "digest": d, "platform": plat})
            out["platforms"]["linux/" + arch + ("/" + variant if variant else "")] = d
            if arch == "amd64":
                out.update(config=cfgd, layers=lds, diff_ids=diffs)
        mt = "application/vnd.oci.image.index.v1+json" if kind == "index" else \
            "application/vnd.docker.distribution.manifest.list.v2+json"
        body = json.dumps({"schemaVersion": 2, "mediaType": mt, "manifests": entries}).encode()
        out["digest"] = reg.manifest(repo, tag, mt, body)
    elif kind == "schema1":
        # distribution 2.8 refuses unsigned schema 1 uploads; store one as a
        # plain OCI-typed blob is not possible either, so the test serves it
        # from its own HTTP server (see t_registry.sh). Print the body only.
        body = {"schemaVersion": 1, "name": repo, "tag": tag, "architecture": "amd64",
                "fsLayers": [], "history": []}
        out["body"] = json.dumps(body)
    elif kind == "badtype":
        mt, body, cfgd, lds, diffs = image(reg, repo, 1, True)
        m = json.loads(body)
        m["mediaType"] = "application/vnd.example.unknown+json"
        body = json.dumps(m).encode()
        out["body"] = body.decode()
    else:
        sys.exit("unknown kind " + kind)
    print(json.dumps(out))


def cmd_big(host, repo, tag, mb):
    reg = Registry(host)
    data = os.urandom(int(mb) << 20)
    tar = make_tar([("big.bin", data)])
    layer = gz(tar)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [sha(tar)]}}).encode()
    cfgd = reg.blob(repo, cfg)
    ld = reg.blob(repo, layer)
    mt = "application/vnd.docker.distribution.manifest.v2+json"
    body = json.dumps({"schemaVersion": 2, "mediaType": mt,
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "size": len(cfg), "digest": cfgd},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                   "size": len(layer), "digest": ld}]}).encode()
    print(json.dumps({"digest": reg.manifest(repo, tag, mt, body), "config": cfgd, "layers": [ld],
                      "diff_ids": [sha(tar)]}))


def cmd_cutproxy(port, target, cut):
    import socket
    import threading
    cut = int(cut)
    thost, tport = target.rsplit(":", 1)

    def pump(src, dst, count):
        total = 0
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                total += len(b)
                if count and cut and total > cut:
                    os._exit(0)
                dst.sendall(b)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port)))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        u = socket.create_connection((thost, int(tport)))
        threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, True), daemon=True).start()


def cmd_blobpath(storage, digest):
    h = digest.split(":", 1)[1]
    print(os.path.join(storage, "docker/registry/v2/blobs/sha256", h[:2], h, "data"))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cmd_tokens(port, key, cert, user, password):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    want = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            sys.stderr.write("token: " + (a[0] % a[1:]) + "\n")

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            given = self.headers.get("Authorization")
            # Anonymous callers get a token that grants nothing, as real
            # token services do; wrong credentials are refused.
            if given is not None and given != want:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"incorrect username or password"}')
                return
            access = []
            for s in q.get("scope", []) if given else []:
                typ, rest = s.split(":", 1)
                name, actions = rest.rsplit(":", 1)
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            hdr = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
            claims = {"iss": "berth-test", "sub": user, "aud": q.get("service", [""])[0],
                      "exp": now + 600, "nbf": now - 10, "iat": now, "jti": str(now),
                      "access": access}
            signing = b64u(json.dumps(hdr).encode()) + "." + b64u(json.dumps(claims).encode())
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                                 check=True, capture_output=True).stdout
            tok = signing + "." + b64u(sig)
            body = json.dumps({"token": tok, "access_token": tok, "expires_in": 600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http.server.HTTPServer(("127.0.0.1", int(port)), H).serve_forever()


SEARCH_REPOS = [
    {"name": "busybox", "description": "Busybox base image.", "star_count": 3400,
     "is_official": True, "is_automated": False},
    {"name": "me/busybox-tools", "description": "Tools on busybox,\nwith a description that is longer than forty-five characters",
     "star_count": 7, "is_official": False, "is_automated": True},
    {"name": "you/tiny-busybox", "description": "", "star_count": 0,
     "is_official": False, "is_automated": False},
]


def cmd_search(port):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            sys.stderr.write("search: " + (a[0] % a[1:]) + "\n")

        def reply(self, obj, headers=None):
            body = json.dumps(obj).encode()
            self.send_response(200)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            if u.path == "/v2/":
                return self.reply({})
            # A repository whose tags come in two pages (the first empty).
            if u.path == "/v2/pages/tags/list":
                q = urllib.parse.parse_qs(u.query)
                if "last" not in q:
                    return self.reply({"name": "pages", "tags": []},
                                      {"Link": '</v2/pages/tags/list?last=a&n=1>; rel="next"'})
                return self.reply({"name": "pages", "tags": ["zz"]})
            if u.path.startswith("/v2/pages/manifests/"):
                body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN",
                                               "message": "manifest unknown"}]}).encode()
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if u.path != "/v1/search":
                self.send_error(404)
                return
            q = urllib.parse.parse_qs(u.query)
            term, n = q.get("q", [""])[0], int(q.get("n", ["25"])[0])
            found = [r for r in SEARCH_REPOS if term in r["name"]][:n]
            self.reply({"num_results": len(found), "query": term, "results": found})

    http.server.HTTPServer(("127.0.0.1", int(port)), H).serve_forever()


if __name__ == "__main__":
    cmds = {"put": cmd_put, "big": cmd_big, "cutproxy": cmd_cutproxy, "blobpath": cmd_blobpath,
            "tokens": cmd_tokens, "search": cmd_search}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
