#!/usr/bin/env python3
"""Builds image archives for the image tests and the image benchmark.

  imgtool.py whiteouts OUT.tar TAG      3-layer docker-archive with .wh. files
                                        and an opaque directory; prints JSON
                                        {"id", "diff_ids", "tag"}
  imgtool.py oci OUT.tar TAG            OCI image layout (gzip layers) as a tar;
                                        prints JSON {"id", "diff_ids", "tag"}
  imgtool.py big OUT.tar TAG MB [FILES] single-layer docker-archive of about MB
                                        megabytes of random-ish data in files of
                                        mixed sizes; prints JSON
  imgtool.py multi OUT.tar TAG N KB     N-layer docker-archive, each layer about
                                        KB kilobytes; prints JSON
  imgtool.py bad KIND OUT.tar TAG [ARG] a broken docker-archive (see BAD below)
  imgtool.py rootfs-bad KIND OUT.tar [ARG]  a broken rootfs tarball for import
  imgtool.py layer-digests SAVED.tar    prints the sha256 of every layer named by
                                        the manifest.json of a docker-archive
  imgtool.py healthcheck OUT.tar TAG ROOTFS.tar TEST_JSON INTERVAL_NS
                                        single-layer docker-archive of a rootfs
                                        tarball whose config has a Healthcheck
  imgtool.py treelist DIR               prints "path type mode uid:gid size/target"
                                        of every entry below DIR, sorted
"""
import gzip
import hashlib
import io
import json
import os
import random
import stat
import sys
import tarfile

MTIME = 1700000000


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class TI(tarfile.TarInfo):
    __slots__ = ("payload",)


def tinfo(name, kind=tarfile.REGTYPE, data=b"", mode=None, uid=0, gid=0, linkname=""):
    ti = TI(name)
    ti.payload = b""
    ti.type = kind
    ti.mtime = MTIME
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    if kind == tarfile.DIRTYPE:
        ti.mode = 0o755 if mode is None else mode
    elif kind == tarfile.SYMTYPE:
        ti.mode = 0o777
        ti.linkname = linkname
    elif kind == tarfile.LNKTYPE:
        ti.mode = 0o644 if mode is None else mode
        ti.linkname = linkname
    else:
        ti.mode = 0o644 if mode is None else mode
        ti.size = len(data)
    ti.payload = data
    return ti


