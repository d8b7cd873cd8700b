"""The lake's tables registered in the AWS Glue Data Catalog by the pipeline itself: each
table created (or updated) from the project's explicit Arrow schema, and the days a run
wrote added as partitions. A day then costs a few API calls instead of a crawl.

AWS Glue APIs used: ``GetDatabase`` / ``CreateDatabase`` (the database is created when
missing), ``GetTable`` / ``CreateTable`` / ``UpdateTable`` (the table's columns follow the
schema), ``BatchCreatePartition`` (100 partitions a call; a partition that already exists
is left as it is, so registering twice changes nothing).

Tables are external Parquet tables at ``<lake>/<table>/`` with one partition key, ``dt``
(``string``, ``YYYY-MM-DD``), each partition at ``<lake>/<table>/dt=<day>/``: the same
layout a crawler would find, with the types the tables are written with instead of
guessed ones. Athena reads Parquet columns by name, so a column added to a schema later
(e.g. the artists' look-up columns) reads as NULL in older partitions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from spotify_assets.vocabulary import PARTITION_COLUMN

__all__ = ["GlueRegistration", "glue_type", "partition_input", "register_tables", "table_input"]

# The one partition key of every table (Glue Column): the day, a string YYYY-MM-DD.
PARTITION_KEY_COLUMN = {"Name": PARTITION_COLUMN, "Type": "string"}
# Glue takes at most 100 PartitionInputs per BatchCreatePartition call.
BATCH_CREATE_PARTITION_LIMIT = 100

_PARQUET_FORMAT = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}
_SIMPLE_TYPES = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.bool_(): "boolean",
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.date32(): "date",
}


def glue_type(arrow_type: pa.DataType) -> str:
    """The Glue (Hive) column type of an Arrow type: ``string``, ``bigint``, ``int``,
    ``boolean``, ``double``, ``date``, ``timestamp`` (any unit and zone: the lake's
    timestamps are UTC instants), ``decimal(p,s)``, ``array<...>``, ``struct<...>``.

    Raises ``ValueError`` naming the type when Glue has no equivalent.
    """
    if arrow_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[arrow_type]
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"array<{glue_type(arrow_type.value_type)}>"
    if pa.types.is_struct(arrow_type):
        return "struct<" + ",".join(f"{f.name}:{glue_type(f.type)}" for f in arrow_type) + ">"
    raise ValueError(f"no Glue column type for the Arrow type {arrow_type}")


def _storage_descriptor(schema: pa.Schema, location: str) -> dict[str, Any]:
    columns = [{"Name": f.name, "Type": glue_type(f.type)} for f in schema]
    return {"Columns": columns, "Location": location, **_PARQUET_FORMAT}


def table_input(name: str, schema: pa.Schema, lake_url: str) -> dict[str, Any]:
    """Glue ``TableInput`` of the lake table ``name`` (``schema`` without ``dt``)."""
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
        "PartitionKeys": [PARTITION_KEY_COLUMN],
        "StorageDescriptor": _storage_descriptor(schema, f"{lake_url.rstrip('/')}/{name}/"),
    }


def partition_input(name: str, schema: pa.Schema, lake_url: str, dt: str) -> dict[str, Any]:
    """Glue ``PartitionInput`` of day ``dt`` (``YYYY-MM-DD``) of the lake table ``name``."""
    location = f"{lake_url.rstrip('/')}/{name}/{PARTITION_COLUMN}={dt}/"
    return {"Values": [dt], "StorageDescriptor": _storage_descriptor(schema, location)}


@dataclass
class GlueRegistration:
    """What :func:`register_tables` did. ``tables_created`` / ``tables_updated``: table
    names; ``partitions_created`` / ``partitions_existing``: ``{table: days}``."""

    database: str
    database_created: bool = False
    tables_created: list[str] = field(default_factory=list)
    tables_updated: list[str] = field(default_factory=list)
    partitions_created: dict[str, list[str]] = field(default_factory=dict)
    partitions_existing: dict[str, list[str]] = field(default_factory=dict)
    api_calls: int = 0


class GlueRegistrationError(RuntimeError):
    """Glue refused a table or a partition; the message names the table, the days and Glue's error."""


