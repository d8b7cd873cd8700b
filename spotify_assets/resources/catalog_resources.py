"""The resources behind the ``catalog`` asset (resource key ``catalog``), one per deployment,
with one small interface, :meth:`CatalogResource.refresh`:

- ``local``: :class:`DuckDBCatalogResource` – DuckDB views over the lake's Parquet;
- ``aws``, ``GLUE_CATALOG_MODE=register`` (default): :class:`GluePartitionsCatalogResource`
  – each table created in the Glue Data Catalog from its schema and the run's days added
  as partitions (API calls, no crawl);
- ``aws``, ``GLUE_CATALOG_MODE=crawler``: :class:`GlueCatalogResource` – the Glue crawler
  (through :class:`~spotify_assets.resources.glue_crawler_resource.GlueCrawlerResource`),
  for schema discovery.

Either way Athena can then query the tables.

:func:`build_catalog_resource` picks and configures one from :class:`Settings`.
"""

import logging
from collections.abc import Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from spotify_assets.aws import aws_client
from spotify_assets.catalog.catalog_schemas import CATALOG_SCHEMAS
from spotify_assets.catalog.duckdb_catalog import DT_SQL_TYPE, CatalogSummary, refresh_catalog
from spotify_assets.catalog.glue_partitions import register_tables
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import dt_from_key, table_key
from spotify_assets.resources.glue_crawler_resource import GlueCrawlerResource
from spotify_assets.settings import GLUE_CATALOG_MODES, Settings
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES


class CatalogResource(dg.ConfigurableResource):
    """What the ``catalog`` asset needs of a catalog: :meth:`refresh`."""

    def refresh(self, log: logging.Logger, partition_keys: Sequence[str]) -> dict[str, Any]:
        """Make the lake's current tables queryable; return materialization metadata.

        ``partition_keys``: the daily partitions (YYYY-MM-DD, UTC) of the run, for the
        report; the catalog always covers every partition in the lake.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement refresh()")


def catalog_metadata(summary: CatalogSummary, partition_keys: Sequence[str], log: logging.Logger) -> dict[str, Any]:
    """Metadata for a refreshed DuckDB catalog: a Markdown ``tables`` overview,
    ``<table>_rows`` and ``<table>_partitions`` (ints) per table, the run's partitions'
    row counts per table, ``dt_type``, and where the catalog lives. Logs a warning for
    each table that lacks one of the run's partitions."""
    on_run: dict[str, dict[str, int | None]] = {}
    for table in summary.tables:
        on_run[table.name] = {dt: table.rows_by_partition.get(dt) for dt in partition_keys}
        missing = [dt for dt in partition_keys if dt not in table.rows_by_partition]
        if missing:
            log.warning(f"catalog: {table.name} has no Parquet file for partition(s) {', '.join(missing)}")
    metadata: dict[str, Any] = {"tables": dg.MetadataValue.md(summary.as_markdown())}
    for table in summary.tables:
        metadata[f"{table.name}_rows"] = dg.MetadataValue.int(table.rows)
        metadata[f"{table.name}_partitions"] = dg.MetadataValue.int(len(table.partitions))
    metadata["rows_in_run_partitions"] = dg.MetadataValue.json(on_run)
    metadata["dt_type"] = DT_SQL_TYPE
    metadata["lake"] = summary.lake_url
    if summary.duckdb_path:
        metadata["duckdb_path"] = dg.MetadataValue.path(summary.duckdb_path)
        metadata["views"] = dg.MetadataValue.json([t.name for t in summary.tables])
    else:
        metadata["duckdb_path"] = (
            "none: S3 lake, tables registered as Arrow datasets at query time (spotify-assets query)"
        )
    return metadata


