"""A Dagster resource that keeps one AWS Glue crawler in shape and runs it to completion.

The crawler catalogs the lake's Parquet tables (one S3 target per table prefix) into a
Glue database, so Athena can query them. AWS Glue APIs used:

* ``GetDatabase`` / ``CreateDatabase`` – the target database is created when missing;
* ``GetCrawler`` / ``CreateCrawler`` / ``UpdateCrawler`` – the crawler is created from the
  configuration when missing, and updated when its targets (or database, role, table
  prefix, schema-change policy) drifted from the configuration;
* ``StartCrawler`` – start a crawl; ``CrawlerRunningException`` means a crawl is already
  under way, which is then joined instead of failing;
* ``GetCrawler`` – polled until the crawler is ``READY`` again; ``LastCrawl`` gives the
  outcome (``SUCCEEDED`` on AWS, ``COMPLETED`` on moto; ``FAILED`` / ``CANCELLED`` raise);
* ``GetCrawlerMetrics`` – tables created/updated by the last crawl, where available.

All durations are in seconds; timestamps are logged in UTC (ISO 8601).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3
import dagster as dg
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

_LOG = logging.getLogger(__name__)

# LastCrawl.Status values that mean the crawl worked. AWS says SUCCEEDED; moto says COMPLETED.
SUCCESS_STATUSES = frozenset({"SUCCEEDED", "COMPLETED"})
# LastCrawl.Status values that mean it did not. moto uses STOPPED for a stopped crawl.
FAILURE_STATUSES = frozenset({"FAILED", "CANCELLED", "STOPPED"})


class GlueCrawlerError(Exception):
    """A Glue crawl could not be run, failed, was cancelled, or did not finish in time.

    The message names the crawler and the reason (for a failed crawl, including
    ``LastCrawl.ErrorMessage`` as reported by Glue).
    """


@dataclass(frozen=True)
class CrawlResult:
    """The outcome of one successful crawl, as returned by :meth:`GlueCrawlerResource.run_crawl`."""

    crawler_name: str
    status: str  # final LastCrawl.Status: SUCCEEDED (AWS) or COMPLETED (moto)
    elapsed_s: float  # seconds from our StartCrawler request (or join) until the crawl ended
    joined_running_crawl: bool  # True when a crawl was already running and we waited for it
    created_crawler: bool  # True when this run created the crawler
    tables_created: int | None  # GetCrawlerMetrics TablesCreated of the last crawl, if available
    tables_updated: int | None  # GetCrawlerMetrics TablesUpdated of the last crawl, if available

    def as_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values for Dagster materialization metadata (``None`` values left out)."""
        metadata: dict[str, Any] = {
            "glue_crawler": self.crawler_name,
            "glue_crawl_status": self.status,
            "glue_crawl_elapsed_s": round(self.elapsed_s, 3),
            "glue_joined_running_crawl": self.joined_running_crawl,
            "glue_created_crawler": self.created_crawler,
        }
        if self.tables_created is not None:
            metadata["glue_tables_created"] = self.tables_created
        if self.tables_updated is not None:
            metadata["glue_tables_updated"] = self.tables_updated
        return metadata


def _error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _crawl_identity(crawler: dict[str, Any]) -> tuple[Any, Any] | None:
    """What tells one crawl from another in GetCrawler's ``LastCrawl`` (None: never crawled)."""
    last = crawler.get("LastCrawl")
    if not last:
        return None
    return (last.get("StartTime"), last.get("MessagePrefix"))