def register_tables(
    glue: Any,
    database: str,
    lake_url: str,
    schemas: Mapping[str, pa.Schema],
    days_by_table: Mapping[str, Iterable[str]],
    log: logging.Logger | None = None,
) -> GlueRegistration:
    """Create or update each table of ``schemas`` in Glue ``database`` and add the days of
    ``days_by_table`` (``{table: [YYYY-MM-DD]}``) as its partitions. ``glue``: a boto3 Glue
    client. Idempotent: an existing, matching table and existing partitions are left as
    they are.

    Raises :class:`GlueRegistrationError` when Glue refuses a partition for any reason but
    ``AlreadyExistsException``; ``botocore.exceptions.ClientError`` for other refusals
    (e.g. ``AccessDeniedException`` naming the missing permission).
    """
    log = log or logging.getLogger(__name__)
    done = GlueRegistration(database=database)
    _ensure_database(glue, database, done)
    for name, schema in schemas.items():
        _ensure_table(glue, database, table_input(name, schema, lake_url), done)
        days = sorted(set(days_by_table.get(name, ())))
        inputs = [partition_input(name, schema, lake_url, dt) for dt in days]
        for start in range(0, len(inputs), BATCH_CREATE_PARTITION_LIMIT):
            _create_partitions(glue, database, name, inputs[start : start + BATCH_CREATE_PARTITION_LIMIT], done)
    log.info(
        f"Glue database {database}: tables created {done.tables_created or 'none'}, updated {done.tables_updated or 'none'}; "
        f"{sum(map(len, done.partitions_created.values()))} partition(s) added, "
        f"{sum(map(len, done.partitions_existing.values()))} already there ({done.api_calls} API calls)"
    )
    return done


def _ensure_database(glue: Any, database: str, done: GlueRegistration) -> None:
    done.api_calls += 1
    try:
        glue.get_database(Name=database)
        return
    except glue.exceptions.EntityNotFoundException:
        pass
    done.api_calls += 1
    glue.create_database(DatabaseInput={"Name": database, "Description": "spotify_assets: the lake's tables"})
    done.database_created = True


def _ensure_table(glue: Any, database: str, wanted: dict[str, Any], done: GlueRegistration) -> None:
    name = wanted["Name"]
    done.api_calls += 1
    try:
        current = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        done.api_calls += 1
        glue.create_table(DatabaseName=database, TableInput=wanted)
        done.tables_created.append(name)
        return
    if _table_shape(current) != _table_shape(wanted):
        done.api_calls += 1
        glue.update_table(DatabaseName=database, TableInput=wanted)
        done.tables_updated.append(name)


def _table_shape(table: Mapping[str, Any]) -> tuple:
    """What must match for a table to be left as it is: columns, partition columns, location."""
    descriptor = table.get("StorageDescriptor", {})
    columns = tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns", []))
    partition_columns = tuple((k["Name"], k["Type"]) for k in table.get("PartitionKeys", []))
    return (
        columns,
        partition_columns,
        descriptor.get("Location"),
        descriptor.get("SerdeInfo", {}).get("SerializationLibrary"),
    )


def _create_partitions(
    glue: Any, database: str, name: str, inputs: Sequence[dict[str, Any]], done: GlueRegistration
) -> None:
    done.api_calls += 1
    response = glue.batch_create_partition(DatabaseName=database, TableName=name, PartitionInputList=list(inputs))
    existing, refused = set(), []
    for error in response.get("Errors", []):
        day = (error.get("PartitionValues") or ["?"])[0]
        detail = error.get("ErrorDetail", {})
        if detail.get("ErrorCode") == "AlreadyExistsException":
            existing.add(day)
        else:
            refused.append(f"{day}: {detail.get('ErrorCode')}: {detail.get('ErrorMessage')}")
    if refused:
        raise GlueRegistrationError(
            f"Glue table {database}.{name}: BatchCreatePartition refused {len(refused)} partition(s): {'; '.join(refused)}"
        )
    days = [i["Values"][0] for i in inputs]
    done.partitions_created.setdefault(name, []).extend(d for d in days if d not in existing)
    done.partitions_existing.setdefault(name, []).extend(d for d in days if d in existing)
