"""IO manager for the tables: one Parquet file per table and daily partition, published
as one commit (``spotify_assets.lake.publish``), read back as one Arrow table over any
partition range."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.lake.parquet import read_parquet_bytes, split_by_partition
from spotify_assets.lake.publish import PublishedTable, publish, recover_pending
from spotify_assets.metadata import table_metadata
from spotify_assets.vocabulary import PARTITION_COLUMN


class ParquetLakeIOManager(dg.ConfigurableIOManager):
    """Stores ``pyarrow.Table`` outputs at ``<lake>/<asset name>/dt=<partition>/data.parquet``.

    Outputs: a table for one partition may omit ``dt``; an output that spans several
    partitions (a single-run backfill) must carry a string ``dt`` column (YYYY-MM-DD) and
    is split into one file per partition key of the run. Every partition of the run is
    written, empty ones as a 0-row file with the schema, so a re-run replaces a partition
    whole; all of them in one commit (:func:`~spotify_assets.lake.publish.publish`). The
    ``dt`` column is never written into the files (it is the Hive folder). A
    :class:`~spotify_assets.lake.publish.PublishedTable` (the tables asset, which
    publishes its four tables together after auditing them) is not written again: only
    its metadata is recorded.

    Metadata of one partition: ``dagster/row_count``, ``dagster/column_schema``, a
    ``preview`` and the file's ``path``. Of several: each day's materialization gets its own
    ``dagster/row_count``, and all of them the schema, the folder, ``run_row_count`` and
    ``partitions_written`` (Dagster copies output metadata onto every day's event, one
    SQLite write each: nothing there grows with the range).

    Inputs: the partitions asked for, concatenated, with a ``dt`` string column appended,
    after completing any commit a killed write left pending. A missing partition file
    raises ``FileNotFoundError`` naming the key.

    The stock ``UPathIOManager`` rejects outputs spanning several partitions, hence this.
    """

    lake_url: str
    aws_region: str | None = None  # of an S3 lake (Settings.aws_region); None: botocore's chain
    aws_endpoint_url: str | None = None

    def _lake(self) -> Lake:
        return Lake(self.lake_url, region=self.aws_region, endpoint_url=self.aws_endpoint_url)

    def handle_output(self, context: dg.OutputContext, obj: pa.Table | PublishedTable) -> None:
        table_name = context.asset_key.path[-1]
        partition_keys = context.asset_partition_keys if context.has_asset_partitions else []
        if not partition_keys:
            raise dg.DagsterInvariantViolationError(
                f"{table_name}: the Parquet lake IO manager stores daily-partitioned tables only"
            )
        lake = self._lake()
        if isinstance(obj, PublishedTable):
            if lake.other(obj.lake_url).location != lake.location:
                raise dg.DagsterInvariantViolationError(
                    f"{table_name} was published to {obj.lake_url}, but this IO manager reads {self.lake_url}: give both the same lake URL"
                )
            parts, versions, obj = obj.days, obj.versions, obj.table
        elif isinstance(obj, pa.Table):
            parts = split_by_partition(obj, partition_keys)
            versions = publish(lake, {partition_key: {table_name: part} for partition_key, part in parts.items()})
        else:
            raise TypeError(
                f"{context.asset_key.to_user_string()}: expected a pyarrow.Table or a PublishedTable, got {type(obj).__name__}"
            )
        urls = [lake.url(table_key(table_name, partition_key)) for partition_key in parts]
        combined = obj.drop_columns([PARTITION_COLUMN]) if PARTITION_COLUMN in obj.column_names else obj
        if len(partition_keys) == 1:
            metadata = table_metadata(combined)
            metadata["path"] = dg.MetadataValue.path(urls[0])
            metadata["version"] = versions[partition_keys[0]]
        else:
            # Dagster copies an output's metadata onto the materialization of every
            # partition of the run, so only what holds for each day goes there: the schema,
            # the folder and the run's totals. A day's row count is that day's own
            # (partition-scoped metadata). No preview: it would show the range's first rows
            # under every day (`python -m spotify_assets.lake.summary --dt DAY` shows a day's).
            metadata = table_metadata(combined, preview=False)
            del metadata["dagster/row_count"]
            metadata["path"] = dg.MetadataValue.path(lake.url(table_name) + "/")
            metadata["run_row_count"] = obj.num_rows
            metadata["partitions_written"] = len(partition_keys)
            _add_partition_metadata(
                context,
                {
                    partition_key: {"dagster/row_count": part.num_rows, "version": versions[partition_key]}
                    for partition_key, part in parts.items()
                },
            )
        context.add_output_metadata(metadata)
        context.log.info(
            f"{table_name}: {obj.num_rows} rows in {len(urls)} partition file(s) under {lake.url(table_name)}/"
        )

    def load_input(self, context: dg.InputContext) -> pa.Table:
        table_name = context.asset_key.path[-1]
        partition_keys = context.asset_partition_keys if context.has_asset_partitions else []
        lake = self._lake()
        recover_pending(lake)  # a commit a killed write left half done is completed first
        tables = []
        for partition_key in partition_keys:
            path = table_key(table_name, partition_key)
            try:
                data = lake.read_bytes(path)
            except FileNotFoundError:
                raise FileNotFoundError(
                    f"{table_name} partition {partition_key} has not been materialized: {lake.url(path)} is absent"
                ) from None
            part = read_parquet_bytes(data)
            tables.append(part.append_column(PARTITION_COLUMN, pa.array([partition_key] * part.num_rows, pa.string())))
        if not tables:
            raise FileNotFoundError(f"{table_name}: no partitions requested")
        return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]


def _add_partition_metadata(context: dg.OutputContext, by_partition: dict[str, dict]) -> None:
    """Metadata for the materialization of each partition alone (``{partition_key: metadata}``).
    Without a step (an ``OutputContext`` built by hand) there is no materialization to add to.

    Cost: Dagster 1.13 re-checks every entry it holds on each call, so n calls cost O(n²):
    0.8 s for the 1,460 of a year of four tables (3.2 s for two years). Keep it one call
    per partition and output."""
    try:
        step_context = context.step_context
    except dg.DagsterInvariantViolationError:
        return
    for partition_key, metadata in by_partition.items():
        step_context.add_asset_metadata(metadata, asset_key=context.asset_key, partition_key=partition_key)
