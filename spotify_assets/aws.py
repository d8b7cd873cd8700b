"""boto3 sessions for every AWS client of the project (S3 through s3fs excepted: see
``lake/lake.py``), with the region of :func:`spotify_assets.settings.aws_region`, so that
``AWS_REGION`` and ``AWS_DEFAULT_REGION`` both work, alone or together."""

from __future__ import annotations

import boto3

from spotify_assets.settings import aws_region


def boto3_session() -> boto3.session.Session:
    """A new boto3 session in the configured region (None: boto3's own default chain).
    One per use: boto3 sessions are not thread-safe."""
    return boto3.session.Session(region_name=aws_region())
