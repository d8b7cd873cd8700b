"""``catalog``: the lake's tables made queryable by name – DuckDB views locally, the
Glue Data Catalog (for Athena) on AWS: tables and partitions registered, or a crawl. The work is the ``catalog`` resource's; see
:mod:`spotify_assets.resources.catalog_resources`."""

import dagster as dg

from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.catalog_resources import CatalogResource
from spotify_assets.vocabulary import ASSET_GROUP, CATALOG, CATALOG_TABLE_NAMES, PARTITION_COLUMN

CATALOG_KINDS = {"local": {"duckdb"}, "aws": {"glue", "athena"}}

_TABLES = ", ".join(CATALOG_TABLE_NAMES)  # the UI names every table the catalog exposes
_DESCRIPTIONS = {
    "local": (
        f"The tables {_TABLES} as views in the DuckDB file SPOTIFY_DUCKDB_PATH, over the lake's Parquet with "
        f"{PARTITION_COLUMN} (VARCHAR, YYYY-MM-DD) from the Hive folder; with the lake on S3 they are "
        'Arrow datasets registered at query time instead. Query with `spotify-assets query "SQL"`.'
    ),
    "aws": (
        f"The tables {_TABLES} in the Glue database GLUE_DATABASE ({PARTITION_COLUMN} as a string partition key), "
        'so Athena can query them: `spotify-assets query "SQL"`. GLUE_CATALOG_MODE=register (default) creates each table from its '
        "schema and adds the run's days as partitions; crawler runs the Glue crawler GLUE_CRAWLER_NAME instead."
    ),
}


def build_catalog_asset(deployment: str) -> dg.AssetsDefinition:
    """The ``catalog`` asset for ``deployment`` (``local`` or ``aws``; only its kinds and
    description differ). Daily-partitioned like the tables and downstream of all of them; it
    reads the lake itself (no IO manager input) and stores nothing through an IO manager.
    A backfill runs it once for the whole range: the catalog covers every partition anyway,
    and on AWS each run is one registration (or one crawl). Raises ``ValueError`` for another deployment."""
    if deployment not in CATALOG_KINDS:
        raise ValueError(f"catalog asset: unknown deployment {deployment!r}; expected 'local' or 'aws'")

    @dg.asset(
        name=CATALOG,
        partitions_def=daily_partitions,
        group_name=ASSET_GROUP,
        deps=list(CATALOG_TABLE_NAMES),
        kinds=CATALOG_KINDS[deployment],
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=_DESCRIPTIONS[deployment],
    )
    def catalog_asset(context: dg.AssetExecutionContext, catalog: CatalogResource) -> dg.MaterializeResult:
        metadata = catalog.refresh(context.log, context.partition_keys)
        return dg.MaterializeResult(metadata=metadata)

    return catalog_asset
