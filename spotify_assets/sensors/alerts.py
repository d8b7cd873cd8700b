"""Alerts to an SNS topic (the tutorials' CloudWatch alarm on a failed Lambda):

- ``run_failure_alert_sensor``: one short message for every failed run of this code location;
- ``freshness_alert_sensor``: one for every asset whose freshness policy turns FAIL (a missed
  day: no new materialization within the policy's fail window), from the freshness state
  the Dagster daemon records.

The message names the run, its job, the assets and partition (or range) it was for and the
first line of the first error; nothing else of the run (no configuration, no environment),
so it carries no secret: the project's error messages never contain one (see
``test_reliability/test_secrets.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import timezone

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState

from spotify_assets.resources.alerts_resource import SnsAlertsResource

# Longest first error line quoted in an alert (an HTML error page can be long).
MAX_ERROR_CHARS = 300
# Dagster's error text starts with the exception's dotted class: "dagster._core...Failure: ...".
_CLASS_PREFIX = re.compile(r"^([A-Za-z_][\w.]*): ", re.ASCII)
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def run_partition(tags: dict[str, str]) -> str | None:
    """The run's partition (``YYYY-MM-DD``) or range (``A...B``) from its tags; None for neither."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG]
    start, end = (tags.get(name) for name in RANGE_TAGS)
    return f"{start}...{end}" if start and end else None


def first_line(text: str | None) -> str:
    """The first non-blank line of ``text``, cut to :data:`MAX_ERROR_CHARS`."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "no error message")
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def failure_alert(
    run_id: str, job_name: str, assets: list[str], partition: str | None, error: str | None
) -> tuple[str, str]:
    """``(subject, message)`` of the alert for one failed run."""
    where = f", {partition}" if partition else ""
    subject = f"spotify_assets run failed: {', '.join(assets) or job_name}{where}"
    message = "\n".join(
        [
            f"run: {run_id}",
            f"job: {job_name}",
            f"assets: {', '.join(assets) or '(the whole job)'}",
            f"partition: {partition or '(none)'}",
            f"error: {first_line(error)}",
        ]
    )
    return subject, message


def _run_assets(context: dg.RunFailureSensorContext) -> list[str]:
    """The assets the run was for: its asset selection, else those it planned to materialize."""
    run = context.dagster_run
    asset_keys = set(run.asset_selection or ())
    if not asset_keys:  # a job over all its assets (e.g. an ad hoc materialization) has no selection
        planned = context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        asset_keys = {record.dagster_event.asset_key for record in planned if record.dagster_event.asset_key}
    return sorted(asset_key.to_user_string() for asset_key in asset_keys)


def error_text(message: str) -> str:
    """An error message without its exception's module path: a ``Failure``'s description as
    it is, any other error as ``ShortClassName: message``."""
    match = _CLASS_PREFIX.match(message)
    if not match:
        return message
    name = match.group(1).rsplit(".", 1)[-1]
    rest = message[match.end() :]
    return rest if name == "Failure" else f"{name}: {rest}"


def _first_error(context: dg.RunFailureSensorContext) -> str | None:
    """The first step's error message, else the run failure's own message."""
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        if error is not None:
            return error_text(error.message)
    return context.failure_event.message


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    description="Publishes a short message (run, assets, partition, first error line) to SPOTIFY_ALERTS_TOPIC_ARN for every failed run.",
    # Configured on purpose (the topic is set), so it runs without being turned on.
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, alerts: SnsAlertsResource) -> None:
    run = context.dagster_run
    subject, message = failure_alert(
        run.run_id, run.job_name, _run_assets(context), run_partition(run.tags), _first_error(context)
    )
    message_id = alerts.publish(subject, message)
    context.log.info(f"alert for run {run.run_id} published to SNS (MessageId {message_id})")


def freshness_alert(asset: str, since_utc: str) -> tuple[str, str]:
    """``(subject, message)`` of the alert for one asset whose freshness turned FAIL."""
    subject = f"spotify_assets asset overdue: {asset}"
    message = "\n".join(
        [
            f"asset: {asset}",
            "freshness: FAIL (no new materialization within its freshness policy's fail window)",
            f"since: {since_utc}",
            "A day the API served and nobody read is lost for good: look at the asset's runs today.",
        ]
    )
    return subject, message


def build_freshness_alert_sensor(asset_keys: Sequence[dg.AssetKey]) -> dg.SensorDefinition:
    """``freshness_alert_sensor`` over ``asset_keys``: every 5 minutes it reads their freshness
    state records (kept by the Dagster daemon's freshness evaluation) and publishes one alert
    per asset that turned FAIL since the last alert for it. The cursor holds, per asset, the
    time (UTC seconds) of the FAIL state last alerted, so a state is never alerted twice."""

    @dg.sensor(
        name="freshness_alert_sensor",
        minimum_interval_seconds=300,
        description="Publishes a short message to SPOTIFY_ALERTS_TOPIC_ARN when an asset's freshness policy turns FAIL (a missed day).",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def freshness_alert_sensor(context: dg.SensorEvaluationContext, alerts: SnsAlertsResource):
        alerted: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
        records = context.instance.get_freshness_state_records(list(asset_keys))
        published = []
        for key, record in sorted(records.items(), key=lambda item: item[0].to_user_string()):
            asset, changed = key.to_user_string(), record.updated_at.timestamp()
            if record.freshness_state != FreshnessState.FAIL or changed <= alerted.get(asset, 0.0):
                continue
            since = record.updated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            alerts.publish(*freshness_alert(asset, since))
            alerted[asset] = changed
            published.append(asset)
        if published:
            context.log.info(f"freshness alerts published for {', '.join(published)}")
        return dg.SensorResult(cursor=json.dumps(alerted, sort_keys=True))

    return freshness_alert_sensor
