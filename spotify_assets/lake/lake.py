"""The lake: one root URL (a local folder or ``s3://bucket/prefix``) and the few file
operations the project needs, on fsspec (s3fs for S3, the local filesystem otherwise).
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import fsspec


class LakePathError(ValueError):
    """A key that would leave the lake root (``..``, absolute paths, empty parts)."""


class LakeEntryError(ValueError):
    """An entry of the lake that is not read: a symbolic link, a FIFO, a device, a socket
    or any other non-regular file, a folder on the key's path that is a symbolic link,
    or an object above the caller's size limit. ``key`` and ``reason`` (words) name it."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class ObjectInfo:
    """One object found by :meth:`Lake.list_objects`.

    ``key`` is relative to the listed root (no leading ``/``); ``etag`` is S3's ETag
    without quotes, or ``<size>-<mtime_ns>`` in hex for local files; ``last_modified``
    is timezone-aware UTC; ``size`` in bytes.

    ``unreadable``: None for an object the lake reads; else the reason (words) why this
    listed entry is never read: not a regular file (a symbolic link, FIFO, device,
    socket), or a key that is not a plain path (``..``, ``.``, empty segments) or not
    valid UTF-8. Such entries are listed only with ``include_unreadable=True``; a key that
    is not valid UTF-8 is shown with ``\\xNN`` escapes.
    """

    key: str
    etag: str
    last_modified: datetime
    size: int
    unreadable: str | None = None


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise LakePathError(f"key {key!r} is not a plain relative path inside the lake root")
    return key


