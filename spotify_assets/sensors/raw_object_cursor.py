"""Pure logic of ``raw_playlist_sensor`` (no Dagster here): which listed objects are new
since the cursor, which daily partition each belongs to, where a landed object is copied,
the run key of a partition, and the cursor's compact JSON form.

The cursor keeps, per watched zone (the lake's ``raw_playlist/`` and the landing
location), a high-water mark, the digests of the objects near it, and where the rolling
sweep of the zone has got to:

- ``mark``: the greatest ``LastModified`` (UTC) ever listed in the zone;
- ``floor``: every object with a ``LastModified`` at or before it has been handled. It
  moves only when a sweep (a listing of the whole zone, over one tick or several)
  completes: to ``max(min(mark, S) - lag, S - 2 * lag)`` for a sweep started at ``S``;
- ``seen``: a 72-bit digest of ``(key, ETag)`` for every listed object above the floor,
  grouped by the minute of its ``LastModified`` (so that a moving floor can drop them);
- ``sweep_after`` / ``sweep_started``: the last key the sweep in progress has listed and
  when it began (None between sweeps).

An object is new when ``LastModified > floor`` and its ``(key, ETag)`` digest is not in
``seen``. So an object written in the same second as the mark, or one that became visible
up to ``lag`` late (an S3 listing of many pages taking a while, ``LastModified`` being
the start of a PUT, this host's clock a little ahead of S3's), is still found; a
rewritten object (new ETag) counts as new. The floor follows the clock, so ``seen``
holds only the objects written in the last few minutes: the cursor never grows with the
lake. An object that appears with a ``LastModified`` already below the floor (e.g. a
local ``cp -p`` that keeps an old mtime) is not seen: touch it to have it picked up.
A zone whose floor or sweep lies beyond now plus the lag (a clock that jumped back, a
cursor copied from another deployment) would hide everything: it is reset with a
warning (:func:`reset_future_zones`).

Why a sweep may span ticks: listing 10,000 keys takes 10 ListObjectsV2 pages (4 s on
moto's server), too much for every 30-second tick. A tick lists the last days' ``dt=``
folders in full plus the next ``max_keys`` keys of the zone in key order
(``StartAfter``); when the sweep reaches the end, the next tick starts another. An object
written into an old folder behind the sweep's position is above the floor (the floor
only moves to a sweep's *start*) and not in ``seen``, so the next sweep finds it: later,
never missed. A zone that fits in one tick's keys is swept in full on every tick.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cached_property

from spotify_assets.lake.lake import ObjectInfo
from spotify_assets.lake.layout import dt_from_key, raw_partition_prefix

__all__ = [
    "CURSOR_VERSION",
    "DEFAULT_LAG",
    "LANDING_ZONE",
    "RAW_ZONE",
    "CursorError",
    "SensorCursor",
    "ZoneCursor",
    "ZoneOverlapError",
    "advance_zone",
    "check_zones_disjoint",
    "sweep_start",
    "recent_raw_prefixes",
    "reset_future_zones",
    "decode_cursor",
    "encode_cursor",
    "format_utc",
    "landing_copy_key",
    "landing_partition_date",
    "new_objects",
    "object_digest",
    "run_key_for",
]

CURSOR_VERSION = 2
DEFAULT_LAG = timedelta(minutes=5)
RAW_ZONE = "raw"
LANDING_ZONE = "landing"

# A date in a landed object's file name: 2024-05-15 (with any time after it: the seed
# Lambda's str(datetime.now()) "2024-05-15 10:22:33.123456", ISO "2024-05-15T10-22-33"),
# or compact 20240515 / 20240515T102233 standing alone (not inside an id).
_DASHED_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<![0-9A-Za-z])(\d{4})(\d{2})(\d{2})(?:[T_-]?\d{4,6}(?:\.\d+)?Z?)?(?![0-9A-Za-z])")
_UNSAFE_RUN = re.compile(r"[^0-9A-Za-z_-]+")
_SPOTIFY_ID_SHAPE = re.compile(r"[0-9A-Za-z]{22}")
_MAX_STEM = 100


class CursorError(ValueError):
    """A sensor cursor that is not this module's JSON (message says why)."""


class ZoneOverlapError(ValueError):
    """The landing location contains the lake's raw zone or lies inside it."""


