"""The ``spotify-assets`` command line (console script; entry point ``spotify_assets.cli:main``).

Subcommands:

- ``query "SQL"``: run SQL on the catalog and print an aligned text table – the local
  DuckDB catalog (``SPOTIFY_ASSETS_ENV=local``, default) or Athena (``aws``). The default
  lake and DuckDB file are those of the project root, from any current directory (see
  ``settings.defaults_base``).
- ``authorize``: OAuth once for a Spotify user; prints SPOTIFY_REFRESH_TOKEN once.
- ``doctor``: the effective configuration (secrets masked) and a check of the lake, AWS,
  Spotify (token, each playlist) and the catalog, each problem with what to do.

To add a subcommand, write ``add_<name>_command(subparsers)`` that
adds its parser and sets ``func`` (``args -> exit code``) with ``set_defaults``, and append
it to :data:`SUBCOMMANDS`. Heavy imports (duckdb, boto3) stay inside the commands so that
``--help`` is quick.

Exit codes: 0 success; 1 the catalog could not be reached (settings, DuckDB file, lake,
AWS credentials); 2 the SQL failed (message on stderr, no traceback) or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from spotify_assets.catalog import QueryResult
from spotify_assets.spotify.authorize import add_authorize_command

if TYPE_CHECKING:
    from spotify_assets.settings import Settings

EXIT_OK = 0
EXIT_UNAVAILABLE = 1
EXIT_SQL_ERROR = 2
DEFAULT_MAX_ROWS = 50


def _error(message: str) -> None:
    print(f"spotify-assets: error: {message}", file=sys.stderr)


# ---------------------------------------------------------------------------- output
def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    # One line per row, whatever the value holds.
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def format_table(result: QueryResult) -> str:
    """``result`` as an aligned text table: a header line, a dashed rule, one line per
    row (numbers right-aligned, NULL for SQL NULL), then ``(N rows)``, or
    ``(showing N of M rows; K more not printed, see --max-rows)`` when rows were cut."""
    if not result.columns:
        return "(statement run; it returns no rows)"
    cells = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(result.columns)]
    numeric = [
        bool(result.rows) and all(_is_number(row[i]) or row[i] is None for row in result.rows)
        for i in range(len(widths))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    lines = [line(result.columns), "  ".join("-" * w for w in widths)]
    lines.extend(line(row) for row in cells)
    if result.cut_rows:
        lines.append(
            f"(showing {len(result.rows)} of {result.total_rows} rows; {result.cut_rows} more not printed, see --max-rows)"
        )
    else:
        lines.append(f"({result.total_rows} row{'' if result.total_rows == 1 else 's'})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- query
def _query_duckdb(sql: str, max_rows: int | None, settings: Settings) -> QueryResult | int:
    import duckdb

    from spotify_assets.catalog.duckdb_catalog import CatalogError, connect_listing, run_sql

    try:
        statements = len(duckdb.extract_statements(sql))
    except duckdb.Error as error:
        _error(str(error))
        return EXIT_SQL_ERROR
    if statements != 1:
        _error(
            f"query runs one SQL statement; this SQL holds {statements}: run each with its own `spotify-assets query`"
        )
        return EXIT_SQL_ERROR
    lake_url, duckdb_path = settings.lake_url, settings.duckdb_path
    try:
        con, lake, filled = connect_listing(
            lake_url, duckdb_path, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        )
    except (CatalogError, duckdb.Error, OSError) as error:
        _error(f"cannot open the local catalog (lake {lake_url}, DuckDB file {duckdb_path}): {error}")
        return EXIT_UNAVAILABLE
    if not filled:
        _note_when_the_lake_has_no_tables(settings, lake.location)
    try:
        return run_sql(con, sql, max_rows)
    except duckdb.Error as error:
        _error(str(error))
        return EXIT_SQL_ERROR
    finally:
        con.close()


def _note_when_the_lake_has_no_tables(settings: Settings, location: str) -> None:
    """A note on stderr for a lake where no table of the catalog has a file yet (queries then
    answer 0 rows from empty typed views, which looks like a wrong query), naming the lake
    looked at (``location``) and, for the default, where it comes from."""
    from spotify_assets.settings import Settings, defaults_base

    source = "SPOTIFY_LAKE_URL"
    if settings.lake_url == Settings().lake_url:
        source = f"the default SPOTIFY_LAKE_URL, in {defaults_base()[1]}"
    print(
        f"spotify-assets: note: the lake at {location} ({source}) has no tables yet (every view is empty): "
        "run ./scripts/demo.sh, or materialize the tables (README, Two commands), or set SPOTIFY_LAKE_URL.",
        file=sys.stderr,
    )


def _query_athena(sql: str, max_rows: int | None, timeout_s: float, settings: Settings) -> QueryResult | int:
    from botocore.exceptions import BotoCoreError

    from spotify_assets.aws import aws_client
    from spotify_assets.catalog.athena import AthenaQueryError, run_athena_query

    try:
        return run_athena_query(
            sql,
            database=settings.glue_database,
            workgroup=settings.athena_workgroup,
            output_location=settings.athena_output_url or None,
            max_rows=max_rows,
            timeout_s=timeout_s,
            client=aws_client("athena", settings.aws_region, settings.aws_endpoint_url),
        )
    except AthenaQueryError as error:
        _error(str(error))
        return EXIT_SQL_ERROR
    except BotoCoreError as error:  # no credentials or region, endpoint unreachable
        _error(f"cannot reach Athena: {error}")
        return EXIT_UNAVAILABLE


def _run_query(args: argparse.Namespace) -> int:
    from spotify_assets.settings import Settings

    try:
        settings = Settings.from_env()
    except ValueError as error:
        _error(str(error))
        return EXIT_UNAVAILABLE
    max_rows = args.max_rows or None  # 0: all rows
    if settings.deployment == "aws":
        outcome = _query_athena(args.sql, max_rows, args.timeout_s, settings)
    else:
        outcome = _query_duckdb(args.sql, max_rows, settings)
    if isinstance(outcome, int):
        return outcome
    print(format_table(outcome))
    return EXIT_OK


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all rows) or more, got {value}")
    return value


def add_query_command(subparsers: argparse._SubParsersAction) -> None:
    """``spotify-assets query "SQL" [--max-rows N] [--timeout-s S]``."""
    from spotify_assets.vocabulary import CATALOG_TABLE_NAMES, PARTITION_COLUMN  # the help names every table

    parser = subparsers.add_parser(
        "query",
        help="run SQL on the catalog (DuckDB locally, Athena with SPOTIFY_ASSETS_ENV=aws)",
        description=(
            f"Run one SQL statement on the tables {', '.join(CATALOG_TABLE_NAMES)} ({PARTITION_COLUMN}: VARCHAR YYYY-MM-DD) "
            "and print "
            "the result as a text table. Locally the views come from the DuckDB file SPOTIFY_DUCKDB_PATH, or are "
            "made on the fly from the lake SPOTIFY_LAKE_URL (folder or s3://); their defaults are in the project "
            "root, from any current directory. With SPOTIFY_ASSETS_ENV=aws the SQL runs on Athena (GLUE_DATABASE, "
            "ATHENA_WORKGROUP, ATHENA_OUTPUT_URL)."
        ),
    )
    parser.add_argument("sql", help='the SQL statement, e.g. "select count(*) from songs"')
    parser.add_argument(
        "--max-rows",
        type=_non_negative_int,
        default=DEFAULT_MAX_ROWS,
        help=f"rows to print (default {DEFAULT_MAX_ROWS}; 0 = all)",
    )
    parser.add_argument(
        "--timeout-s", type=float, default=300.0, help="Athena only: seconds to wait for the query (default 300)"
    )
    parser.set_defaults(func=_run_query)


def add_doctor_command(subparsers: argparse._SubParsersAction) -> None:
    """``spotify-assets doctor``: the configuration and a check of each part (spotify_assets.doctor)."""
    parser = subparsers.add_parser(
        "doctor",
        help="print the effective configuration (secrets masked) and check the lake, AWS, Spotify and the catalog",
        description=(
            "Print every setting (secrets masked), then check that the lake can be written, the AWS region and "
            "credentials (on aws or an S3 lake), that a Spotify token can be obtained and each playlist is readable, "
            "and (on aws) the Glue database and Athena's result location. Exits 1 when any check finds a problem."
        ),
    )

    def run(args: argparse.Namespace) -> int:
        from spotify_assets.doctor import run_doctor

        return run_doctor(sys.stdout)

    parser.set_defaults(func=run)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_query_command,
    add_authorize_command,
    add_doctor_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="spotify-assets", description="Tools for the spotify_assets lake and catalog."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in SUBCOMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code
    (argparse exits with 2 itself on bad arguments)."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
