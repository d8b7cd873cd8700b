"""GlueCrawlerResource against a real moto server over HTTP (see fixtures/moto.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import boto3
import pytest

from spotify_assets.resources.glue_crawler_resource import (
    CrawlResult,
    GlueCrawlerError,
    GlueCrawlerResource,
)
from spotify_assets_tests.support.fixtures.moto import (
    REGION,
    set_glue_crawl_transition_immediate,
    set_glue_crawl_transition_stuck,
)

# Until conftest.py registers the moto fixtures for the whole suite.

CRAWLER = "spotify-lake-crawler"
DATABASE = "spotify_lake_test"
ROLE_ARN = "arn:aws:iam::123456789012:role/spotify-glue-crawler"
TARGETS = [
    "s3://spotify-lake-test/lake/songs/",
    "s3://spotify-lake-test/lake/albums/",
    "s3://spotify-lake-test/lake/artists/",
    "s3://spotify-lake-test/lake/playlist_entries/",
]
LOGGER = logging.getLogger("test.glue_crawler")


@pytest.fixture
def glue(aws_env: str):
    """A plain boto3 Glue client on the moto server, to set up and check facts."""
    return boto3.session.Session(region_name=REGION).client("glue")


def _resource(**overrides) -> GlueCrawlerResource:
    # region_name/endpoint_url left None: boto3 takes them from AWS_REGION/AWS_ENDPOINT_URL.
    config = dict(
        crawler_name=CRAWLER,
        database=DATABASE,
        role_arn=ROLE_ARN,
        s3_targets=TARGETS,
        table_prefix="spotify_",
        poll_interval_s=0.05,
        timeout_s=5.0,
    )
    config.update(overrides)
    return GlueCrawlerResource(**config)


@pytest.fixture
def crawler_resource(aws_env: str) -> GlueCrawlerResource:
    return _resource()


class _OnPoll(logging.Handler):
    """Runs an action, once, when run_crawl logs its N-th "is RUNNING (poll ..." line.

    Deterministic stand-in for "the crawl finishes/fails while we are polling": the
    action runs in run_crawl's own thread between two GetCrawler calls.
    """

    def __init__(self, after_polls: int, action: Callable[[], None]):
        super().__init__(level=logging.INFO)
        self.after_polls, self.action, self.running_polls, self.fired = after_polls, action, 0, False

    def emit(self, record: logging.LogRecord) -> None:
        if self.fired or "is RUNNING (poll" not in record.getMessage():
            return
        self.running_polls += 1
        if self.running_polls >= self.after_polls:
            self.fired = True
            self.action()


@pytest.fixture
def on_poll() -> Iterator[Callable[[int, Callable[[], None]], _OnPoll]]:
    handlers: list[_OnPoll] = []

    def attach(after_polls: int, action: Callable[[], None]) -> _OnPoll:
        handler = _OnPoll(after_polls, action)
        handlers.append(handler)
        LOGGER.addHandler(handler)
        return handler

    LOGGER.setLevel(logging.INFO)
    yield attach
    for handler in handlers:
        LOGGER.removeHandler(handler)


def _crawls(glue) -> list[dict]:
    # ListCrawls ticks moto's manual transitions; only call it when crawls should be over.
    return glue.list_crawls(CrawlerName=CRAWLER)["Crawls"]


def test_missing_crawler_is_created_from_config(crawler_resource, glue):
    assert crawler_resource.ensure_crawler() is True

    crawler = glue.get_crawler(Name=CRAWLER)["Crawler"]
    assert crawler["DatabaseName"] == DATABASE
    assert crawler["Role"] == ROLE_ARN
    assert [t["Path"] for t in crawler["Targets"]["S3Targets"]] == TARGETS
    assert crawler["SchemaChangePolicy"] == {
        "UpdateBehavior": "UPDATE_IN_DATABASE",
        "DeleteBehavior": "LOG",
    }
    assert crawler["TablePrefix"] == "spotify_"
    assert crawler["State"] == "READY"
    assert glue.get_database(Name=DATABASE)["Database"]["Name"] == DATABASE

    # Second call: exists and matches the configuration → nothing created, nothing drifted.
    assert crawler_resource.ensure_crawler() is False
    assert crawler_resource._drift(glue.get_crawler(Name=CRAWLER)["Crawler"]) == []


def test_existing_crawler_with_other_targets_is_detected_as_drifted(crawler_resource, glue):
    # moto has no UpdateCrawler (HTTP 500 "not implemented"), so the update call itself
    # cannot be exercised here; the drift that triggers it is read from moto's GetCrawler.
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_crawler(
        Name=CRAWLER,
        Role=ROLE_ARN,
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": TARGETS[0]}, {"Path": "s3://old/lake/tracks/"}]},
        TablePrefix="spotify_",
        SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"},
    )
    drift = crawler_resource._drift(glue.get_crawler(Name=CRAWLER)["Crawler"])
    assert len(drift) == 1
    assert drift[0].startswith("S3 targets")
    assert "s3://old/lake/tracks/" in drift[0]


def test_run_crawl_completes_and_creates_crawler_only_once(crawler_resource, glue, aws_env):
    set_glue_crawl_transition_immediate(aws_env)

    first = crawler_resource.run_crawl(log=LOGGER)
    assert isinstance(first, CrawlResult)
    assert first.crawler_name == CRAWLER
    assert first.status in {"COMPLETED", "SUCCEEDED"}
    assert first.created_crawler is True
    assert first.joined_running_crawl is False
    assert first.elapsed_s >= 0
    # moto has no GetCrawlerMetrics: the numbers are unknown, not invented.
    assert (first.tables_created, first.tables_updated) == (None, None)

    second = crawler_resource.run_crawl(log=LOGGER)
    assert second.status in {"COMPLETED", "SUCCEEDED"}
    assert second.created_crawler is False
    assert second.joined_running_crawl is False

    crawls = _crawls(glue)
    assert len(crawls) == 2  # two real crawls were started
    assert {c["State"] for c in crawls} == {"COMPLETED"}

    metadata = first.as_metadata()
    assert json.loads(json.dumps(metadata)) == metadata
    assert metadata["glue_crawler"] == CRAWLER
    assert metadata["glue_created_crawler"] is True
    assert "glue_tables_created" not in metadata


def test_run_crawl_joins_a_crawl_already_running(crawler_resource, glue, aws_env, on_poll, caplog):
    set_glue_crawl_transition_stuck(aws_env)
    crawler_resource.ensure_crawler()
    glue.start_crawler(Name=CRAWLER)
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"

    # The running crawl finishes after run_crawl has seen it RUNNING three times.
    trigger = on_poll(3, lambda: set_glue_crawl_transition_immediate(aws_env))
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        result = crawler_resource.run_crawl(log=LOGGER)

    assert trigger.fired and trigger.running_polls == 3
    assert result.joined_running_crawl is True
    assert result.created_crawler is False
    assert result.status == "COMPLETED"
    assert result.elapsed_s >= 2 * 0.05  # at least the sleeps between the 3 RUNNING polls
    assert "already running" in caplog.text
    assert "is RUNNING (poll" in caplog.text
    assert len(_crawls(glue)) == 1  # joined, did not start a second crawl


def _moto_crawler():
    # ThreadedMotoServer serves from this very process, so its in-process backend object is
    # the server's state. GlueCrawl failures cannot be produced over HTTP (moto's crawl only
    # goes RUNNING → COMPLETED), so the failed-crawl tests set that state directly.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.glue.models import glue_backends

    return glue_backends[DEFAULT_ACCOUNT_ID][REGION].crawlers[CRAWLER]


@pytest.fixture
def moto_crawl_error_messages(monkeypatch):
    """Let moto's GetCrawler report ``LastCrawl.ErrorMessage`` (it never does by itself):
    the message is taken from an ``error_message`` attribute set on the moto crawl."""
    from moto.glue.models import FakeCrawler

    original = FakeCrawler.as_dict

    def as_dict(self):
        data = original(self)
        message = getattr(self.crawls[-1], "error_message", None) if self.crawls else None
        if message:
            data["LastCrawl"]["ErrorMessage"] = message
        return data

    monkeypatch.setattr(FakeCrawler, "as_dict", as_dict)


def _fail_latest_crawl(message: str) -> None:
    crawl = _moto_crawler().crawls[-1]
    crawl.error_message = message
    crawl.status = "FAILED"  # moto's crawler State becomes READY with LastCrawl.Status FAILED


def test_failed_crawl_raises_with_glue_error_message(crawler_resource, aws_env, on_poll, moto_crawl_error_messages):
    set_glue_crawl_transition_stuck(aws_env)
    message = "Insufficient Lake Formation permission(s) on s3://spotify-lake-test/lake/songs/"
    # Our own crawl (started by run_crawl) fails while being polled.
    on_poll(2, lambda: _fail_latest_crawl(message))

    with pytest.raises(GlueCrawlerError) as excinfo:
        crawler_resource.run_crawl(log=LOGGER)

    text = str(excinfo.value)
    assert CRAWLER in text
    assert "FAILED" in text
    assert message in text


def test_old_failed_crawl_is_not_taken_for_the_new_one(crawler_resource, glue, aws_env, moto_crawl_error_messages):
    # Yesterday's crawl failed; the crawler is READY with that FAILED LastCrawl.
    set_glue_crawl_transition_stuck(aws_env)
    crawler_resource.ensure_crawler()
    glue.start_crawler(Name=CRAWLER)
    _fail_latest_crawl("yesterday's failure")
    old = glue.get_crawler(Name=CRAWLER)["Crawler"]
    assert (old["State"], old["LastCrawl"]["Status"]) == ("READY", "FAILED")

    # Today's crawl completes (between two polls): run_crawl must report it, not yesterday's.
    set_glue_crawl_transition_immediate(aws_env)
    result = crawler_resource.run_crawl(log=LOGGER)
    assert result.status == "COMPLETED"
    assert [c["State"] for c in _crawls(glue)] == ["FAILED", "COMPLETED"]


def test_crawl_that_never_finishes_times_out(crawler_resource, glue, aws_env):
    set_glue_crawl_transition_stuck(aws_env)
    resource = _resource(timeout_s=0.3)

    with pytest.raises(GlueCrawlerError, match=r"still RUNNING after \d+\.\d s") as excinfo:
        resource.run_crawl(log=LOGGER)
    assert "timeout_s=0.3" in str(excinfo.value)
    assert "timed out" in str(excinfo.value)
    assert CRAWLER in str(excinfo.value)
    # The crawl is left running, not stopped.
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"