@dataclass(frozen=True)
class ZoneCursor:
    """What the sensor remembers of one watched zone.

    ``url``: the zone's root URL when it was listed (a different URL starts afresh);
    ``mark``: greatest ``LastModified`` listed (UTC, None before the first object);
    ``floor``: objects listed at or below it were handled (UTC; None: everything is new);
    ``seen``: ``{minute (UTC epoch seconds, a multiple of 60): digests}`` of the listed
    objects above ``floor`` (:func:`object_digest`), by the minute of their LastModified;
    ``sweep_after``: last key listed by the sweep in progress (None: the next tick starts one);
    ``sweep_started``: when the sweep in progress started (UTC);
    ``swept``: when the last completed sweep started (UTC; None: never).
    """

    url: str
    mark: datetime | None = None
    floor: datetime | None = None
    seen: Mapping[int, frozenset[str]] = field(default_factory=dict)
    sweep_after: str | None = None
    sweep_started: datetime | None = None
    swept: datetime | None = None

    @cached_property
    def seen_digests(self) -> frozenset[str]:
        """Every digest of ``seen``, whatever its minute."""
        return frozenset().union(*self.seen.values())


@dataclass(frozen=True)
class SensorCursor:
    """The cursor: ``{zone name: ZoneCursor}`` for ``"raw"`` and, when set, ``"landing"``."""

    zones: dict[str, ZoneCursor] = field(default_factory=dict)

    def zone(self, name: str, url: str) -> ZoneCursor:
        """The zone's state; an empty one when it is absent or was kept for another URL."""
        found = self.zones.get(name)
        return found if found is not None and found.url == url else ZoneCursor(url=url)


def object_digest(key: str, etag: str) -> str:
    """12-character base64url digest (72 bits of SHA-1) of ``(key, ETag)``."""
    raw = hashlib.sha1(f"{key}\0{etag}".encode()).digest()[:9]
    return base64.urlsafe_b64encode(raw).decode("ascii")


def new_objects(listing: Iterable[ObjectInfo], zone: ZoneCursor) -> list[ObjectInfo]:
    """The objects of ``listing`` not handled by an earlier tick (see the module docstring),
    in listing order."""
    seen = zone.seen_digests
    floor = zone.floor
    return [
        o for o in listing if (floor is None or o.last_modified > floor) and object_digest(o.key, o.etag) not in seen
    ]


def recent_raw_prefixes(today: date, days: int) -> list[str]:
    """``raw_playlist/dt=<day>/`` of ``today`` and the ``days`` days before it, oldest first."""
    return [raw_partition_prefix((today - timedelta(days=n)).isoformat()) for n in range(days, -1, -1)]


def sweep_start(zone: ZoneCursor, now: datetime) -> tuple[str | None, datetime]:
    """``(start_after, started)`` of this tick's sweep listing: where the sweep in progress
    stopped and when it began, or ``(None, now)`` to start a new one."""
    if zone.sweep_after is not None and zone.sweep_started is not None:
        return zone.sweep_after, zone.sweep_started
    return None, now


def reset_future_zones(
    cursor: SensorCursor, now: datetime, lag: timedelta = DEFAULT_LAG
) -> tuple[SensorCursor, list[str]]:
    """``(cursor, warnings)``: every zone whose ``floor``, ``sweep_started`` or ``swept`` is
    later than ``now + lag`` (UTC) replaced by an empty zone, with one warning per zone.

    Such a cursor comes from a clock that jumped back, or was copied from another
    deployment. Kept, its floor would hide every object written until the clock caught
    up: the sensor would say "no new raw objects" for hours or years. Reset, the zone is
    listed as on a first tick; a run already requested for the same objects is not
    requested again (its run key). ``mark`` may be in the future (an object dated ahead
    by a skewed clock or ``touch -d``): it is not a reason to reset.
    """
    limit = now + lag
    zones: dict[str, ZoneCursor] = {}
    warnings: list[str] = []
    for name, zone in cursor.zones.items():
        late = [
            (what, t)
            for what, t in (("floor", zone.floor), ("sweep_started", zone.sweep_started), ("swept", zone.swept))
            if t is not None and t > limit
        ]
        if not late:
            zones[name] = zone
            continue
        what, when = late[0]
        zones[name] = ZoneCursor(url=zone.url)
        warnings.append(
            f"sensor cursor of the {name} zone ({zone.url}) is from the future: its {what} {format_utc(when)} is later "
            f"than now {format_utc(now)} plus the lag ({int(lag.total_seconds())} s). A clock that jumped back, or a "
            "cursor copied from another deployment? It was reset: the zone is looked at as on a first tick, and a run "
            "already requested for the same objects is not requested again (run keys)"
        )
    return SensorCursor(zones=zones), warnings


def _minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60 * 60