def key_problem(key: str) -> str | None:
    """Why a listed ``key`` is not read (a ``..``, ``.`` or empty segment, a name that is
    not valid UTF-8), or None for a plain key. Such keys could name something outside
    the lake root, or another object than the one listed."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # surrogate escapes: os.walk/scandir of a non-UTF-8 name
        return "the name is not valid UTF-8: not read"
    parts = key.split("/")
    if ".." in parts:
        return "the key has a '..' segment: not read (it could name an object outside the lake root)"
    if "." in parts:
        return "the key has a '.' segment: not read (it names the same object as another key)"
    if "" in parts:
        return "the key has an empty segment ('//' or a leading '/'): not read"
    return None


def printable_key(key: str) -> str:
    """``key`` with the bytes of a non-UTF-8 name as ``\\xNN`` (surrogate escapes otherwise
    break JSON metadata and logs)."""
    return key.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def make_filesystem(
    url: str, region: str | None = None, endpoint_url: str | None = None
) -> tuple[fsspec.AbstractFileSystem, str]:
    """``(filesystem, root path)`` for a folder path, ``file://`` URL or ``s3://`` URL.

    S3 uses ``endpoint_url`` (``Settings.aws_endpoint_url``: MinIO, moto, LocalStack) and
    ``region`` (``Settings.aws_region``) when given; None leaves each to botocore's own chain
    (which reads ``AWS_DEFAULT_REGION`` and ``AWS_ENDPOINT_URL``, not ``AWS_REGION``). Listing caches are
    off: the sensor must see objects written a moment ago. The S3 client itself is reused
    (fsspec's instance cache, keyed by these arguments): creating one costs up to a second.
    """
    if url.startswith("s3://"):
        import s3fs

        client_kwargs = {"region_name": region} if region else {}
        fs = s3fs.S3FileSystem(
            endpoint_url=endpoint_url,
            use_listings_cache=False,
            session=_s3_session(),
            client_kwargs=client_kwargs,
        )
        return fs, url[len("s3://") :].rstrip("/")
    path = url[len("file://") :] if url.startswith("file://") else url
    return fsspec.filesystem("file"), os.path.abspath(os.path.expanduser(path))


_S3_SESSION = None


def _s3_session():
    """The aiobotocore session of every S3 lake (one per process, so that fsspec's
    instance cache still reuses the filesystem and its client).

    Its response parser reads S3's ISO 8601 timestamps (``LastModified``) with
    ``datetime.fromisoformat`` instead of botocore's dateutil-based parser: listing
    10,000 objects (the sensor lists the raw zone on every tick) took 2.2 s of CPU,
    most of it in dateutil, and takes 0.9 s. Other forms (HTTP dates in headers) fall
    back to botocore's parser.
    """
    global _S3_SESSION
    if _S3_SESSION is None:
        from aiobotocore.session import AioSession

        session = AioSession()
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_parse_s3_timestamp)
        _S3_SESSION = session
    return _S3_SESSION


def _parse_s3_timestamp(value) -> datetime:
    """``2026-11-20T10:00:00.000Z`` → aware UTC datetime; anything else (an HTTP date,
    epoch seconds) as botocore parses it."""
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    from botocore.utils import parse_timestamp

    return parse_timestamp(value)


class Lake:
    """File operations relative to a lake root URL.

    Writes are atomic: a local write goes to a hidden temporary file in the same folder
    and is renamed into place; an S3 write is a single PUT. Readers therefore see the old
    object or the new one, never half of one.

    ``region`` and ``endpoint_url``: of an S3 lake (``Settings.aws_region``,
    ``Settings.aws_endpoint_url``; see :func:`make_filesystem`); ignored for a folder.
    """

    def __init__(self, root_url: str, *, region: str | None = None, endpoint_url: str | None = None):
        self.root_url = root_url.rstrip("/") or root_url
        self.region, self.endpoint_url = region, endpoint_url
        self.fs, self.root = make_filesystem(root_url, region, endpoint_url)
        self.is_s3 = root_url.startswith("s3://")

    def __repr__(self) -> str:
        return f"Lake({self.root_url!r})"

    def other(self, root_url: str) -> Lake:
        """A lake at ``root_url`` on the same S3 connection (region, endpoint) as this one."""
        return Lake(root_url, region=self.region, endpoint_url=self.endpoint_url)

    @property
    def location(self) -> str:
        """The root as a user reads it: ``s3://bucket/prefix`` or an absolute folder path."""
        return f"s3://{self.root}" if self.is_s3 else self.root

    def path(self, key: str) -> str:
        """Filesystem path of ``key`` (bucket/prefix/key on S3)."""
        return posixpath.join(self.root, _check_key(key)) if self.is_s3 else os.path.join(self.root, _check_key(key))

    def url(self, key: str) -> str:
        """Full URL of ``key``: ``s3://bucket/prefix/key`` or an absolute local path."""
        return f"s3://{self.path(key)}" if self.is_s3 else self.path(key)

    def write_bytes(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key`` atomically, replacing any object there; returns the URL.

        Local: the folders below the root are made and entered without following a
        symbolic link (``LakeEntryError`` naming a folder that is one), so a write never
        lands outside the root; a link at ``key`` itself is replaced, never written through.
        """
        path = self.path(key)
        if self.is_s3:
            self.fs.pipe_file(path, data)
            return self.url(key)
        *folders, name = key.split("/")
        os.makedirs(self.root, exist_ok=True)
        dir_fd = self._open_local_folder(folders, make=True)
        # Hidden temporary name: DuckDB/pyarrow/Glue globs skip dot-files.
        tmp = f".{name}.tmp-{uuid.uuid4().hex}"
        try:
            _write_synced(dir_fd, tmp, data, os.O_EXCL)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        finally:
            if _lstat_at(tmp, dir_fd) is not None:
                os.remove(tmp, dir_fd=dir_fd)
            os.close(dir_fd)
        return self.url(key)

    def shown(self, key: str) -> str:
        """``key``'s URL for messages, as listed, without checking it (a key with ``..``
        or a non-UTF-8 name is shown, never opened)."""
        return f"{self.location}/{printable_key(key)}"

    def read_bytes(self, key: str, max_bytes: int | None = None) -> bytes:
        """Bytes of the object at ``key``: ``FileNotFoundError`` when absent,
        ``LakeEntryError`` (key, reason) when it is not read.

        Local: only a regular file inside the root is read. Every folder on the key's path
        and the file itself are opened without following a symbolic link, the file
        without blocking (a FIFO), and ``fstat`` of the open file must say "regular file",
        so an entry swapped for a link or a FIFO after it was listed is refused too.
        ``max_bytes``: an object larger than this is refused (local: its ``fstat`` size and
        the bytes read; S3: a ranged GET of at most ``max_bytes + 1`` bytes).
        """
        if self.is_s3:
            path = self.path(key)
            if max_bytes is None:
                return self.fs.cat_file(path)
            data = self.fs.cat_file(path, start=0, end=max_bytes + 1)
            if len(data) > max_bytes:
                raise LakeEntryError(key, too_large_reason(None, max_bytes))
            return data
        fd = self._open_local_file(_check_key(key))
        with open(fd, "rb", closefd=True) as f:
            size = os.fstat(f.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise LakeEntryError(key, too_large_reason(size, max_bytes))
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:  # it grew after fstat
            raise LakeEntryError(key, too_large_reason(None, max_bytes))
        return data

    def _open_local_file(self, key: str) -> int:
        """A read-only fd of the regular file at ``key``, opened without following links."""
        *folders, name = key.split("/")
        dir_fd = self._open_local_folder(folders)
        try:
            entry = _lstat_at(name, dir_fd)
            if entry is None:
                raise FileNotFoundError(errno.ENOENT, "no such object", self.shown(key))
            reason = _entry_problem(entry, name, dir_fd)
            if reason:  # refused before opening: opening a device can have effects
                raise LakeEntryError(key, reason)
            try:
                fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.EMLINK):  # swapped for a link since the lstat
                    raise LakeEntryError(
                        key, _entry_problem(_lstat_at(name, dir_fd), name, dir_fd) or "a symbolic link: not followed"
                    ) from None
                raise
        finally:
            os.close(dir_fd)
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped for a FIFO or device since the lstat
            os.close(fd)
            raise LakeEntryError(key, _kind_reason(opened.st_mode))
        return fd

    def _open_local_folder(self, folders: list[str], make: bool = False) -> int:
        """fd of the folder ``root/folders...``; each folder below the root is opened (and
        with ``make``, made when absent) without following a symbolic link
        (``LakeEntryError`` naming it when one is). The root itself may be a link: it is
        the user's choice of folder."""
        fd = os.open(self.root, _DIR_FLAGS & ~os.O_NOFOLLOW)
        try:
            for depth, folder in enumerate(folders):
                child = _enter_folder(fd, folder, "/".join(folders[: depth + 1]), make)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    # -- used by the write-audit-publish commit (spotify_assets/lake/publish.py) ------------
    def move_into_place(self, source: str, target: str) -> None:
        """Put the object at ``source`` at ``target``, replacing any object there.

        Locally an atomic rename (``os.replace``; ``source`` is gone afterwards). S3 has no
        rename: a server-side copy (CopyObject), and ``source`` stays until deleted, so a
        repeated call is harmless. ``FileNotFoundError`` when ``source`` is absent.
        """
        src, dst = self.path(source), self.path(target)
        if self.is_s3:
            try:
                self.fs.copy(src, dst)
            except FileNotFoundError:
                raise FileNotFoundError(f"{self.url(source)} is absent") from None
            return
        # Folders entered without following links, as in write_bytes: never outside the root.
        *source_folders, source_name = _check_key(source).split("/")
        *target_folders, target_name = _check_key(target).split("/")
        source_fd = self._open_local_folder(source_folders)
        try:
            target_fd = self._open_local_folder(target_folders, make=True)
            try:
                os.replace(source_name, target_name, src_dir_fd=source_fd, dst_dir_fd=target_fd)
            finally:
                os.close(target_fd)
        except FileNotFoundError:
            raise FileNotFoundError(f"{self.url(source)} is absent") from None
        finally:
            os.close(source_fd)

    def write_staged_bytes(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key`` without a temporary name (a killed write can leave a
        partial file there): for staged files, which nobody reads before a later commit
        record names them. Flushed to disk locally (``fsync``); one PUT on S3. Returns the URL."""
        path = self.path(key)
        if self.is_s3:
            self.fs.pipe_file(path, data)
            return self.url(key)
        *folders, name = _check_key(key).split("/")
        os.makedirs(self.root, exist_ok=True)
        dir_fd = self._open_local_folder(folders, make=True)  # never through a linked folder
        try:
            _write_synced(dir_fd, name, data, os.O_TRUNC)
        finally:
            os.close(dir_fd)
        return self.url(key)

    def delete(self, key: str) -> None:
        """Delete the object at ``key`` (hidden names too); nothing when it is absent."""
        try:
            self.fs.rm_file(self.path(key))
        except FileNotFoundError:
            pass

    def delete_folder(self, prefix: str) -> None:
        """Delete every object below the folder ``prefix`` (hidden names included) and,
        locally, the folder; nothing when it is absent. S3: DeleteObjects in batches."""
        path = self.path(prefix.rstrip("/"))
        try:
            self.fs.rm(path, recursive=True)
        except FileNotFoundError:
            pass

    def child_names(self, prefix: str) -> list[str]:
        """Sorted names directly below the folder ``prefix`` (files and folders, hidden
        names included); ``[]`` when it is absent. S3: ListObjectsV2 with a delimiter."""
        path = self.path(prefix.rstrip("/"))
        if not self.is_s3:
            try:
                return sorted(os.listdir(path))
            except (FileNotFoundError, NotADirectoryError):
                return []
        try:
            entries = self.fs.ls(path, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted({posixpath.basename(p.rstrip("/")) for p in entries} - {""})

    def list_objects(self, prefix: str = "", *, include_unreadable: bool = False) -> list[ObjectInfo]:
        """Every object below the folder ``prefix`` (with or without its trailing ``/``; "" for
        the whole lake), or the one object whose key is ``prefix``, sorted by key, keys
        relative to the lake root. Hidden names (``.`` prefix: temporary files) are left
        out. On S3 this pages through ListObjectsV2 (:meth:`list_page`), so listings of
        more than 1,000 keys are complete.

        Entries that are never read (``ObjectInfo.unreadable``: symbolic links, FIFOs,
        devices, sockets, keys with ``..``/``.``/empty segments or not valid UTF-8) are
        left out unless ``include_unreadable``; symbolic links to folders are never
        followed either way."""
        if not prefix:
            return self.list_page("", max_keys=None, include_unreadable=include_unreadable)[0]
        folder = prefix.rstrip("/")
        below, _ = self.list_page(folder + "/", max_keys=None, include_unreadable=include_unreadable)
        if below or prefix.endswith("/"):
            return below
        return [
            o
            for o in self.list_page(folder, max_keys=None, include_unreadable=include_unreadable)[0]
            if o.key == folder
        ]

    def list_page(
        self,
        prefix: str,
        start_after: str | None = None,
        max_keys: int | None = 1000,
        *,
        include_unreadable: bool = False,
    ) -> tuple[list[ObjectInfo], str | None]:
        """Up to ``max_keys`` (None: all) objects whose keys start with ``prefix`` and sort
        after ``start_after``, in key order, and the key to continue after (``None`` when
        the listing reached the end). Hidden names are left out of the objects but count
        as listed; so do entries that are never read, unless ``include_unreadable``.

        On S3 this is ListObjectsV2 with ``StartAfter`` (pages of at most 1,000 keys), so
        a caller can walk a prefix of any size a bounded number of keys at a time. A local
        folder is walked in full (``lstat`` only, never following a link) and sliced (a
        walk is cheap next to an S3 listing).
        """
        if max_keys is not None and max_keys < 1:
            raise ValueError(f"max_keys={max_keys}: expected at least 1 or None")

        def shown(info: ObjectInfo) -> bool:
            return not posixpath.basename(info.key).startswith(".") and (include_unreadable or info.unreadable is None)

        if not self.is_s3:
            keys_after = [o for o in self._list_local_all(prefix) if start_after is None or o[0] > start_after]
            page = keys_after[:max_keys]
            more = len(keys_after) > len(page)
            return [info for _key, info in page if shown(info)], (page[-1][0] if more else None)
        bucket, _, root_key = self.root.partition("/")
        base = f"{root_key}/" if root_key else ""
        after = start_after
        objects: list[ObjectInfo] = []
        listed = 0
        while max_keys is None or listed < max_keys:
            kwargs = {
                "Bucket": bucket,
                "Prefix": base + prefix,
                "MaxKeys": 1000 if max_keys is None else min(1000, max_keys - listed),
            }
            if after is not None:
                kwargs["StartAfter"] = base + after
            response = self.fs.call_s3("list_objects_v2", **kwargs)
            contents = response.get("Contents", [])
            listed += len(contents)
            for entry in contents:
                key = entry["Key"][len(base) :]
                after = key
                # A key ending in "/" is a folder marker.
                if not key.endswith("/") and shown(info := _s3_object(key, entry)):
                    objects.append(info)
            if not response.get("IsTruncated") or not contents:
                return objects, None
        return objects, after

    def _list_local_all(self, prefix: str) -> list[tuple[str, ObjectInfo]]:
        """``(key, ObjectInfo)`` of every local entry below ``prefix``, hidden and unreadable
        ones included, by key (the key as walked; ``ObjectInfo.key`` is printable)."""
        folder = prefix.rstrip("/") if prefix.endswith("/") or not prefix else posixpath.dirname(prefix)
        folders = [part for part in folder.split("/") if part] if folder else []
        try:
            fd = self._open_local_folder(folders)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except LakeEntryError as err:  # a folder on the prefix's path is a link: listed, never followed
            parent = self._open_local_folder(folders[: err.key.count("/")])
            try:
                name = folders[err.key.count("/")]
                return [(err.key, _local_entry(err.key, _lstat_at(name, parent), name, parent))]
            finally:
                os.close(parent)
        out: list[tuple[str, ObjectInfo]] = []
        try:
            _walk_local(fd, f"{folder}/" if folder else "", prefix, out)
        finally:
            os.close(fd)
        return sorted(out, key=lambda pair: pair[0])


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a FIFO swapped in after the lstat must not wait for a writer.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def too_large_reason(size: int | None, max_bytes: int) -> str:
    """``"<size> bytes, above the limit of <max_bytes> bytes: not read"`` (size None: unknown, more)."""
    found = f"{size:,} bytes" if size is not None else f"more than {max_bytes:,} bytes"
    return f"{found}, above the limit of {max_bytes:,} bytes (SPOTIFY_RAW_MAX_BYTES): not read"


def _kind_reason(mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), f"a file of type {stat.S_IFMT(mode):#o}")
    return f"{kind}, not a regular file: not read"


def _lstat_at(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _entry_problem(entry: os.stat_result, name: str, dir_fd: int) -> str | None:
    """Why a local entry (its ``lstat``) is not read as an object, or None for a regular file."""
    if stat.S_ISREG(entry.st_mode):
        return None
    if stat.S_ISLNK(entry.st_mode):
        try:
            target = repr(printable_key(os.readlink(name, dir_fd=dir_fd)))
        except OSError:
            target = "(unreadable target)"
        return f"a symbolic link to {target}: not followed (the lake reads only regular files inside its root)"
    return _kind_reason(entry.st_mode)


def _enter_folder(dir_fd: int, name: str, key: str, make: bool) -> int:
    """fd of the folder ``name`` in the open folder ``dir_fd`` (with ``make``, made when
    absent), never through a symbolic link: ``LakeEntryError`` naming ``key`` when it is one
    (or another kind of entry); other ``OSError`` as raised."""
    try:
        if make and _lstat_at(name, dir_fd) is None:
            try:
                os.mkdir(name, dir_fd=dir_fd)
            except FileExistsError:  # made meanwhile by another writer
                pass
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as err:
        if err.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise
        entry = _lstat_at(name, dir_fd)
        reason = _entry_problem(entry, name, dir_fd) if entry is not None else None
        if reason is None:
            raise
        raise LakeEntryError(key, reason) from None


def _local_entry(key: str, entry: os.stat_result, name: str, dir_fd: int, problem: str | None = None) -> ObjectInfo:
    info = _local_object(printable_key(key), entry)
    reason = problem or _entry_problem(entry, name, dir_fd)
    return info if reason is None else ObjectInfo(info.key, info.etag, info.last_modified, info.size, reason)


def _walk_local(dir_fd: int, rel: str, prefix: str, out: list[tuple[str, ObjectInfo]]) -> None:
    """Append ``(key, ObjectInfo)`` of the entries below the open folder ``dir_fd`` (at key
    ``rel``) whose keys start with ``prefix``; sub-folders are entered by fd, never
    through a link, and nothing but ``lstat`` is done to an entry."""
    with os.scandir(dir_fd) as entries:
        names = [e.name for e in entries]
    for name in names:
        key = rel + name
        if not (key.startswith(prefix) or prefix.startswith(key + "/")):
            continue
        entry = _lstat_at(name, dir_fd)
        if entry is None:  # deleted since the scan
            continue
        problem = key_problem(key)
        if stat.S_ISDIR(entry.st_mode) and problem is None:
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError:  # swapped for a link, or gone, since the lstat
                entry = _lstat_at(name, dir_fd)
                if entry is not None and not stat.S_ISDIR(entry.st_mode):
                    out.append((key, _local_entry(key, entry, name, dir_fd)))
                continue
            try:
                _walk_local(child, key + "/", prefix, out)
            finally:
                os.close(child)
        elif key.startswith(prefix):
            out.append((key, _local_entry(key, entry, name, dir_fd, problem)))


def _s3_object(key: str, entry: dict) -> ObjectInfo:
    """ObjectInfo of one ``Contents`` entry of ListObjectsV2 (``LastModified`` already a
    datetime); ``unreadable`` for a key that is not a plain path (:func:`key_problem`)."""
    modified = entry.get("LastModified") or datetime.fromtimestamp(0, timezone.utc)
    etag = str(entry.get("ETag") or "").strip('"')
    return ObjectInfo(
        key=printable_key(key),
        etag=etag,
        last_modified=modified.astimezone(timezone.utc),
        size=int(entry.get("Size") or 0),
        unreadable=key_problem(key),
    )


def _local_object(key: str, stat: os.stat_result) -> ObjectInfo:
    """ObjectInfo of a local file: its ETag is ``<size>-<mtime_ns>`` in hex."""
    modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
    return ObjectInfo(
        key=key, etag=f"{stat.st_size:x}-{int(stat.st_mtime * 1e9):x}", last_modified=modified, size=stat.st_size
    )


def _write_synced(dir_fd: int, name: str, data: bytes, flags: int) -> None:
    """Write ``data`` to ``name`` in the folder ``dir_fd`` (never through a link at ``name``)
    and flush it to disk; ``flags``: ``os.O_EXCL`` for a new file, ``os.O_TRUNC`` to overwrite."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | _CLOEXEC | flags, 0o666, dir_fd=dir_fd)
    with open(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
