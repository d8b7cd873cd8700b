"""``SnsAlertsResource``: short alert messages to an Amazon SNS topic (boto3 ``Publish``)."""

from __future__ import annotations

import re

import dagster as dg
from pydantic import Field

from spotify_assets.aws import boto3_session

# arn:aws:sns:<region>:<12-digit account>:<topic name>
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
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
    region and ``AWS_ENDPOINT_URL`` the usual boto3 way)."""

    topic_arn: str = Field(description="SPOTIFY_ALERTS_TOPIC_ARN: the SNS topic alerts go to")

    def publish(self, subject: str, message: str) -> str:
        """Publish one alert; returns SNS's MessageId. ``subject`` is cut to 100 characters
        (SNS's limit) and kept on one line. Raises ``botocore`` errors as SNS answers."""
        subject = " ".join(subject.split())[:MAX_SUBJECT_CHARS]
        sns = boto3_session().client("sns")
        return sns.publish(TopicArn=check_topic_arn(self.topic_arn), Subject=subject, Message=message)["MessageId"]