def advance_zone(
    url: str,
    listing: Sequence[ObjectInfo],
    previous: ZoneCursor,
    now: datetime,
    lag: timedelta = DEFAULT_LAG,
    *,
    sweep_started: datetime | None = None,
    sweep_after: str | None = None,
) -> ZoneCursor:
    """The zone's state after handling every object of ``listing`` (UTC tick time ``now``).

    ``listing``: every object listed this tick (recent folders and the sweep's keys).
    ``sweep_started``: when the sweep this tick continued began (default ``now``: a sweep
    started this tick, e.g. a whole zone listed at once). ``sweep_after``: the sweep's
    last key when it has more to list (it goes on at the next tick); None when this
    tick's listing reached the end of the zone. Then the floor moves up to it (minus the lag) while ``seen`` drops the
    minutes at or below the new floor. Neither the mark nor the floor ever moves back
    (objects may have been deleted, the clock may be set back).
    """
    same = previous.url == url
    old_floor = previous.floor if same else None
    seen: dict[int, set[str]] = {m: set(d) for m, d in previous.seen.items()} if same else {}
    for o in listing:
        if old_floor is None or o.last_modified > old_floor:
            seen.setdefault(_minute(o.last_modified), set()).add(object_digest(o.key, o.etag))
    marks = [o.last_modified for o in listing] + ([previous.mark] if same and previous.mark else [])
    mark = max(marks) if marks else None
    started = sweep_started or now
    if sweep_after is not None:  # the sweep goes on: nothing may be forgotten yet
        return ZoneCursor(
            url=url,
            mark=mark,
            floor=old_floor,
            seen=_frozen(seen),
            sweep_after=sweep_after,
            sweep_started=started,
            swept=previous.swept if same else None,
        )
    # min(mark, started): an object dated in the future (a skewed clock, `touch -d`) must
    # not lift the floor over objects written until then.
    floors = [started - 2 * lag] + ([min(mark, started) - lag] if mark else []) + ([old_floor] if old_floor else [])
    floor = max(floors)
    kept = {m: d for m, d in seen.items() if m + 60 > floor.timestamp()}  # a minute wholly at or below the floor goes
    return ZoneCursor(url=url, mark=mark, floor=floor, seen=_frozen(kept), swept=started)


def _frozen(seen: Mapping[int, Iterable[str]]) -> dict[int, frozenset[str]]:
    return {m: frozenset(d) for m, d in sorted(seen.items()) if d}


def format_utc(moment: datetime | None) -> str:
    """``2026-11-20T10:00:00.123456Z`` (microseconds dropped when 0); ``"none"`` for None."""
    if moment is None:
        return "none"
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond:06d}Z" if moment.microsecond else f"{text}Z"


def encode_cursor(cursor: SensorCursor) -> str:
    """Compact JSON: ``{"v":2,"zones":{"raw":{"url":..,"mark":..,"floor":..,"seen":{"<minute>":[..]},
    "sweep_after":..,"sweep_started":..,"swept":..},..}}`` (times as ``format_utc`` or null;
    minutes as UTC epoch seconds; digests sorted, so equal states encode equally)."""

    def when(moment: datetime | None) -> str | None:
        return format_utc(moment) if moment else None

    zones = {
        name: {
            "url": z.url,
            "mark": when(z.mark),
            "floor": when(z.floor),
            "seen": {str(m): sorted(d) for m, d in sorted(z.seen.items())},
            "sweep_after": z.sweep_after,
            "sweep_started": when(z.sweep_started),
            "swept": when(z.swept),
        }
        for name, z in sorted(cursor.zones.items())
    }
    return json.dumps({"v": CURSOR_VERSION, "zones": zones}, separators=(",", ":"))