class DuckDBCatalogResource(CatalogResource):
    """The local catalog: one view per table of the lake
    (:data:`~spotify_assets.vocabulary.CATALOG_TABLE_NAMES`) in the DuckDB file ``duckdb_path``
    over the Parquet of the lake at ``lake_url`` (see :mod:`spotify_assets.catalog.duckdb_catalog`)."""

    lake_url: str = Field(description="SPOTIFY_LAKE_URL: a folder or s3://bucket/prefix")
    duckdb_path: str = Field(description="SPOTIFY_DUCKDB_PATH: the DuckDB catalog file")
    region_name: str | None = Field(default=None, description="Settings.aws_region, for an S3 lake")
    endpoint_url: str | None = Field(default=None, description="AWS_ENDPOINT_URL, for an S3 lake")

    def refresh(self, log: logging.Logger, partition_keys: Sequence[str]) -> dict[str, Any]:
        """Create/replace the views (folder lake) or check the Arrow datasets (S3 lake)
        and report tables, partitions and row counts. Raises
        :class:`~spotify_assets.catalog.duckdb_catalog.CatalogError` when the DuckDB file
        cannot be opened, ``duckdb.Error`` when a Parquet file cannot be read."""
        summary = refresh_catalog(
            self.lake_url, self.duckdb_path, log=log, region=self.region_name, endpoint_url=self.endpoint_url
        )
        log.info(
            "catalog: "
            + ", ".join(f"{t.name} {t.rows} rows in {len(t.partitions)} partition(s)" for t in summary.tables)
            + (
                f" → views in {summary.duckdb_path}"
                if summary.duckdb_path
                else " (S3 lake: Arrow datasets at query time)"
            )
        )
        return catalog_metadata(summary, partition_keys, log)


class GlueCatalogResource(CatalogResource):
    """The AWS catalog: runs the Glue crawler whose S3 targets are the table prefixes, so
    the Glue database (``crawler.database``) holds one table per lake table for Athena."""

    crawler: GlueCrawlerResource

    def refresh(self, log: logging.Logger, partition_keys: Sequence[str]) -> dict[str, Any]:
        """Ensure the crawler, run a crawl and wait for it (Glue CreateCrawler/UpdateCrawler,
        StartCrawler, GetCrawler). Returns the CrawlResult metadata plus ``glue_database``
        and ``glue_s3_targets``. Raises ``ValueError`` when the role ARN is empty and
        :class:`~spotify_assets.resources.glue_crawler_resource.GlueCrawlerError` when the
        crawl fails or times out."""
        if not self.crawler.role_arn:
            raise ValueError(
                f"Glue crawler {self.crawler.crawler_name!r}: GLUE_CRAWLER_ROLE_ARN is empty; "
                "set the ARN of the IAM role the crawler assumes to read the lake"
            )
        result = self.crawler.run_crawl(log)
        metadata: dict[str, Any] = dict(result.as_metadata())
        metadata["glue_database"] = self.crawler.database
        metadata["glue_s3_targets"] = dg.MetadataValue.json(list(self.crawler.s3_targets))
        metadata["run_partitions"] = dg.MetadataValue.json(list(partition_keys))
        return metadata


