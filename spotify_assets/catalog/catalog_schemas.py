"""Every table the catalog exposes, with its schema (without ``dt``): the four tables
built from raw objects, then the trend tables built from them."""

from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.trends.positions import PLAYLIST_TRENDS_SCHEMA
from spotify_assets.trends.share import ARTIST_DAILY_SHARE_SCHEMA

CATALOG_SCHEMAS = {
    **TABLE_SCHEMAS,
    "playlist_trends": PLAYLIST_TRENDS_SCHEMA,
    "artist_daily_share": ARTIST_DAILY_SHARE_SCHEMA,
}
CATALOG_TABLE_NAMES = tuple(CATALOG_SCHEMAS)
