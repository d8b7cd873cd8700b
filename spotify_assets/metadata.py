"""Materialization metadata the Dagster UI shows for every table: row count, column
schema and a Markdown preview of the first rows."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

PREVIEW_ROWS = 10


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    """The Arrow schema as Dagster's ``TableSchema`` (column names and Arrow type names)."""
    return dg.TableSchema(columns=[dg.TableColumn(name=f.name, type=str(f.type)) for f in schema])


def markdown_preview(table: pa.Table, rows: int = PREVIEW_ROWS) -> str:
    """The first ``rows`` rows as a Markdown table (list cells joined, long cells cut)."""
    head = table.slice(0, rows).to_pylist()
    names = table.column_names
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in head:
        cells = []
        for name in names:
            value = row[name]
            text = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
            text = text.replace("|", "\\|").replace("\n", " ")
            cells.append(text if len(text) <= 60 else text[:57] + "...")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_metadata(table: pa.Table, preview: bool = True) -> dict:
    """``dagster/row_count``, ``dagster/column_schema`` and (unless ``preview`` is false) a
    ``preview`` of the first rows of ``table``."""
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(table.num_rows),
        "dagster/column_schema": column_schema(table.schema),
    }
    if preview:
        metadata["preview"] = dg.MetadataValue.md(markdown_preview(table))
    return metadata
