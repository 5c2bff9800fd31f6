"""Runs a command on a new pseudo-terminal, as a person at a terminal would.

usage: ptyrun.py [--rows R --cols C] [--send TEXT]... [--wait-for TEXT] -- CMD...

The terminal gets the size given; each --send is typed once the output so far
contains the --wait-for text (when given) or after a short pause. Prints what
the terminal showed, then exits with the command's exit status. Gives up
after 30 s.
"""
import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("--wait-for", default=None)
    ap.add_argument("--resize", default=None, help="ROWSxCOLS applied after the first send")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(a.cmd[0], a.cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    out = b""
    sends = list(a.send)
    deadline = time.time() + 30
    next_send = time.time() + 1.0
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        ready = a.wait_for is None or a.wait_for.encode() in out
        if sends and ready and time.time() >= next_send:
            os.write(fd, sends.pop(0).encode().decode("unicode_escape").encode())
            next_send = time.time() + 0.5
            if a.resize:
                rows, cols = (int(x) for x in a.resize.split("x"))
                fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.kill(pid, 28)  # SIGWINCH: the CLI forwards the new size
                a.resize = None
    else:
        os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(st) if hasattr(os, "waitstatus_to_exitcode") else st >> 8)


main()
