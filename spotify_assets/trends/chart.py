"""A PNG chart of where a playlist's top songs stood over its last snapshots, and the
Markdown that embeds it in Dagster materialization metadata.

Drawn with matplotlib's Agg canvas on a bare ``Figure`` (no pyplot): no GUI backend, no
global figure state, safe in a run worker.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa

from spotify_assets.vocabulary import PARTITION_COLUMN

__all__ = ["CHART_SIZE_PX", "chart_history", "render_position_chart", "markdown_image"]

_FIG_SIZE_IN = (9.0, 4.8)
_DPI = 80
# (width, height) of every PNG rendered here, in pixels.
CHART_SIZE_PX = (int(_FIG_SIZE_IN[0] * _DPI), int(_FIG_SIZE_IN[1] * _DPI))
_MAX_NAME = 34


def chart_history(
    trends: pa.Table | pd.DataFrame, playlist_id: str, dt: str, top_n: int = 10, snapshots: int = 30
) -> tuple[pd.DataFrame, list[str]]:
    """The positions to draw for one playlist: its ``top_n`` songs on ``dt`` across its
    last ``snapshots`` snapshots up to and including ``dt``.

    ``trends``: ``playlist_trends`` rows with a ``dt`` column (the playlist's history).
    Returns ``(history, song_ids)``: ``history`` has columns ``dt`` (str), ``song_id``
    (str), ``position`` (float, NaN where the song was not on that snapshot), one row per
    (snapshot, song); ``song_ids`` are the top songs by position on ``dt``. Both are
    empty when the playlist has no snapshot on ``dt``.
    """
    frame = trends.to_pandas() if isinstance(trends, pa.Table) else trends
    frame = frame[(frame["playlist_id"] == playlist_id) & (frame[PARTITION_COLUMN] <= dt) & frame["position"].notna()]
    today = frame[frame[PARTITION_COLUMN] == dt].sort_values("position")
    song_ids = list(today["song_id"].head(top_n))
    dts = sorted(frame[PARTITION_COLUMN].unique())[-snapshots:]
    grid = pd.MultiIndex.from_product([dts, song_ids], names=[PARTITION_COLUMN, "song_id"]).to_frame(index=False)
    history = grid.merge(frame[[PARTITION_COLUMN, "song_id", "position"]], on=[PARTITION_COLUMN, "song_id"], how="left")
    history["position"] = history["position"].astype("float64")
    return history, song_ids


def render_position_chart(
    history: pa.Table | pd.DataFrame,
    song_ids: Sequence[str] | None = None,
    song_names: Mapping[str, str] | None = None,
    title: str = "",
) -> bytes:
    """PNG bytes (:data:`CHART_SIZE_PX` pixels) of song positions over snapshots.

    ``history``: columns ``dt`` (YYYY-MM-DD str), ``song_id`` (str), ``position``
    (number; null/NaN = not on the playlist that day, drawn as a gap). ``song_ids``: the
    songs to draw, in legend order (default: every song, by best position). ``song_names``:
    legend labels by song id (default: the id). The y axis is inverted (position 1 at the
    top); the x axis is the snapshot date (UTC day), so irregular gaps show as such.
    Raises ``KeyError`` when a column is missing.
    """
    frame = history.to_pandas() if isinstance(history, pa.Table) else history.copy()
    frame = frame[[PARTITION_COLUMN, "song_id", "position"]]
    frame["position"] = pd.to_numeric(frame["position"], errors="coerce").astype("float64")
    if song_ids is None:
        song_ids = list(frame.groupby("song_id")["position"].min().sort_values().index)
    names = song_names or {}
    wide = frame.pivot_table(
        index=PARTITION_COLUMN, columns="song_id", values="position", aggfunc="min", dropna=False
    ).sort_index()
    x = [date.fromisoformat(d) for d in wide.index]

    # Imported here: matplotlib costs seconds to import, and every process that loads
    # the definitions would pay for it.
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIG_SIZE_IN, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.07, 0.14, 0.56, 0.76))  # room on the right for the legend
    for rank, song_id in enumerate(song_ids, start=1):
        y = wide[song_id] if song_id in wide.columns else [float("nan")] * len(x)
        label = _short(names.get(song_id) or song_id)
        ax.plot(x, y, marker="o", markersize=4, linewidth=1.6, label=f"{rank}. {label}")
    positions = frame["position"].dropna()
    lowest = int(positions.max()) if len(positions) else 10
    ax.set_ylim(lowest + 0.5, 0.5)  # inverted: position 1 at the top
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("position")
    ax.set_xlabel("snapshot (UTC day)")
    ax.grid(True, alpha=0.3)
    if x:  # a day either side: room for the markers, and a single snapshot still gets an axis
        ax.set_xlim(min(x) - timedelta(days=1), max(x) + timedelta(days=1))
    locator = mdates.AutoDateLocator(minticks=2, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title(title, fontsize=11, loc="left")
    if song_ids:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, pil_kwargs={"optimize": True})
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str = "chart") -> str:
    """``![alt](data:image/png;base64,...)``: a PNG inline in Markdown metadata."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def _short(text: str) -> str:
    return text if len(text) <= _MAX_NAME else text[: _MAX_NAME - 1] + "…"