def make_tar(entries):
    """entries: list of (TarInfo, unused). Returns the tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, _ in entries:
            t.addfile(ti, io.BytesIO(ti.payload) if ti.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def config_json(diff_ids, cmd=None, env=None, created="2023-11-14T22:13:20Z", labels=None):
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": cmd or ["/bin/sh"],
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": created, "created_by": "imgtool layer %d" % i}
                    for i in range(len(diff_ids))],
    }
    if labels:
        cfg["config"]["Labels"] = labels
    return json.dumps(cfg, separators=(",", ":")).encode()


def write_docker_archive(out, tag, layers, cfg=None, manifest_layers=None, stream=None):
    """layers: list of layer tar bytes (stored uncompressed, as docker save
    does, unless a layer is given as ("gz", bytes))."""
    diff_ids, files = [], []
    for i, layer in enumerate(layers):
        if isinstance(layer, tuple):
            _, raw, stored = layer
            diff_ids.append(sha(raw))
            files.append(("layer%d/layer.tar" % i, stored))
        else:
            diff_ids.append(sha(layer))
            files.append(("layer%d/layer.tar" % i, layer))
    config = cfg if cfg is not None else config_json(diff_ids)
    image_id = sha(config)
    cname = image_id[7:] + ".json"
    manifest = [{"Config": cname, "RepoTags": [tag] if tag else None,
                 "Layers": manifest_layers if manifest_layers is not None else [f for f, _ in files]}]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            t.addfile(tinfo(name, data=data), io.BytesIO(data))
        for name, data in files:
            t.addfile(tinfo(os.path.dirname(name), tarfile.DIRTYPE), None)
            add(name, data)
        add(cname, config)
        add("manifest.json", json.dumps(manifest).encode())
    return {"id": image_id, "diff_ids": diff_ids, "tag": tag}


def whiteout_layers():
    d, f, s, h = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
    l1 = make_tar([
        (tinfo("a", d), None),
        (tinfo("a/keep", data=b"keep\n"), None),
        (tinfo("a/gone", data=b"gone\n"), None),
        (tinfo("a/sub", d), None),
        (tinfo("a/sub/x", data=b"x\n"), None),
        (tinfo("o", d), None),
        (tinfo("o/old1", data=b"old1\n"), None),
        (tinfo("o/olddir", d), None),
        (tinfo("o/olddir/deep", data=b"deep\n"), None),
        (tinfo("top1", data=b"top1\n"), None),
        (tinfo("rmdir", d), None),
        (tinfo("rmdir/inside", data=b"inside\n"), None),
    ])
    l2 = make_tar([
        (tinfo("a", d), None),
        (tinfo("a/.wh.gone", data=b""), None),
        (tinfo("a/new", data=b"new\n", mode=0o600, uid=1000, gid=1001), None),
        (tinfo("o", d), None),
        (tinfo("o/.wh..wh..opq", data=b""), None),
        (tinfo("o/fresh", data=b"fresh\n"), None),
        (tinfo(".wh.top1", data=b""), None),
        (tinfo(".wh.rmdir", data=b""), None),
    ])
    l3 = make_tar([
        (tinfo("b", d, mode=0o750), None),
        (tinfo("b/file", data=b"hello\n", mode=0o640, uid=1000, gid=1000), None),
        (tinfo("b/hard", h, linkname="b/file"), None),
        (tinfo("b/link", s, linkname="file"), None),
        (tinfo("a/sub/.wh.x", data=b""), None),
    ])
    return [l1, l2, l3]


# What the merged tree looks like after the three whiteout layers.
WHITEOUT_EXPECT = {
    "a": "dir", "a/keep": "file", "a/new": "file", "a/sub": "dir",
    "o": "dir", "o/fresh": "file", "b": "dir", "b/file": "file",
    "b/hard": "file", "b/link": "symlink",
}


def cmd_whiteouts(out, tag):
    r = write_docker_archive(out, tag, whiteout_layers())
    r["expect"] = WHITEOUT_EXPECT
    print(json.dumps(r))


def cmd_oci(out, tag):
    layers = whiteout_layers()[:1] + [make_tar([
        (tinfo("etc", tarfile.DIRTYPE), None),
        (tinfo("etc/oci-release", data=b"oci\n"), None)])]
    blobs = {}

    def blob(data):
        dg = sha(data)
        blobs[dg] = data
        return dg

    diff_ids = [sha(l) for l in layers]
    gz = [gzip.compress(l, mtime=0) for l in layers]
    config = config_json(diff_ids, cmd=["/bin/true"])
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": blob(g), "size": len(g)} for g in gz],
    }
    mbytes = json.dumps(manifest).encode()
    name, _, short = tag.rpartition(":")
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": blob(mbytes), "size": len(mbytes),
            "annotations": {"io.containerd.image.name": "docker.io/library/" + tag,
                            "org.opencontainers.image.ref.name": short},
        }],
    }
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(n, data):
            t.addfile(tinfo(n, data=data), io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        t.addfile(tinfo("blobs", tarfile.DIRTYPE), None)
        t.addfile(tinfo("blobs/sha256", tarfile.DIRTYPE), None)
        for dg, data in blobs.items():
            add("blobs/sha256/" + dg[7:], data)
        add("index.json", json.dumps(index).encode())
    print(json.dumps({"id": sha(config), "diff_ids": diff_ids, "tag": tag}))


class RandomIsh:
    """Cheap incompressible-ish bytes: slices of one random pool."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.pool = os.urandom(8 << 20)

    def take(self, n):
        out = bytearray()
        while len(out) < n:
            off = self.rng.randrange(0, len(self.pool) - 4096)
            k = min(n - len(out), len(self.pool) - off, 1 << 20)
            out += self.pool[off:off + k]
        return bytes(out)


