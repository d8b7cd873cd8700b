"""IO manager for the tables: one Parquet file per table and daily partition, written
atomically, read back as one Arrow table over any partition range."""

from __future__ import annotations

import io

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.lake.parquet import DT, parquet_bytes, split_by_partition
from spotify_assets.metadata import table_metadata



class ParquetLakeIOManager(dg.ConfigurableIOManager):
    """Stores ``pyarrow.Table`` outputs at ``<lake>/<asset name>/dt=<partition>/data.parquet``.

    Outputs: a table for one partition may omit ``dt``; an output that spans several
    partitions (a single-run backfill) must carry a string ``dt`` column (YYYY-MM-DD) and
    is split into one file per partition key of the run. Every partition of the run is
    written, empty ones as a 0-row file with the schema, so a re-run replaces a partition
    whole. The ``dt`` column is never written into the files (it is the Hive folder).

    Inputs: the partitions asked for, concatenated, with a ``dt`` string column appended.
    A missing partition file raises ``FileNotFoundError`` naming the key.

    The stock ``UPathIOManager`` rejects outputs spanning several partitions, hence this.
    """

    lake_url: str

    def _lake(self) -> Lake:
        return Lake(self.lake_url)

    def handle_output(self, context: dg.OutputContext, obj: pa.Table) -> None:
        if not isinstance(obj, pa.Table):
            raise TypeError(f"{context.asset_key.to_user_string()}: expected a pyarrow.Table, got {type(obj).__name__}")
        table_name = context.asset_key.path[-1]
        keys = context.asset_partition_keys if context.has_asset_partitions else []
        if not keys:
            raise dg.DagsterInvariantViolationError(f"{table_name}: the Parquet lake IO manager stores daily-partitioned tables only")
        parts = split_by_partition(obj, keys)
        lake = self._lake()
        urls = [lake.write_bytes(table_key(table_name, key), parquet_bytes(part)) for key, part in parts.items()]
        rows_by_dt = {key: part.num_rows for key, part in parts.items()}
        combined = obj.drop_columns([DT]) if DT in obj.column_names else obj
        metadata = table_metadata(combined)
        metadata["path"] = dg.MetadataValue.path(urls[0] if len(urls) == 1 else lake.url(table_name) + "/")
        if len(keys) > 1:
            # The same metadata lands on every partition's materialization, so a row
            # count of the whole range would be wrong for each day: give the split.
            del metadata["dagster/row_count"]
            metadata["run_row_count"] = obj.num_rows
            metadata["rows_by_partition"] = dg.MetadataValue.json(rows_by_dt)
            metadata["partitions_written"] = len(keys)
        context.add_output_metadata(metadata)
        context.log.info(f"{table_name}: wrote {obj.num_rows} rows to {len(urls)} partition file(s) under {lake.url(table_name)}/")

    def load_input(self, context: dg.InputContext) -> pa.Table:
        table_name = context.asset_key.path[-1]
        keys = context.asset_partition_keys if context.has_asset_partitions else []
        lake = self._lake()
        tables = []
        for key in keys:
            path = table_key(table_name, key)
            try:
                data = lake.read_bytes(path)
            except FileNotFoundError:
                raise FileNotFoundError(f"{table_name} partition {key} has not been materialised: {lake.url(path)} is absent") from None
            part = pq.read_table(io.BytesIO(data))
            tables.append(part.append_column(DT, pa.array([key] * part.num_rows, pa.string())))
        if not tables:
            raise FileNotFoundError(f"{table_name}: no partitions requested")
        return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
