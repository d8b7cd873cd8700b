"""``LakeResource``: the lake root URL as a resource, for assets and sensors that list or
read raw objects directly (the IO managers take the same URL)."""

import dagster as dg

from spotify_assets.lake.lake import Lake


class LakeResource(dg.ConfigurableResource):
    """The lake root: a folder or ``s3://bucket/prefix`` (``SPOTIFY_LAKE_URL``)."""

    lake_url: str

    def get_lake(self) -> Lake:
        return Lake(self.lake_url)
