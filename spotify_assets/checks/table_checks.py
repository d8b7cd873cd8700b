"""Data-quality checks over the built tables: pure functions over ``pyarrow.Table``s (no
Dagster, no I/O), turned into asset check results by ``spotify_assets.assets.spotify_tables``.

Ids are unique per day, not across days, so when both tables carry the ``dt`` column
(the tables of a run spanning several partitions) keys and references are scoped by it.
Every check returns a :class:`CheckOutcome` whose description names the offending
values (at most :data:`MAX_EXAMPLES` of them) and whose metadata holds the counts; a
failed key or reference check on tables with ``dt`` also names the failing days
(:data:`FAILED_PARTITIONS`), so that only those days are withheld from publishing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from spotify_assets.vocabulary import PARTITION_COLUMN

__all__ = [
    "CheckOutcome",
    "FAILED_PARTITIONS",
    "MAX_EXAMPLES",
    "ROW_COUNT_MIN_RATIO",
    "combine",
    "keys_unique_and_not_null",
    "references_exist",
    "row_count_drop",
    "row_counts_by_partition",
]

MAX_EXAMPLES = 5
# A partition with fewer than half the rows of the previous one is worth a look (a
# playlist that failed or was emptied), but may be legitimate: WARN, not ERROR.
ROW_COUNT_MIN_RATIO = 0.5
# Metadata key of a failed key or reference check on tables with ``dt``: the sorted
# partition keys (YYYY-MM-DD) holding an offending row; write-audit-publish withholds them.
FAILED_PARTITIONS = "failed_partitions"
_SEP = "\x1f"  # joins dt and an id into one key; never in a date or a base-62 id


@dataclass(frozen=True)
class CheckOutcome:
    """Result of one check: ``passed``, a one-line ``description`` naming what failed, and
    JSON-able ``metadata`` (counts, examples)."""

    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def combine(outcomes: Iterable[CheckOutcome]) -> CheckOutcome:
    """One outcome for several: passed when all passed; descriptions joined by ``"; "``
    (only the failing ones when any failed); metadata merged, :data:`FAILED_PARTITIONS`
    as the union of the outcomes' failed days."""
    outcomes = list(outcomes)
    failing = [o for o in outcomes if not o.passed]
    shown = failing or outcomes
    metadata: dict = {}
    for outcome in outcomes:
        metadata.update(outcome.metadata)
    failed = sorted({dt for o in outcomes for dt in o.metadata.get(FAILED_PARTITIONS, [])})
    if failed:
        metadata[FAILED_PARTITIONS] = failed
    return CheckOutcome(passed=not failing, description="; ".join(o.description for o in shown), metadata=metadata)


def keys_unique_and_not_null(table: pa.Table, key_columns: Sequence[str], table_name: str) -> CheckOutcome:
    """No null in any of ``key_columns`` and no two rows with the same key (per ``dt`` when
    the table has that column).

    Metadata: ``null_keys`` (rows with a null key column), ``duplicate_keys`` (distinct
    keys held by more than one row), and on failure with ``dt``: ``failed_partitions``
    (sorted days with a null or duplicate key). Raises ``KeyError`` for a missing column.
    """
    key = ", ".join(key_columns)
    nulls = {column: table.column(column).null_count for column in key_columns}
    scope = [PARTITION_COLUMN] if PARTITION_COLUMN in table.column_names and PARTITION_COLUMN not in key_columns else []
    columns = [*scope, *key_columns]
    complete = table.select(columns)
    for column in key_columns:
        if nulls[column]:
            complete = complete.filter(pc.is_valid(complete.column(column)))
    counts = complete.group_by(columns).aggregate([([], "count_all")])
    duplicates = counts.filter(pc.greater(counts.column("count_all"), 1))
    null_rows = sum(nulls.values())
    problems = []
    if null_rows:
        problems.append(f"null {', '.join(c for c, n in nulls.items() if n)} in {null_rows} row(s)")
    if duplicates.num_rows:
        examples = [
            _format_key(row, columns) + f" ({row['count_all']} rows)"
            for row in duplicates.slice(0, MAX_EXAMPLES).to_pylist()
        ]
        problems.append(f"{duplicates.num_rows} duplicate key(s), e.g. " + ", ".join(examples))
    metadata = {"null_keys": null_rows, "duplicate_keys": duplicates.num_rows, "rows": table.num_rows}
    if not problems:
        return CheckOutcome(True, f"{table_name}: ({key}) unique and not null in {table.num_rows} rows", metadata)
    if scope:
        null_rows_dt = (
            table.column(PARTITION_COLUMN).filter(_any_null(table, key_columns))
            if null_rows
            else pa.array([], pa.string())
        )
        metadata[FAILED_PARTITIONS] = _sorted_unique([null_rows_dt, duplicates.column(PARTITION_COLUMN)])
    return CheckOutcome(False, f"{table_name}: ({key}) " + " and ".join(problems), metadata)


