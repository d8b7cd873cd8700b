"""boto3 sessions and clients for every AWS client of the project (S3 through s3fs excepted:
see ``lake/lake.py``), with the region and endpoint of the ``Settings`` (``aws_region``:
``AWS_REGION`` or ``AWS_DEFAULT_REGION``; ``aws_endpoint_url``: ``AWS_ENDPOINT_URL``), so that
both region variables work, alone or together (the installed boto3 reads only
``AWS_DEFAULT_REGION`` by itself)."""

from __future__ import annotations

from typing import Any

import boto3


def boto3_session(region: str | None = None) -> boto3.session.Session:
    """A new boto3 session in ``region`` (``Settings.aws_region``; None: boto3's own default
    chain). One per use: boto3 sessions are not thread-safe."""
    return boto3.session.Session(region_name=region)


def aws_client(service: str, region: str | None = None, endpoint_url: str | None = None, **kwargs: Any) -> Any:
    """A boto3 client of ``service`` (e.g. ``"glue"``) in ``region`` at ``endpoint_url``
    (``Settings.aws_endpoint_url``: MinIO, moto, LocalStack; None: AWS, or boto3's own
    ``AWS_ENDPOINT_URL``); ``kwargs`` go to ``Session.client`` (e.g. ``config``)."""
    return boto3_session(region).client(service, endpoint_url=endpoint_url, **kwargs)