def _utc_iso(value: Any) -> str | None:
    """boto3 returns timezone-aware datetimes (local zone); show them in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return None if value is None else str(value)


class GlueCrawlerResource(dg.ConfigurableResource):
    """Creates (when missing) and runs the Glue crawler that catalogs the lake's tables.

    ``definitions.build_definitions`` configures it from the ``Settings`` with plain strings
    (``GLUE_CRAWLER_NAME``, ``GLUE_DATABASE``, ``GLUE_CRAWLER_ROLE_ARN``, the AWS region and
    endpoint; one ``s3_targets`` entry per table of
    :data:`~spotify_assets.vocabulary.CATALOG_TABLE_NAMES`), not ``dg.EnvVar``: none of them is a secret.
    """

    crawler_name: str
    database: str
    role_arn: str
    s3_targets: list[str]  # one per table prefix, e.g. "s3://bucket/lake/songs/"
    table_prefix: str = ""
    # The crawler's schema-change policy (Glue SchemaChangePolicy).
    update_behavior: str = "UPDATE_IN_DATABASE"
    delete_behavior: str = "LOG"
    # Settings.aws_region and aws_endpoint_url; None: boto3's own chain (AWS_DEFAULT_REGION, AWS_ENDPOINT_URL).
    region_name: str | None = None
    endpoint_url: str | None = None
    poll_interval_s: float = 5.0  # seconds between GetCrawler polls
    timeout_s: float = 1800.0  # seconds to wait for the crawl to finish

    # ------------------------------------------------------------------ helpers
    def _session(self) -> boto3.session.Session:
        # One session per call: boto3 sessions are not thread-safe, and clients made from
        # the same session share its loaded service model (a new session costs ~0.2 s).
        return boto3.session.Session(region_name=self.region_name)

    def _client(self, session: boto3.session.Session, single_attempt: bool = False) -> Any:
        # single_attempt: for optional calls (GetCrawlerMetrics) – botocore would otherwise
        # retry an HTTP 500 (what moto answers for an unimplemented API) for several seconds.
        config = Config(retries={"total_max_attempts": 1}) if single_attempt else None
        return session.client("glue", endpoint_url=self.endpoint_url, config=config)

    def _desired_targets(self) -> dict[str, Any]:
        return {"S3Targets": [{"Path": path} for path in self.s3_targets]}

    def _desired_schema_change_policy(self) -> dict[str, str]:
        return {"UpdateBehavior": self.update_behavior, "DeleteBehavior": self.delete_behavior}

    def _get_crawler(self, glue: Any) -> dict[str, Any]:
        return glue.get_crawler(Name=self.crawler_name)["Crawler"]

    def _ensure_database(self, glue: Any, log: logging.Logger) -> None:
        try:
            glue.get_database(Name=self.database)
            return
        except ClientError as error:
            if _error_code(error) != "EntityNotFoundException":
                raise
        try:
            glue.create_database(DatabaseInput={"Name": self.database})
            log.info("Created Glue database %r", self.database)
        except ClientError as error:
            if _error_code(error) != "AlreadyExistsException":  # created concurrently: fine
                raise

    def _drift(self, crawler: dict[str, Any]) -> list[str]:
        """Human-readable differences between the existing crawler and the configuration."""
        differences = []
        current_paths = sorted(t.get("Path", "") for t in crawler.get("Targets", {}).get("S3Targets", []))
        if current_paths != sorted(self.s3_targets):
            differences.append(f"S3 targets {current_paths} → {sorted(self.s3_targets)}")
        if crawler.get("DatabaseName") != self.database:
            differences.append(f"database {crawler.get('DatabaseName')!r} → {self.database!r}")
        if crawler.get("Role") != self.role_arn:
            differences.append(f"role {crawler.get('Role')!r} → {self.role_arn!r}")
        if (crawler.get("TablePrefix") or "") != self.table_prefix:
            differences.append(f"table prefix {crawler.get('TablePrefix')!r} → {self.table_prefix!r}")
        policy = crawler.get("SchemaChangePolicy") or {}
        desired_policy = self._desired_schema_change_policy()
        if {k: policy.get(k) for k in desired_policy} != desired_policy:
            differences.append(f"schema-change policy {policy} → {desired_policy}")
        return differences

    def _crawler_settings(self) -> dict[str, Any]:
        """Keyword arguments of Glue's CreateCrawler/UpdateCrawler from the configuration."""
        return {
            "Name": self.crawler_name,
            "Role": self.role_arn,
            "DatabaseName": self.database,
            "Targets": self._desired_targets(),
            "TablePrefix": self.table_prefix,
            "SchemaChangePolicy": self._desired_schema_change_policy(),
        }

    def _ensure_crawler(self, glue: Any, log: logging.Logger) -> bool:
        self._ensure_database(glue, log)
        try:
            crawler = self._get_crawler(glue)
        except ClientError as error:
            if _error_code(error) != "EntityNotFoundException":
                raise
            try:
                glue.create_crawler(**self._crawler_settings())
            except ClientError as create_error:
                if _error_code(create_error) == "AlreadyExistsException":  # created concurrently
                    return False
                raise
            log.info(
                "Created Glue crawler %r (database %r, %d S3 targets)",
                self.crawler_name,
                self.database,
                len(self.s3_targets),
            )
            return True

        differences = self._drift(crawler)
        if differences:
            log.info(
                "Glue crawler %r differs from the configuration; updating it: %s",
                self.crawler_name,
                "; ".join(differences),
            )
            try:
                glue.update_crawler(**self._crawler_settings())
            except ClientError as error:
                # A running crawler cannot be updated; the crawl under way is joined and
                # the update is retried on the next run.
                if _error_code(error) != "CrawlerRunningException":
                    raise
                log.warning(
                    "Glue crawler %r is running and cannot be updated now; will retry next run",
                    self.crawler_name,
                )
        return False

    def _metrics(self, session: boto3.session.Session, log: logging.Logger) -> tuple[int | None, int | None]:
        """TablesCreated/TablesUpdated of the last crawl from GetCrawlerMetrics; (None, None)
        when the call fails (informational only: one attempt, never raises)."""
        try:
            response = self._client(session, single_attempt=True).get_crawler_metrics(
                CrawlerNameList=[self.crawler_name]
            )
        except (ClientError, BotoCoreError) as error:  # e.g. not implemented by moto
            reason = str(error).splitlines()[0][:200]  # moto's 500 carries an HTML page
            log.debug("GetCrawlerMetrics unavailable for %r: %s", self.crawler_name, reason)
            return None, None
        for metrics in response.get("CrawlerMetricsList", []):
            if metrics.get("CrawlerName") == self.crawler_name:
                return metrics.get("TablesCreated"), metrics.get("TablesUpdated")
        return None, None

    # ------------------------------------------------------------------ public API
    def ensure_crawler(self) -> bool:
        """Make sure the Glue database and the crawler exist and match the configuration.

        Uses GetDatabase/CreateDatabase, GetCrawler, CreateCrawler and UpdateCrawler.
        Returns True when it created the crawler, False when it already existed (it is
        updated in place, and the change logged, when it drifted from the configuration).
        Raises ``botocore.exceptions.ClientError`` for any other AWS error.
        """
        return self._ensure_crawler(self._client(self._session()), _LOG)

    def run_crawl(self, log: logging.Logger | None = None) -> CrawlResult:
        """Run the crawler (or join the crawl already running) and wait for it to finish.

        Calls :meth:`ensure_crawler`, then StartCrawler, then polls GetCrawler every
        ``poll_interval_s`` seconds (logging progress each time) until the crawler is
        ``READY`` again, then reads GetCrawlerMetrics.

        ``elapsed_s`` counts (monotonic) seconds from the StartCrawler request.

        Raises :class:`GlueCrawlerError` when StartCrawler fails for a reason other than
        ``CrawlerRunningException``, when the crawl is not finished after ``timeout_s``
        seconds (the crawl is left running), or when ``LastCrawl.Status`` is
        FAILED/CANCELLED (moto: STOPPED) – the message then includes
        ``LastCrawl.ErrorMessage``. AWS errors while ensuring or polling the crawler
        propagate as ``botocore.exceptions.ClientError``.
        """
        log = log or _LOG
        session = self._session()
        glue = self._client(session)
        created = self._ensure_crawler(glue, log)

        # Which crawl was the last one before we started ours (None: never crawled).
        before = _crawl_identity(self._get_crawler(glue))
        started_at = time.monotonic()
        joined = self._start_or_join(glue, log)
        crawler = self._wait_until_crawled(glue, log, before, joined, started_at)
        elapsed = time.monotonic() - started_at
        status = self._crawl_status(crawler, elapsed, log)

        tables_created, tables_updated = self._metrics(session, log)
        return CrawlResult(
            crawler_name=self.crawler_name,
            status=status,
            elapsed_s=elapsed,
            joined_running_crawl=joined,
            created_crawler=created,
            tables_created=tables_created,
            tables_updated=tables_updated,
        )

    # ------------------------------------------------------------------ run_crawl's steps
    def _start_or_join(self, glue: Any, log: logging.Logger) -> bool:
        """StartCrawler; True when a crawl was already running (``CrawlerRunningException``),
        which is then joined. :class:`GlueCrawlerError` for any other error."""
        try:
            glue.start_crawler(Name=self.crawler_name)
            log.info("Started Glue crawler %r", self.crawler_name)
        except ClientError as error:
            if _error_code(error) != "CrawlerRunningException":
                raise GlueCrawlerError(f"Glue crawler {self.crawler_name!r} could not be started: {error}") from error
            log.info("Glue crawler %r is already running; joining that crawl", self.crawler_name)
            return True
        return False

    def _wait_until_crawled(
        self, glue: Any, log: logging.Logger, before: tuple[Any, Any] | None, joined: bool, started_at: float
    ) -> dict[str, Any]:
        """Poll GetCrawler every ``poll_interval_s`` seconds until our crawl is over; returns
        the last GetCrawler answer. ``before``: the LastCrawl identity read before StartCrawler;
        ``started_at``: monotonic seconds of the StartCrawler request. Raises
        :class:`GlueCrawlerError` when the crawl is not over after ``timeout_s`` seconds."""
        # When is a READY crawler done with *our* crawl? A READY crawler also carries the
        # LastCrawl of an earlier run (maybe FAILED yesterday), which must not be taken for
        # ours. Rule: the crawl is over once the crawler is READY AND either
        #   (a) we have seen it not READY (RUNNING/STOPPING) since our StartCrawler — or the
        #       StartCrawler answer itself said it was running (joined), or
        #   (b) LastCrawl differs (StartTime, MessagePrefix) from the LastCrawl we read
        #       just before StartCrawler — the crawl ran and ended between two polls
        #       (moto's "immediate" transition does exactly that).
        # This compares crawl identities, never our clock with AWS's, so clock skew
        # cannot confuse it.
        seen_busy = joined
        polls = 0
        while True:
            crawler = self._get_crawler(glue)
            polls += 1
            state = crawler.get("State", "UNKNOWN")
            elapsed = time.monotonic() - started_at
            if state != "READY":
                seen_busy = True
            elif seen_busy or _crawl_identity(crawler) != before:
                return crawler
            log.info(
                "Glue crawler %r is %s (poll %d, %.1f s elapsed, timeout %.0f s)",
                self.crawler_name,
                state,
                polls,
                elapsed,
                self.timeout_s,
            )
            if elapsed >= self.timeout_s:
                raise GlueCrawlerError(
                    f"Glue crawler {self.crawler_name!r} still {state} after {elapsed:.1f} s "
                    f"(timeout_s={self.timeout_s:g}); timed out waiting for the crawl, "
                    "which was left running"
                )
            time.sleep(max(0.0, min(self.poll_interval_s, self.timeout_s - elapsed)))

    def _crawl_status(self, crawler: dict[str, Any], elapsed: float, log: logging.Logger) -> str:
        """The finished crawl's ``LastCrawl.Status`` (logged with ``elapsed`` seconds); raises
        :class:`GlueCrawlerError`, with ``LastCrawl.ErrorMessage``, unless it is a success."""
        last = crawler.get("LastCrawl") or {}
        status = last.get("Status", "UNKNOWN")
        log.info(
            "Glue crawler %r finished: %s after %.1f s (crawl started %s)",
            self.crawler_name,
            status,
            elapsed,
            _utc_iso(last.get("StartTime")),
        )
        if status not in SUCCESS_STATUSES:
            reason = last.get("ErrorMessage") or "no error message"
            kind = "failed" if status in FAILURE_STATUSES else "ended with an unexpected status"
            raise GlueCrawlerError(
                f"Glue crawler {self.crawler_name!r} crawl {kind}: LastCrawl.Status={status}: {reason}"
            )
        return status
