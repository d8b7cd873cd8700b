"""Athena answers the same Python types and values as DuckDB on the same lake.

moto's Athena runs no SQL, so each query is answered once by DuckDB over the four real
Top 50 snapshots; that answer is written out as GetQueryResults would carry it (every cell
as text in Athena's own formats: ``2024-05-15 10:22:33.000`` for a timestamp, ``[a, b]``
for an array, a header row repeating the labels) and queued on moto's Athena server. The
project's Athena client then runs the query against moto over HTTP, and must give back
DuckDB's rows, value for value and type for type.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import requests

from spotify_assets.catalog.athena import _convert, run_athena_query
from spotify_assets.catalog.duckdb_catalog import connect, run_sql
from spotify_assets_tests.support.fixtures.moto import REGION

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
DAY = "2024-05-15"

# DuckDB's type -> (Athena's ColumnInfo.Type for the same column, its text in GetQueryResults).
ATHENA_TYPES = {
    "VARCHAR": ("varchar", str),
    "BIGINT": ("bigint", str),
    "INTEGER": ("integer", str),
    "DOUBLE": ("double", repr),
    "BOOLEAN": ("boolean", lambda v: "true" if v else "false"),
    "DATE": ("date", date.isoformat),
    "TIMESTAMP WITH TIME ZONE": (
        "timestamp",
        lambda v: v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}",
    ),
    "VARCHAR[]": ("array", lambda v: "[" + ", ".join(v) + "]"),
}


def readme_queries() -> list[str]:
    """Every SELECT in the ```sql blocks of the README's "Catalog and SQL" and "Trends"
    sections: the example queries over the catalog's tables."""
    sections = README[README.index("## Catalog and SQL") : README.index("## Backfills")]
    blocks = re.findall(r"```sql\n(.*?)```", sections, flags=re.DOTALL)
    statements = []
    for block in blocks:
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("--")]
        statements += [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    return statements


TABLE_QUERIES = [
    f"SELECT * FROM {table} WHERE dt = '{DAY}' ORDER BY {order} LIMIT 5"
    for table, order in (
        ("songs", "song_id"),
        ("albums", "album_id"),
        ("artists", "artist_id"),
        ("playlist_entries", "position"),
        ("playlist_trends", "playlist_id, song_id"),
        ("artist_daily_share", "artist_id"),
    )
]


@pytest.fixture(scope="module")
def duckdb_answers(top50_lake, tmp_path_factory):
    con = connect(top50_lake.url, str(tmp_path_factory.mktemp("athena-types") / "absent.duckdb"))
    answers = {}
    try:
        for sql in readme_queries() + TABLE_QUERIES:
            result = run_sql(con, sql)
            answers[sql] = (result, [str(column[1]) for column in con.description])
    finally:
        con.close()
    return answers


def _as_get_query_results(columns: list[str], duckdb_types: list[str], rows: list[tuple]) -> dict:
    """The answer as moto's Athena queues it: ColumnInfo with Athena types, rows as text."""
    unknown = [t for t in duckdb_types if t not in ATHENA_TYPES]
    assert not unknown, f"no Athena rendering for DuckDB types {unknown}: add them to ATHENA_TYPES"
    text = [ATHENA_TYPES[t][1] for t in duckdb_types]
    header = {"Data": [{"VarCharValue": name} for name in columns]}
    body = [{"Data": [{} if v is None else {"VarCharValue": fmt(v)} for v, fmt in zip(row, text)]} for row in rows]
    info = [{"Name": c, "Label": c, "Type": ATHENA_TYPES[t][0]} for c, t in zip(columns, duckdb_types)]
    return {"rows": [header, *body], "column_info": info}


def test_every_readme_query_and_every_table_column_answers_duckdbs_types_on_athena(duckdb_answers, aws_env):
    queries = list(duckdb_answers)
    assert len(readme_queries()) >= 9, "the README's example queries were not found"
    payload = {
        "region": REGION,
        "results": [_as_get_query_results(r.columns, types, r.rows) for r, types in duckdb_answers.values()],
    }
    requests.post(f"{aws_env}/moto-api/static/athena/query-results", json=payload, timeout=10).raise_for_status()
    seen_types: set[type] = set()
    for sql in queries:
        expected, _ = duckdb_answers[sql]
        answer = run_athena_query(sql, database="spotify_test", poll_interval_s=0.01)
        assert answer.columns == expected.columns, sql
        assert answer.rows == expected.rows, sql
        for got_row, want_row in zip(answer.rows, expected.rows):
            assert [type(v) for v in got_row] == [type(v) for v in want_row], sql
            seen_types.update(type(v) for v in got_row)
    # The tables' columns cover every type the README promises as typed.
    assert {str, int, bool, date, datetime, list} <= seen_types


def test_a_timestamp_is_the_same_instant_on_both_engines(duckdb_answers):
    result, types = duckdb_answers[TABLE_QUERIES[3]]  # playlist_entries: added_at
    index = result.columns.index("added_at")
    assert types[index] == "TIMESTAMP WITH TIME ZONE"
    value = next(row[index] for row in result.rows if row[index] is not None)
    converted = _convert(ATHENA_TYPES[types[index]][1](value), "timestamp")
    assert converted == value and converted.utcoffset().total_seconds() == 0