def references_exist(
    child: pa.Table,
    child_column: str,
    parent: pa.Table,
    parent_column: str,
    child_name: str,
    parent_name: str,
) -> CheckOutcome:
    """Every non-null ``child[child_column]`` value (each element when it is a list column)
    exists in ``parent[parent_column]`` (on the same ``dt`` when both tables have it).

    Metadata: ``orphans_<child_name>_<child_column>`` = distinct missing references, and on
    failure with ``dt``: ``failed_partitions`` (sorted days with a missing reference).
    """
    scoped = PARTITION_COLUMN in child.column_names and PARTITION_COLUMN in parent.column_names
    values = child.column(child_column).combine_chunks()
    dts = child.column(PARTITION_COLUMN).combine_chunks() if scoped else None
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        parents = pc.list_parent_indices(values)
        values = pc.list_flatten(values)
        dts = dts.take(parents) if scoped else None
    valid = pc.is_valid(values)
    values = values.filter(valid)
    dts = dts.filter(valid) if scoped else None
    child_keys = _scoped(values, dts)
    parent_keys = _scoped(
        parent.column(parent_column).combine_chunks(),
        parent.column(PARTITION_COLUMN).combine_chunks() if scoped else None,
    )
    missing = pc.unique(child_keys.filter(pc.invert(pc.is_in(child_keys, value_set=parent_keys))))
    name = f"{child_name}.{child_column} → {parent_name}.{parent_column}"
    metadata = {f"orphans_{child_name}_{child_column}": len(missing)}
    if not len(missing):
        return CheckOutcome(True, f"{name}: all {len(child_keys)} reference(s) found", metadata)
    examples = [_format_scoped(k) for k in missing.slice(0, MAX_EXAMPLES).to_pylist()]
    if scoped:
        metadata[FAILED_PARTITIONS] = sorted({k.split(_SEP, 1)[0] for k in missing.to_pylist()})
    return CheckOutcome(False, f"{name}: {len(missing)} id(s) not found, e.g. {', '.join(examples)}", metadata)


def row_counts_by_partition(table: pa.Table, partition_keys: Sequence[str]) -> dict[str, int]:
    """``{dt: rows}`` for every key of ``partition_keys`` (0 when absent). A table without a
    ``dt`` column counts as the single key's rows."""
    if PARTITION_COLUMN not in table.column_names:
        if len(partition_keys) != 1:
            raise ValueError(f"a table spanning {len(partition_keys)} partitions needs a '{PARTITION_COLUMN}' column")
        return {partition_keys[0]: table.num_rows}
    counts = {key: 0 for key in partition_keys}
    for entry in pc.value_counts(table.column(PARTITION_COLUMN)).to_pylist():
        counts[entry["values"]] = entry["counts"]
    return counts


def row_count_drop(
    table_name: str,
    current: Mapping[str, int],
    previous: Mapping[str, tuple[str, int] | None],
    min_ratio: float = ROW_COUNT_MIN_RATIO,
) -> CheckOutcome:
    """Fails when a partition has fewer than ``min_ratio`` × the rows of its previous one.

    ``current``: ``{dt: rows}``; ``previous``: ``{dt: (previous dt, its rows) or None}``;
    None (no previous partition known) or 0 previous rows is tolerated.
    Metadata: ``row_count_drops`` = ``{dt: {"rows", "previous_dt", "previous_rows"}}``.
    """
    drops = {}
    compared = 0
    for dt, rows in current.items():
        before = previous.get(dt)
        if before is None or before[1] <= 0:
            continue
        compared += 1
        if rows < min_ratio * before[1]:
            drops[dt] = {"rows": rows, "previous_dt": before[0], "previous_rows": before[1]}
    metadata = {"row_count_drops": drops, "min_ratio": min_ratio, "partitions_compared": compared}
    if not drops:
        if not compared:
            return CheckOutcome(True, f"{table_name}: no previous partition to compare with", metadata)
        return CheckOutcome(
            True, f"{table_name}: no partition below {min_ratio:.0%} of the previous one's rows", metadata
        )
    parts = [
        f"{dt}: {d['rows']} rows, {1 - d['rows'] / d['previous_rows']:.0%} fewer than {d['previous_rows']} on {d['previous_dt']}"
        for dt, d in drops.items()
    ]
    return CheckOutcome(False, f"{table_name}: row count dropped sharply ({'; '.join(parts)})", metadata)


def _any_null(table: pa.Table, columns: Sequence[str]) -> pa.ChunkedArray:
    """True for each row with a null in any of ``columns``."""
    mask = pc.is_null(table.column(columns[0]))
    for column in columns[1:]:
        mask = pc.or_(mask, pc.is_null(table.column(column)))
    return mask


def _sorted_unique(arrays: list) -> list[str]:
    return sorted({value for array in arrays for value in array.to_pylist() if value is not None})


def _scoped(values: pa.Array, dts: pa.Array | None) -> pa.Array:
    values = values.cast(pa.string())
    if dts is None:
        return values
    return pc.binary_join_element_wise(dts.cast(pa.string()), values, _SEP)


def _format_scoped(key: str) -> str:
    if _SEP in key:
        dt, value = key.split(_SEP, 1)
        return f"{value!r} (dt={dt})"
    return repr(key)


def _format_key(row: dict, columns: Sequence[str]) -> str:
    parts = [f"{c}={row[c]!r}" for c in columns if c != PARTITION_COLUMN]
    text = "(" + ", ".join(parts) + ")"
    return text + (f" on dt={row[PARTITION_COLUMN]}" if PARTITION_COLUMN in row else "")
