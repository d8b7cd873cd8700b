"""Hostile lake entries for tests: symbolic links (inside the root, out of it, dangling,
to /dev/zero, to a folder), a FIFO, a socket, a character device, a file name that is not
UTF-8, made for real in a local folder; and a snapshot of a folder that never opens
anything but a regular file, to show that the entries are left as they were."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

LINK = "a symbolic link to {target!r}: not followed (the lake reads only regular files inside its root)"
FIFO = "a FIFO (named pipe), not a regular file: not read"
SOCKET = "a socket, not a regular file: not read"
CHAR_DEVICE = "a character device, not a regular file: not read"
NOT_UTF8 = "the name is not valid UTF-8: not read"
DOT_DOT = "the key has a '..' segment: not read (it could name an object outside the lake root)"
EMPTY_SEGMENT = "the key has an empty segment ('//' or a leading '/'): not read"


def too_large(size: int, limit: int) -> str:
    return f"{size:,} bytes, above the limit of {limit:,} bytes (SPOTIFY_RAW_MAX_BYTES): not read"


def make_hostile_entries(day: Path, outside_file: Path, inside_target: str) -> dict[str, str]:
    """Create the hostile entries in the folder ``day`` (``raw_playlist/dt=<dt>``);
    ``{name as the lake lists it: reason}``.

    ``outside_file``: a regular file outside the lake root (a link points at it);
    ``inside_target``: a relative link target inside the root (e.g. another day's object).
    A socket or device that this machine does not let us create is left out.
    """
    day.mkdir(parents=True, exist_ok=True)
    reasons: dict[str, str] = {}

    def link(name: str, target: str) -> None:
        os.symlink(target, day / name)
        reasons[name] = LINK.format(target=target)

    link("1InsideLinkXXXXXXXXXXX.json", inside_target)
    link("1OutsideLinkXXXXXXXXXX.json", str(outside_file))
    link("1DanglingLinkXXXXXXXXX.json", str(day / "no-such-object.json"))
    link("1DevZeroLinkXXXXXXXXXX.json", "/dev/zero")
    link("1FolderLinkXXXXXXXXXXX", str(outside_file.parent))  # a folder: never walked into
    os.mkfifo(day / "1FifoXXXXXXXXXXXXXXXXX.json")
    reasons["1FifoXXXXXXXXXXXXXXXXX.json"] = FIFO
    try:
        sock = socket.socket(socket.AF_UNIX)
        try:
            # A relative name from inside the folder: a temporary folder's absolute path can
            # be longer than AF_UNIX allows (108 bytes), e.g. under pytest-xdist's workers.
            with contextlib.chdir(day):
                sock.bind("1SocketXXXXXXXXXXXXXXX.json")
            reasons["1SocketXXXXXXXXXXXXXXX.json"] = SOCKET
        finally:
            sock.close()
    except OSError:  # a path too long for AF_UNIX: no socket on this machine
        pass
    try:  # the same device as /dev/zero, as a node inside the lake
        os.mknod(day / "1DeviceXXXXXXXXXXXXXXX.json", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
        reasons["1DeviceXXXXXXXXXXXXXXX.json"] = CHAR_DEVICE
    except (PermissionError, OSError):
        pass
    with open(bytes(day) + b"/1NotUtf8\xff\xfeXXXXXXXXXXXXX.json", "wb") as f:
        f.write(b'{"id": "1NotUtf8XXXXXXXXXXXXXX", "items": []}')
    reasons["1NotUtf8\\xff\\xfeXXXXXXXXXXXXX.json"] = NOT_UTF8
    return reasons


def snapshot(root: Path) -> dict[bytes, tuple]:
    """``{path relative to root (bytes): what it is}``: a regular file's bytes, a link's
    target, a FIFO/socket/device's kind; only regular files are ever opened, and links
    are never followed."""
    out: dict[bytes, tuple] = {}
    base = bytes(root)
    for dirpath, dirs, files in os.walk(base):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                with open(path, "rb") as f:
                    out[rel] = ("file", f.read())
            elif stat.S_ISDIR(mode):
                out[rel] = ("folder",)
            else:
                out[rel] = ("special", stat.S_IFMT(mode), os.lstat(path).st_rdev)
    return out


def require_hostile_entries_supported() -> None:
    if not hasattr(os, "mkfifo") or not hasattr(os, "O_NOFOLLOW"):
        pytest.skip("FIFOs and O_NOFOLLOW are POSIX-only")


def call_within(seconds: float, call, *args, **kwargs):
    """``call(*args, **kwargs)`` in a daemon thread that must end within ``seconds``: its
    value, or the exception it raised; ``AssertionError`` naming the call when it is still
    running then (a read of a FIFO or of /dev/zero would never end)."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as err:  # handed to the caller
            outcome["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{getattr(call, '__name__', call)} did not end within {seconds:g} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
