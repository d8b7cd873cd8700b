# Fixtures live in spotify_assets_tests/support/fixtures/, one module per real part they start
# (Spotify API test server, moto server, lake folders and the shared session lakes, the demo's
# checkout); they are registered here.
import gc

pytest_plugins = [
    "spotify_assets_tests.support.fixtures.lake",
    "spotify_assets_tests.support.fixtures.spotify_api",
    "spotify_assets_tests.support.fixtures.moto",
    "spotify_assets_tests.support.fixtures.demo",
]


# The fast tier (`pytest -m "not slow"`) leaves out every test that starts a process or a
# server: the modules and tests marked slow, those of moto's server (through its session
# fixture), and the cases of a fixture parametrized over an S3 lake (param "s3"), which
# start moto's server at setup through request.getfixturevalue.
_SLOW_FIXTURES = frozenset({"moto_server"})
_SLOW_PARAMS = frozenset({"s3"})


def pytest_collection_modifyitems(items):
    import pytest

    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        uses_moto = _SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses_moto or any(isinstance(v, str) and v in _SLOW_PARAMS for v in params.values()):
            item.add_marker(pytest.mark.slow)


# Dagster, pyarrow and pandas make large graphs of long-lived objects when imported; with
# Python's default thresholds (700, 10, 10) the cyclic garbage collector re-scans them all
# session long. Collect young objects less often from here on, and freeze what collection
# imported (never garbage). Reference counting still frees every object as before; only
# cycles wait a little longer. Measured on the fast tier (2 workers, 2 cores, two runs each):
# 54-56 s of user CPU with these two settings, 66-67 s with Python's defaults.
gc.set_threshold(50_000, 20, 20)


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()
