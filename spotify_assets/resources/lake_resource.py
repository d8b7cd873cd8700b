"""``LakeResource``: the lake root URL as a resource, for assets and sensors that list or
read raw objects directly (the IO managers take the same URL)."""

import dagster as dg

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import DEFAULT_RAW_MAX_BYTES


class LakeResource(dg.ConfigurableResource):
    """The lake root: a folder or ``s3://bucket/prefix`` (``SPOTIFY_LAKE_URL``), and for S3
    the region and endpoint (``Settings.aws_region``/``aws_endpoint_url``; None: botocore's chain)."""

    lake_url: str
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    raw_max_bytes: int = DEFAULT_RAW_MAX_BYTES  # SPOTIFY_RAW_MAX_BYTES: the largest raw object read

    def get_lake(self) -> Lake:
        return Lake(self.lake_url, region=self.aws_region, endpoint_url=self.aws_endpoint_url)
