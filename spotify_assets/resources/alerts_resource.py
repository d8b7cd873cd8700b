"""``SnsAlertsResource``: short alert messages to an Amazon SNS topic (boto3 ``Publish``)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from spotify_assets.aws import aws_client
from spotify_assets.settings import SNS_TOPIC_ARN

# SNS refuses a Subject longer than 100 characters.
MAX_SUBJECT_CHARS = 100


def check_topic_arn(topic_arn: str) -> str:
    """``topic_arn`` when it is an SNS topic ARN; ``ValueError`` naming SPOTIFY_ALERTS_TOPIC_ARN otherwise."""
    if not SNS_TOPIC_ARN.match(topic_arn):
        raise ValueError(
            f"SPOTIFY_ALERTS_TOPIC_ARN={topic_arn!r}: expected an SNS topic ARN, arn:aws:sns:<region>:<account id>:<topic name>"
        )
    return topic_arn


class SnsAlertsResource(dg.ConfigurableResource):
    """Publishes alerts to the SNS topic ``topic_arn`` (AWS SNS API ``Publish``; credentials,
    the usual boto3 way; ``region_name``/``endpoint_url`` from ``Settings.aws_region``/
    ``aws_endpoint_url``, None: boto3's own chain)."""

    topic_arn: str = Field(description="SPOTIFY_ALERTS_TOPIC_ARN: the SNS topic alerts go to")
    region_name: str | None = None
    endpoint_url: str | None = None

    def publish(self, subject: str, message: str) -> str:
        """Publish one alert; returns SNS's MessageId. ``subject`` is cut to 100 characters
        (SNS's limit) and kept on one line. Raises ``botocore`` errors as SNS answers."""
        subject = " ".join(subject.split())[:MAX_SUBJECT_CHARS]
        sns = aws_client("sns", self.region_name, self.endpoint_url)
        return sns.publish(TopicArn=check_topic_arn(self.topic_arn), Subject=subject, Message=message)["MessageId"]
