"""The lake: one root URL (a local folder or ``s3://bucket/prefix``) and the few file
operations the project needs, on fsspec (s3fs for S3, the local filesystem otherwise).
"""

from __future__ import annotations

import os
import posixpath
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import fsspec


class LakePathError(ValueError):
    """A key that would leave the lake root (``..``, absolute paths, empty parts)."""


@dataclass(frozen=True)
class ObjectInfo:
    """One object found by :meth:`Lake.list_objects`.

    ``key`` is relative to the listed root (no leading ``/``); ``etag`` is S3's ETag
    without quotes, or ``<size>-<mtime_ns>`` in hex for local files; ``last_modified``
    is timezone-aware UTC; ``size`` in bytes.
    """

    key: str
    etag: str
    last_modified: datetime
    size: int


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise LakePathError(f"key {key!r} is not a plain relative path inside the lake root")
    return key


def make_filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """``(filesystem, root path)`` for a folder path, ``file://`` URL or ``s3://`` URL.

    S3 uses ``AWS_ENDPOINT_URL`` when set (MinIO, moto, LocalStack). Listing caches are
    off: the sensor must see objects written a moment ago. The S3 client itself is reused
    (fsspec's instance cache, keyed by these arguments): creating one costs up to a second.
    """
    if url.startswith("s3://"):
        import s3fs

        endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
        fs = s3fs.S3FileSystem(endpoint_url=endpoint, use_listings_cache=False, session=_s3_session())
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
    """

    def __init__(self, root_url: str):
        self.root_url = root_url.rstrip("/") or root_url
        self.fs, self.root = make_filesystem(root_url)
        self.is_s3 = root_url.startswith("s3://")

    def __repr__(self) -> str:
        return f"Lake({self.root_url!r})"

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
        """Write ``data`` at ``key`` atomically, replacing any object there; returns the URL."""
        path = self.path(key)
        if self.is_s3:
            self.fs.pipe_file(path, data)
        else:
            folder, name = os.path.split(path)
            os.makedirs(folder, exist_ok=True)
            # Hidden temporary name: DuckDB/pyarrow/Glue globs skip dot-files.
            tmp = os.path.join(folder, f".{name}.tmp-{uuid.uuid4().hex}")
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
        return self.url(key)

    def read_bytes(self, key: str) -> bytes:
        """Bytes of the object at ``key``; ``FileNotFoundError`` when absent."""
        return self.fs.cat_file(self.path(key))

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
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(src, dst)

    def write_staged_bytes(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key`` without a temporary name (a killed write can leave a
        partial file there): for staged files, which nobody reads before a later commit
        record names them. Flushed to disk locally (``fsync``); one PUT on S3. Returns the URL."""
        path = self.path(key)
        if self.is_s3:
            self.fs.pipe_file(path, data)
            return self.url(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
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

    def list_objects(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object below the folder ``prefix`` (with or without its trailing ``/``; "" for
        the whole lake), or the one object whose key is ``prefix``, sorted by key, keys
        relative to the lake root. Hidden names (``.`` prefix: temporary files) are left
        out. On S3 this pages through ListObjectsV2 (:meth:`list_page`), so listings of
        more than 1,000 keys are complete."""
        if not prefix:
            return self.list_page("", max_keys=None)[0]
        folder = prefix.rstrip("/")
        below, _ = self.list_page(folder + "/", max_keys=None)
        if below or prefix.endswith("/"):
            return below
        return [o for o in self.list_page(folder, max_keys=None)[0] if o.key == folder]

    def list_page(
        self, prefix: str, start_after: str | None = None, max_keys: int | None = 1000
    ) -> tuple[list[ObjectInfo], str | None]:
        """Up to ``max_keys`` (None: all) objects whose keys start with ``prefix`` and sort
        after ``start_after``, in key order, and the key to continue after (``None`` when
        the listing reached the end). Hidden names are left out of the objects but count
        as listed.

        On S3 this is ListObjectsV2 with ``StartAfter`` (pages of at most 1,000 keys), so
        a caller can walk a prefix of any size a bounded number of keys at a time. A local
        folder is walked in full and sliced (a walk is cheap next to an S3 listing).
        """
        if max_keys is not None and max_keys < 1:
            raise ValueError(f"max_keys={max_keys}: expected at least 1 or None")
        if not self.is_s3:
            keys_after = [o for o in self._list_local_all(prefix) if start_after is None or o[0] > start_after]
            page = keys_after[:max_keys]
            more = len(keys_after) > len(page)
            objects = [info for key, info in page if not posixpath.basename(key).startswith(".")]
            return objects, (page[-1][0] if more else None)
        bucket, _, root_key = self.root.partition("/")
        base = f"{root_key}/" if root_key else ""
        after = start_after
        objects: list[ObjectInfo] = []
        listed = 0
        while max_keys is None or listed < max_keys:
            kwargs = {"Bucket": bucket, "Prefix": base + prefix, "MaxKeys": 1000 if max_keys is None else min(1000, max_keys - listed)}
            if after is not None:
                kwargs["StartAfter"] = base + after
            response = self.fs.call_s3("list_objects_v2", **kwargs)
            contents = response.get("Contents", [])
            listed += len(contents)
            for entry in contents:
                key = entry["Key"][len(base) :]
                after = key
                # Hidden names are temporary files; a key ending in "/" is a folder marker.
                if not posixpath.basename(key).startswith(".") and not key.endswith("/"):
                    objects.append(_s3_object(key, entry))
            if not response.get("IsTruncated") or not contents:
                return objects, None
        return objects, after

    def _list_local_all(self, prefix: str) -> list[tuple[str, ObjectInfo]]:
        """``(key, ObjectInfo)`` of every local file below ``prefix``, hidden ones included, by key."""
        base = self.path(prefix.rstrip("/")) if prefix.rstrip("/") else self.root
        folder = base if prefix.endswith("/") or not prefix else os.path.dirname(base)
        out = []
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, self.root).replace(os.sep, "/")
                if not key.startswith(prefix):
                    continue
                out.append((key, _local_object(key, os.stat(path))))
        return sorted(out, key=lambda pair: pair[0])


def _s3_object(key: str, entry: dict) -> ObjectInfo:
    """ObjectInfo of one ``Contents`` entry of ListObjectsV2 (``LastModified`` already a datetime)."""
    modified = entry.get("LastModified") or datetime.fromtimestamp(0, timezone.utc)
    etag = str(entry.get("ETag") or "").strip('"')
    return ObjectInfo(key=key, etag=etag, last_modified=modified.astimezone(timezone.utc), size=int(entry.get("Size") or 0))


def _local_object(key: str, stat: os.stat_result) -> ObjectInfo:
    """ObjectInfo of a local file: its ETag is ``<size>-<mtime_ns>`` in hex."""
    modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
    return ObjectInfo(key=key, etag=f"{stat.st_size:x}-{int(stat.st_mtime * 1e9):x}", last_modified=modified, size=stat.st_size)