class GluePartitionsCatalogResource(CatalogResource):
    """The AWS catalog without a crawl: every lake table created (or updated) in the Glue
    database ``database`` from its explicit Arrow schema, and each day of the run that has
    a file in the lake added as a partition (see :mod:`spotify_assets.catalog.glue_partitions`)."""

    lake_url: str = Field(description="SPOTIFY_LAKE_URL: s3://bucket/prefix")
    database: str = Field(description="GLUE_DATABASE: the Glue database Athena queries")
    region_name: str | None = Field(default=None, description="Settings.aws_region (None: boto3's chain)")
    endpoint_url: str | None = Field(default=None, description="AWS_ENDPOINT_URL (None: AWS)")

    def refresh(self, log: logging.Logger, partition_keys: Sequence[str]) -> dict[str, Any]:
        """Register the tables and the run's days (Glue GetTable/CreateTable/UpdateTable,
        BatchCreatePartition). A day without a file for a table (not written) is left out
        with a warning. Returns ``glue_database``, ``glue_tables_created``/``_updated``,
        ``glue_partitions_added``/``_already_registered`` (counts) and ``glue_api_calls``.
        Raises ``GlueRegistrationError`` or ``botocore`` errors as Glue answers."""
        lake = Lake(self.lake_url, region=self.region_name, endpoint_url=self.endpoint_url)
        wanted = set(partition_keys)
        days_by_table: dict[str, list[str]] = {}
        for table in CATALOG_TABLE_NAMES:
            # One listing per table: which of the run's days have a file to point a partition at.
            written = {
                dt
                for o in lake.list_objects(f"{table}/")
                if (dt := dt_from_key(o.key)) and o.key == table_key(table, dt)
            }
            days_by_table[table] = sorted(wanted & written)
            missing = sorted(wanted - written)
            if missing:
                log.warning(f"catalog: {table} has no file for {', '.join(missing)}; those days are not registered")
        glue = aws_client("glue", self.region_name, self.endpoint_url)
        done = register_tables(glue, self.database, lake.location, CATALOG_SCHEMAS, days_by_table, log)
        return {
            "glue_database": self.database,
            "glue_tables_created": dg.MetadataValue.json(done.tables_created),
            "glue_tables_updated": dg.MetadataValue.json(done.tables_updated),
            "glue_partitions_added": sum(map(len, done.partitions_created.values())),
            "glue_partitions_already_registered": sum(map(len, done.partitions_existing.values())),
            "glue_api_calls": done.api_calls,
            "run_partitions": dg.MetadataValue.json(list(partition_keys)),
        }


def glue_s3_targets(lake_url: str) -> list[str]:
    """One crawler S3 target per table prefix: ``s3://bucket/prefix/<table>/``.

    Raises ``ValueError`` when ``lake_url`` is not an ``s3://`` URL (Glue crawls S3 only).
    """
    if not lake_url.startswith("s3://"):
        raise ValueError(
            f"SPOTIFY_ASSETS_ENV=aws needs the lake on S3: SPOTIFY_LAKE_URL={lake_url!r} is not an s3://bucket/prefix URL"
        )
    root = lake_url.rstrip("/")
    return [f"{root}/{table}/" for table in CATALOG_TABLE_NAMES]


def build_catalog_resource(settings: Settings) -> CatalogResource:
    """The ``catalog`` resource of ``settings.deployment``.

    Every value comes from ``settings``. ``local``: :class:`DuckDBCatalogResource` on
    ``SPOTIFY_LAKE_URL`` and ``SPOTIFY_DUCKDB_PATH``. ``aws``: by ``GLUE_CATALOG_MODE``,
    :class:`GluePartitionsCatalogResource` on ``GLUE_DATABASE`` (``register``) or
    :class:`GlueCatalogResource` with the crawler from ``GLUE_CRAWLER_NAME``,
    ``GLUE_DATABASE``, ``GLUE_CRAWLER_ROLE_ARN`` and one S3 target per table
    (``crawler``). Raises ``ValueError`` when the lake is not on S3 or the mode is unknown,
    naming the variable.
    """
    if settings.deployment == "aws":
        targets = glue_s3_targets(settings.lake_url)  # refuses a lake that is not on S3
        mode = settings.glue_catalog_mode.lower()
        if mode not in GLUE_CATALOG_MODES:
            raise ValueError(f"GLUE_CATALOG_MODE={mode!r}: expected one of {', '.join(GLUE_CATALOG_MODES)}")
        aws = {"region_name": settings.aws_region, "endpoint_url": settings.aws_endpoint_url}
        if mode == "register":
            return GluePartitionsCatalogResource(lake_url=settings.lake_url, database=settings.glue_database, **aws)
        return GlueCatalogResource(
            crawler=GlueCrawlerResource(
                crawler_name=settings.glue_crawler_name,
                database=settings.glue_database,
                role_arn=settings.glue_crawler_role_arn,
                s3_targets=targets,
                **aws,
            )
        )
    return DuckDBCatalogResource(
        lake_url=settings.lake_url,
        duckdb_path=settings.duckdb_path,
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
    )
