"""Running SQL on Amazon Athena over the Glue database the crawler fills (boto3).

AWS Athena APIs used: ``StartQueryExecution`` (query, database, workgroup, result
location), ``GetQueryExecution`` (polled until SUCCEEDED / FAILED / CANCELLED),
``StopQueryExecution`` (on timeout) and ``GetQueryResults`` (paginated, 1,000 rows a page).
Durations are in seconds.

GetQueryResults answers every cell as text; PyAthena's converter (the library's own, not
ours) turns each into the Python value of its column's Athena type, so the same SQL
answers the same types on Athena as on DuckDB: ``date`` → ``datetime.date``,
``timestamp`` → ``datetime.datetime`` (made aware UTC, see :func:`_convert`),
``bigint``/``integer`` → ``int``, ``double`` → ``float``, ``decimal`` → ``Decimal``,
``boolean`` → ``bool``, ``array`` → ``list`` of ``str``, ``varchar`` → ``str``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError
from pyathena.converter import DefaultTypeConverter

from spotify_assets.aws import boto3_session
from spotify_assets.catalog import QueryResult

__all__ = ["AthenaQueryError", "AthenaQueryResult", "run_athena_query", "wait_for_query"]

_LOG = logging.getLogger(__name__)

_TERMINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")
_CONVERTER = DefaultTypeConverter()


class AthenaQueryError(RuntimeError):
    """An Athena query could not be started, FAILED, was CANCELLED, or did not finish in
    time. The message names the query execution id (when there is one) and the reason
    (Athena's ``StateChangeReason`` for a failed query)."""


@dataclass(frozen=True)
class AthenaQueryResult(QueryResult):
    """A :class:`QueryResult` plus Athena's ``query_execution_id`` and the
    ``output_location`` (``s3://...`` of the result CSV, as Athena reports it)."""

    query_execution_id: str = ""
    output_location: str | None = None


def _convert(value: str | None, athena_type: str) -> Any:
    """One GetQueryResults cell (text, None for SQL NULL) as the Python value of its
    column's Athena type (``ColumnInfo.Type``), by PyAthena's ``DefaultTypeConverter``.

    A ``timestamp`` is made aware UTC: the lake stores UTC instants (``added_at`` is
    Parquet ``timestamp[ms, UTC]``), which Athena reads as a zone-less ``timestamp`` of the
    UTC wall clock and DuckDB as ``TIMESTAMP WITH TIME ZONE``; marked UTC, both engines
    answer the same instant. Athena gives an ``array`` column no element type, so its
    elements stay strings (every array column of the tables is an array of ids or genres).
    Raises ``ValueError`` (or PyAthena's ``DataError``) for text that is not of its type.
    """
    converted = _CONVERTER.convert(athena_type.lower(), value)
    if isinstance(converted, datetime) and converted.tzinfo is None:
        return converted.replace(tzinfo=timezone.utc)
    return converted


def wait_for_query(
    athena: Any,
    execution_id: str,
    *,
    timeout_s: float = 300.0,
    poll_interval_s: float = 1.0,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """Poll GetQueryExecution until query ``execution_id`` SUCCEEDED; returns its
    ``QueryExecution`` (StatementType, ResultConfiguration, Status, ...).

    Raises :class:`AthenaQueryError` when it ends FAILED or CANCELLED (with Athena's
    ``StateChangeReason``), or when it is still QUEUED/RUNNING after ``timeout_s``
    seconds – it is then stopped (StopQueryExecution) so it costs nothing more.
    """
    log = log or _LOG
    started = time.monotonic()
    while True:
        execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        status = execution["Status"]
        state = status["State"]
        if state == "SUCCEEDED":
            return execution
        if state in _TERMINAL_STATES:
            reason = (
                status.get("StateChangeReason")
                or status.get("AthenaError", {}).get("ErrorMessage")
                or "no reason given"
            )
            raise AthenaQueryError(f"Athena query {execution_id} {state}: {reason}")
        elapsed = time.monotonic() - started
        if elapsed >= timeout_s:
            try:
                athena.stop_query_execution(QueryExecutionId=execution_id)
            except ClientError as error:  # best effort: report the timeout either way
                log.warning(f"Athena query {execution_id}: StopQueryExecution failed: {error}")
            raise AthenaQueryError(
                f"Athena query {execution_id} still {state} after {elapsed:.1f} s (timeout_s={timeout_s:g}); it was stopped"
            )
        log.debug(f"Athena query {execution_id} is {state} ({elapsed:.1f} s)")
        time.sleep(max(0.0, min(poll_interval_s, timeout_s - elapsed)))


def _read_results(
    athena: Any, execution_id: str, statement_type: str | None, max_rows: int | None
) -> tuple[list[str], list[tuple], int]:
    columns: list[str] = []
    types: list[str] = []
    rows: list[tuple] = []
    total = 0
    first_page = True
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        result_set = page["ResultSet"]
        if first_page:
            info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = [c.get("Label") or c["Name"] for c in info]
            types = [c.get("Type", "varchar") for c in info]
        raw_rows = [[cell.get("VarCharValue") for cell in row.get("Data", [])] for row in result_set.get("Rows", [])]
        # A SELECT's (DML) first row is the header: Athena repeats the column labels there.
        if first_page and statement_type == "DML" and raw_rows and raw_rows[0] == columns:
            raw_rows = raw_rows[1:]
        first_page = False
        for raw in raw_rows:
            total += 1
            if max_rows is None or len(rows) < max_rows:
                rows.append(tuple(_convert(v, t) for v, t in zip(raw, types)))
    return columns, rows, total


def run_athena_query(
    sql: str,
    *,
    database: str,
    workgroup: str = "primary",
    output_location: str | None = None,
    max_rows: int | None = None,
    timeout_s: float = 300.0,
    poll_interval_s: float = 1.0,
    client: Any = None,
    log: logging.Logger | None = None,
) -> AthenaQueryResult:
    """Run ``sql`` on Athena in ``database`` (the Glue database) and return its rows.

    ``workgroup``: Athena workgroup (``ATHENA_WORKGROUP``); ``output_location``:
    ``s3://...`` for the result files (``ATHENA_OUTPUT_URL``; ``None`` leaves it to the
    workgroup's setting). ``max_rows``: keep at most this many rows (all pages are still
    read to count ``total_rows``). ``client``: a boto3 Athena client (default: one from
    the environment, honouring ``AWS_ENDPOINT_URL``).

    Raises :class:`AthenaQueryError` when StartQueryExecution is refused, when the query
    ends FAILED or CANCELLED (message with ``StateChangeReason``), or when it has not
    finished after ``timeout_s`` seconds (it is then stopped with StopQueryExecution).
    ``botocore.exceptions.BotoCoreError`` (no credentials, endpoint unreachable) propagates.
    """
    log = log or _LOG
    if not sql.strip():
        raise AthenaQueryError("empty SQL: nothing to run on Athena")
    if not database:
        raise AthenaQueryError("no Glue database given (GLUE_DATABASE): Athena needs one to resolve table names")
    athena = client or boto3_session().client("athena")
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
        "WorkGroup": workgroup,
    }
    if output_location:
        request["ResultConfiguration"] = {"OutputLocation": output_location}
    try:
        execution_id = athena.start_query_execution(**request)["QueryExecutionId"]
    except ClientError as error:
        raise AthenaQueryError(
            f"Athena refused the query (workgroup {workgroup!r}, database {database!r}): {error}"
        ) from None
    log.info(f"Athena query {execution_id} started (workgroup {workgroup!r}, database {database!r})")
    try:
        execution = wait_for_query(athena, execution_id, timeout_s=timeout_s, poll_interval_s=poll_interval_s, log=log)
        columns, rows, total = _read_results(athena, execution_id, execution.get("StatementType"), max_rows)
    except ClientError as error:
        raise AthenaQueryError(f"Athena query {execution_id}: {error}") from None
    output = execution.get("ResultConfiguration", {}).get("OutputLocation")
    return AthenaQueryResult(
        columns=columns, rows=rows, total_rows=total, query_execution_id=execution_id, output_location=output
    )