def decode_cursor(text: str | None) -> SensorCursor:
    """The cursor encoded by :func:`encode_cursor`; an empty cursor for None or "".

    A version 1 cursor (one flat ``seen`` list, before rolling sweeps) is read too: its
    digests are kept under the minute of its mark until a sweep moves the floor past it.
    Raises ``CursorError`` naming the reason for anything else (a cursor is never
    silently reset: that would request a run for every partition in the lake).
    """
    if not text:
        return SensorCursor()
    try:
        data = json.loads(text)
    except ValueError as err:
        raise CursorError(f"sensor cursor is not JSON ({err.msg} at char {err.pos})") from None
    if (
        not isinstance(data, dict)
        or data.get("v") not in (1, CURSOR_VERSION)
        or not isinstance(data.get("zones"), dict)
    ):
        raise CursorError(
            f'sensor cursor is not a version {CURSOR_VERSION} cursor {{"v": {CURSOR_VERSION}, "zones": {{...}}}}'
        )
    zones = {}
    for name, z in data["zones"].items():
        try:
            mark, floor = _parse_utc(z["mark"]), _parse_utc(z["floor"])
            if data["v"] == 1:
                anchor = mark or floor or datetime.now(timezone.utc)
                seen = {_minute(anchor): frozenset(str(d) for d in z["seen"])} if z["seen"] else {}
                zones[name] = ZoneCursor(
                    url=str(z["url"]), mark=mark, floor=floor, seen=seen, swept=_parse_utc(z.get("swept"))
                )
                continue
            seen = {int(m): frozenset(str(d) for d in digests) for m, digests in z["seen"].items()}
            after = z["sweep_after"]
            zones[name] = ZoneCursor(
                url=str(z["url"]),
                mark=mark,
                floor=floor,
                seen=seen,
                sweep_after=None if after is None else str(after),
                sweep_started=_parse_utc(z["sweep_started"]),
                swept=_parse_utc(z["swept"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise CursorError(f"sensor cursor zone {name!r} is malformed ({type(err).__name__}: {err})") from None
    return SensorCursor(zones=zones)


def _parse_utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return moment


def _valid_date(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def landing_partition_date(obj: ObjectInfo) -> tuple[str, str]:
    """``(YYYY-MM-DD, how)`` for a landed object; ``how`` is ``"dt= in key"``, ``"name"``
    or ``"last_modified"``.

    Order: a ``dt=`` folder in the key; a date in the file name (``2024-05-15 10:22:33.123456``,
    ``2024-05-15T10-22-33``, ``20240515T102233``, ``20240515``; taken as UTC, as the seed
    Lambda runs in UTC); else the object's ``LastModified`` date in UTC. A name date that is
    not a calendar date (``2024-13-40``) falls through to ``LastModified``.
    """
    dt = dt_from_key(obj.key)
    if dt:
        return dt, "dt= in key"
    name = posixpath.basename(obj.key)
    for pattern in (_DASHED_DATE, _COMPACT_DATE):
        for match in pattern.finditer(name):
            found = _valid_date(*match.groups())
            if found:
                return found, "name"
    return obj.last_modified.astimezone(timezone.utc).date().isoformat(), "last_modified"


def landing_copy_key(landing_key: str, dt: str) -> str:
    """Where a landed object is copied: ``raw_playlist/dt=<dt>/<safe name>.json``.

    The safe name is the file stem with every run of characters outside ``[0-9A-Za-z_-]``
    replaced by ``_`` (at most 100 characters). A short hash of the landing key is added
    (``-<10 hex>``) when the stem had to change, when the object is in a sub-folder of the
    landing location (``a/x.json`` and ``b/x.json`` must not meet), or when the stem looks
    like a Spotify id (22 base-62 characters: our own raw objects are ``<playlist_id>.json``
    and a copy must never replace one).
    """
    name = posixpath.basename(landing_key)
    stem = name[: -len(".json")] if name.lower().endswith(".json") else name
    safe = _UNSAFE_RUN.sub("_", stem).strip("_")[:_MAX_STEM]
    plain = safe == stem and "/" not in landing_key and not _SPOTIFY_ID_SHAPE.fullmatch(stem)
    if not plain:
        safe = f"{safe or 'object'}-{hashlib.sha1(landing_key.encode()).hexdigest()[:10]}"
    return f"{raw_partition_prefix(dt)}{safe}.json"


def run_key_for(dt: str, triggers: Iterable[tuple[str, str, str]]) -> str:
    """``<dt>:<16 hex>``: SHA-1 of the sorted ``(zone, key, ETag)`` of the partition's new
    objects. The same objects give the same run key, so Dagster skips a run it already
    launched for them even when the cursor was lost."""
    lines = sorted("\0".join(t) for t in triggers)
    digest = hashlib.sha1("\n".join(lines).encode()).hexdigest()
    return f"{dt}:{digest[:16]}"


def _fs_path(url: str) -> tuple[str, str]:
    """``(scheme, path/)`` of a lake-style URL for prefix comparison."""
    if url.startswith("s3://"):
        return "s3", url[len("s3://") :].rstrip("/") + "/"
    path = url[len("file://") :] if url.startswith("file://") else url
    return "file", os.path.abspath(os.path.expanduser(path)).rstrip("/") + "/"


def check_zones_disjoint(raw_zone_url: str, landing_url: str) -> None:
    """Raise ``ZoneOverlapError`` when the landing location contains the lake's raw zone
    or lies inside it: the sensor would then list its own copies as landed objects."""
    raw_scheme, raw_path = _fs_path(raw_zone_url)
    landing_scheme, landing_path = _fs_path(landing_url)
    if raw_scheme == landing_scheme and (raw_path.startswith(landing_path) or landing_path.startswith(raw_path)):
        raise ZoneOverlapError(
            f"SPOTIFY_LANDING_URL={landing_url!r} overlaps the lake's raw zone {raw_zone_url!r}: landed objects are "
            "copied into the raw zone, so the landing location must be a separate folder or prefix"
        )
