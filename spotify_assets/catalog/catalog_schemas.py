"""Every table the catalog exposes, with its schema (without ``dt``): the four tables
built from raw objects, then the two trend tables built from them. Its keys, in order,
are :data:`spotify_assets.vocabulary.CATALOG_TABLE_NAMES`."""

from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.trends.trend_schemas import TREND_SCHEMAS

CATALOG_SCHEMAS = {**TABLE_SCHEMAS, **TREND_SCHEMAS}