def stream_layer(path, total, seed, prefix="data"):
    """Writes a layer tar of files of mixed sizes totalling ~total bytes to
    path; returns its sha256 digest."""
    src = RandomIsh(seed)
    sizes = [1 << 10, 16 << 10, 200 << 10, 1 << 20, 8 << 20]
    written, n = 0, 0
    with open(path, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            t.addfile(tinfo(prefix, tarfile.DIRTYPE), None)
            while written < total:
                if n % 100 == 0:
                    t.addfile(tinfo("%s/d%d" % (prefix, n // 100), tarfile.DIRTYPE), None)
                size = min(sizes[n % len(sizes)], total - written) if written < total else 0
                data = src.take(size)
                t.addfile(tinfo("%s/d%d/f%d" % (prefix, n // 100, n), data=data), io.BytesIO(data))
                written += size
                n += 1
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return "sha256:" + h.hexdigest(), n


def write_archive_from_files(out, tag, layer_paths, diff_ids):
    config = config_json(diff_ids)
    image_id = sha(config)
    cname = image_id[7:] + ".json"
    names = ["layer%d/layer.tar" % i for i in range(len(layer_paths))]
    manifest = [{"Config": cname, "RepoTags": [tag], "Layers": names}]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for name, p in zip(names, layer_paths):
            t.addfile(tinfo(os.path.dirname(name), tarfile.DIRTYPE), None)
            ti = tinfo(name)
            ti.size = os.path.getsize(p)
            with open(p, "rb") as f:
                t.addfile(ti, f)
        t.addfile(tinfo(cname, data=config), io.BytesIO(config))
        m = json.dumps(manifest).encode()
        t.addfile(tinfo("manifest.json", data=m), io.BytesIO(m))
    return {"id": image_id, "diff_ids": diff_ids, "tag": tag}


def cmd_big(out, tag, mb, seed=1):
    tmp = out + ".layer"
    dg, nfiles = stream_layer(tmp, int(mb) << 20, int(seed))
    try:
        r = write_archive_from_files(out, tag, [tmp], [dg])
    finally:
        os.unlink(tmp)
    r["files"] = nfiles
    r["bytes"] = int(mb) << 20
    print(json.dumps(r))


def cmd_multi(out, tag, n, kb, seed=7):
    paths, dgs = [], []
    try:
        for i in range(int(n)):
            p = "%s.layer%d" % (out, i)
            dg, _ = stream_layer(p, int(kb) << 10, int(seed) * 1000 + i, prefix="l%d" % i)
            paths.append(p)
            dgs.append(dg)
        r = write_archive_from_files(out, tag, paths, dgs)
    finally:
        for p in paths:
            os.unlink(p)
    print(json.dumps(r))


def base_layer():
    return make_tar([(tinfo("etc", tarfile.DIRTYPE), None),
                     (tinfo("etc/hostname", data=b"ok\n"), None)])


def bad_layer(kind, arg):
    """Layer tars that must be refused."""
    if kind == "traversal":
        return make_tar([(tinfo("etc", tarfile.DIRTYPE), None),
                         (tinfo("../../escaped-%s" % arg, data=b"pwned\n"), None)])
    if kind == "abs-symlink":
        # evil -> ARG (an absolute directory outside the root), then a file
        # written through it.
        return make_tar([(tinfo("evil", tarfile.SYMTYPE, linkname=arg), None),
                         (tinfo("evil/pwned", data=b"pwned\n"), None)])
    if kind == "hardlink-out":
        return make_tar([(tinfo("h", tarfile.LNKTYPE, linkname="../../../../etc/passwd"), None)])
    raise SystemExit("unknown bad layer kind " + kind)


def cmd_bad(kind, out, tag, arg=""):
    if kind in ("traversal", "abs-symlink", "hardlink-out"):
        r = write_docker_archive(out, tag, [base_layer(), bad_layer(kind, arg)])
    elif kind == "missing-layer":
        layers = [base_layer()]
        r = write_docker_archive(out, tag, layers,
                                 manifest_layers=["layer0/layer.tar", "nothere/layer.tar"],
                                 cfg=config_json([sha(layers[0]), sha(b"nothere")]))
    elif kind == "truncated-gzip":
        big = make_tar([(tinfo("blob", data=os.urandom(256 << 10)), None)])
        gz = gzip.compress(big, mtime=0)
        r = write_docker_archive(out, tag, [base_layer(), ("gz", big, gz[:len(gz) // 2])])
    elif kind == "diffid-mismatch":
        layers = [base_layer()]
        r = write_docker_archive(out, tag, layers, cfg=config_json([sha(b"other")]))
    elif kind == "corrupt":
        with open(out, "wb") as f:
            f.write(b"this is not a tar archive\n" + os.urandom(8192))
        r = {"id": "", "diff_ids": [], "tag": tag}
    else:
        raise SystemExit("unknown bad kind " + kind)
    print(json.dumps(r))


def cmd_rootfs_bad(kind, out, arg=""):
    if kind in ("traversal", "abs-symlink", "hardlink-out"):
        data = bad_layer(kind, arg)
    elif kind == "truncated-gzip":
        big = make_tar([(tinfo("blob", data=os.urandom(256 << 10)), None)])
        gz = gzip.compress(big, mtime=0)
        data = gz[:len(gz) // 2]
    elif kind == "corrupt":
        data = b"\x00garbage, not a tarball\n" * 50 + os.urandom(4096)
    else:
        raise SystemExit("unknown rootfs-bad kind " + kind)
    with open(out, "wb") as f:
        f.write(data)


def cmd_layer_digests(path):
    with tarfile.open(path) as t:
        m = json.load(t.extractfile("manifest.json"))
        for entry in m:
            for l in entry["Layers"]:
                h = hashlib.sha256()
                f = t.extractfile(l)
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    h.update(b)
                print("sha256:" + h.hexdigest())


def cmd_treelist(root):
    rows = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if stat.S_ISDIR(st.st_mode):
                kind, extra = "dir", ""
            elif stat.S_ISLNK(st.st_mode):
                kind, extra = "symlink", os.readlink(p)
            elif stat.S_ISCHR(st.st_mode):
                kind, extra = "chardev", "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            else:
                kind, extra = "file", str(st.st_size)
            try:
                opq = os.getxattr(p, "trusted.overlay.opaque", follow_symlinks=False)
                extra += " opaque=" + opq.decode()
            except OSError:
                pass
            rows.append("%s %s %o %d:%d %s" % (rel, kind, stat.S_IMODE(st.st_mode),
                                               st.st_uid, st.st_gid, extra))
    print("\n".join(sorted(rows)))


def cmd_healthcheck(out, tag, rootfs, test, interval_ns):
    with open(rootfs, "rb") as f:
        layer = f.read()
    cfg = json.loads(config_json([sha(layer)]))
    cfg["config"]["Healthcheck"] = {"Test": json.loads(test), "Interval": int(interval_ns)}
    cfg = json.dumps(cfg, separators=(",", ":")).encode()
    print(json.dumps(write_docker_archive(out, tag, [layer], cfg=cfg)))


def main():
    a = sys.argv[1:]
    if not a:
        raise SystemExit(__doc__)
    cmd, args = a[0], a[1:]
    fn = {
        "whiteouts": cmd_whiteouts, "oci": cmd_oci, "big": cmd_big, "multi": cmd_multi,
        "bad": cmd_bad, "rootfs-bad": cmd_rootfs_bad, "layer-digests": cmd_layer_digests,
        "treelist": cmd_treelist, "healthcheck": cmd_healthcheck,
    }.get(cmd)
    if not fn:
        raise SystemExit(__doc__)
    fn(*args)


if __name__ == "__main__":
    main()
