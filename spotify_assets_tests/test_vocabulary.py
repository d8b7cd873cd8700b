"""The lake's vocabulary (``spotify_assets.vocabulary``): its names are the lake's facts, the
code location ships exactly its assets and checks, no module of the package defines one of
its names a second time, and every text that lists the catalog's tables (the catalog asset's
description, ``spotify-assets query --help``, the README) names exactly those tables."""

import ast
import re
from pathlib import Path

import pytest

from spotify_assets import vocabulary
from spotify_assets.assets.catalog import build_catalog_asset
from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.assets.trends import artist_daily_share, playlist_trends
from spotify_assets.catalog.catalog_schemas import CATALOG_SCHEMAS
from spotify_assets.cli import main
from spotify_assets.lake.layout import raw_key, table_key
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES

PACKAGE = Path(vocabulary.__file__).parent
README = (PACKAGE.parent / "README.md").read_text()


def test_the_names_are_the_lakes_facts():
    assert vocabulary.PARTITION_COLUMN == "dt"
    assert vocabulary.SPOTIFY_TABLE_NAMES == ("songs", "albums", "artists", "playlist_entries")
    assert (vocabulary.SONGS, vocabulary.ALBUMS, vocabulary.ARTISTS, vocabulary.PLAYLIST_ENTRIES) == (
        "songs",
        "albums",
        "artists",
        "playlist_entries",
    )
    assert (vocabulary.PLAYLIST_TRENDS, vocabulary.ARTIST_DAILY_SHARE) == ("playlist_trends", "artist_daily_share")
    assert CATALOG_TABLE_NAMES == tuple(CATALOG_SCHEMAS)  # the names come from the schemas
    assert len(CATALOG_TABLE_NAMES) == 6
    assert vocabulary.RAW_PREFIX == "raw_playlist/"
    assert raw_key("2024-05-15", "37i9dQZF1DXcBWIGoYBM5M") == "raw_playlist/dt=2024-05-15/37i9dQZF1DXcBWIGoYBM5M.json"
    assert table_key(vocabulary.SONGS, "2024-05-15") == "songs/dt=2024-05-15/data.parquet"


def test_the_assets_and_checks_are_the_vocabularys():
    assets = [raw_playlist, spotify_tables, playlist_trends, artist_daily_share, build_catalog_asset("local")]
    keys = [asset_key.to_user_string() for asset in assets for asset_key in asset.keys]
    assert sorted(keys) == sorted(vocabulary.ASSET_NAMES)
    assert spotify_tables.op.name == vocabulary.SPOTIFY_TABLES
    assert {asset.group_names_by_key[k] for asset in assets for k in asset.keys} == {vocabulary.ASSET_GROUP}
    checks = {(k.asset_key.to_user_string(), k.name) for asset in assets for k in asset.check_keys}
    assert {name for _, name in checks} == set(vocabulary.CHECK_NAMES)
    assert (vocabulary.PLAYLIST_ENTRIES, vocabulary.RAW_OBJECTS_VALID) in checks
    for table in vocabulary.SPOTIFY_TABLE_NAMES:
        assert (table, vocabulary.KEY_UNIQUE_NOT_NULL) in checks
        assert (table, vocabulary.ROW_COUNT_NO_SHARP_DROP) in checks


# A string of the vocabulary written again in the package: allowed only where it means
# something else (a Spotify JSON field, a resource key, a section of the doctor's report).
OTHER_MEANINGS = {
    ("spotify/schemas.py", "*"),  # the table names' one definition (the schemas' keys)
    ("trends/trend_schemas.py", "*"),
    ("vocabulary.py", "*"),
    ("spotify/client.py", "albums"),  # Spotify endpoints GET /albums, GET /artists
    ("spotify/client.py", "artists"),
    ("spotify/lookups.py", "albums"),  # the look-up kinds, named after those endpoints
    ("spotify/lookups.py", "artists"),
    ("spotify/raw_parsing.py", "albums"),
    ("spotify/raw_parsing.py", "artists"),
    ("spotify/field_checks.py", "artists"),  # the track's and album's JSON field
    ("spotify/daily_tables.py", "artists"),
    ("spotify/offline_sample.py", "artists"),  # the track JSON field, and the invented catalogue's list
    ("definitions.py", "catalog"),  # the resource key the catalog asset's parameter names
    ("doctor.py", "catalog"),  # the doctor's section about the catalog
}


def _strings_in_code(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, value)`` of every string constant that is not a docstring."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_module_defines_a_name_of_the_vocabulary_again():
    words = {
        vocabulary.PARTITION_COLUMN,
        vocabulary.RAW_PREFIX,
        vocabulary.RAW_PREFIX.rstrip("/"),
        vocabulary.CATALOG,
        vocabulary.SPOTIFY_TABLES,
        *vocabulary.ASSET_NAMES,
        *vocabulary.CHECK_NAMES,
    }
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if (module, "*") in OTHER_MEANINGS:
            continue
        for line, value in _strings_in_code(ast.parse(path.read_text())):
            if value in words and (module, value) not in OTHER_MEANINGS:
                found.append(f"{module}:{line}: {value!r}")
    assert found == [], "import these names from spotify_assets.vocabulary instead"


_NAME = r"`?[a-z][a-z0-9_]*`?"
# Two or more names joined by commas and/or "and" (Markdown backticks allowed), e.g.
# "`songs`, `albums` and `artists`"; newlines between them allowed (wrapped help text).
_ENUMERATION = re.compile(rf"{_NAME}(?:\s*,\s*(?:and\s+)?{_NAME}|\s+and\s+{_NAME})+")


def table_lists(text: str) -> list[list[str]]:
    """Every enumeration of names in ``text`` that names at least one catalog table."""
    lists = [[name.strip("`") for name in re.findall(_NAME, m.group(0))] for m in _ENUMERATION.finditer(text)]
    return [[n for n in names if n != "and"] for names in lists if set(names) & set(CATALOG_TABLE_NAMES)]


def assert_names_the_catalogs_tables(text: str, where: str) -> None:
    lists = table_lists(text)
    assert lists, f"{where} lists no table"
    for names in lists:
        assert names == list(CATALOG_TABLE_NAMES), f"{where} lists {names}, not the catalog's tables"
    counted = re.findall(r"\b(two|three|four|five|six|seven|eight) (?:[a-z]+ )?tables\b", text)
    assert set(counted) <= {"six"}, f"{where} speaks of {counted} tables"


def test_table_lists_are_found_in_prose_and_in_markdown():
    assert table_lists("views `songs`, `albums` and `artists` in") == [["songs", "albums", "artists"]]
    assert table_lists("the tables songs,\n  albums, raw_playlist (dt") == [["songs", "albums", "raw_playlist"]]
    assert table_lists("select count(*) from songs; a, b and c") == []


@pytest.mark.parametrize("deployment", ["local", "aws"])
def test_the_catalog_assets_description_names_every_table(deployment):
    (spec,) = build_catalog_asset(deployment).specs
    assert_names_the_catalogs_tables(spec.description, f"the {deployment} catalog asset's description")


def test_query_help_names_every_table(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["query", "--help"])
    assert exited.value.code == 0
    assert_names_the_catalogs_tables(capsys.readouterr().out, "spotify-assets query --help")


def test_the_readmes_catalog_section_names_every_table():
    section = re.search(r"^## Catalog and SQL\n(.*?)^## ", README, flags=re.MULTILINE | re.DOTALL).group(1)
    assert_names_the_catalogs_tables(section, "the README's 'Catalog and SQL' section")
