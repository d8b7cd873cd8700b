"""Where the real recorded Spotify API responses live, and how tests skip without them.

The recordings are in ``../shared/spotify-samples/`` beside the repository (see its
MANIFEST.md). They are never copied into this repository.
"""

from pathlib import Path

import pytest

SAMPLES_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "spotify-samples").resolve()


def sample_path(relative: str) -> Path:
    """Path of one recorded file, e.g. ``sample_path("huy-hng/7csrlizJurpn6y0xenTwzu.json")``.

    Skips the calling test (``pytest.skip``) with the reason when the shared folder or the
    file is absent, so the suite still runs on a machine without ``../shared``.
    """
    path = SAMPLES_DIR / relative
    if not path.is_file():
        pytest.skip(
            f"recorded Spotify samples not available: {path} is absent (they live in ../shared/spotify-samples)"
        )
    return path
