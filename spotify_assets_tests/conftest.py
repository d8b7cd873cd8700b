# Fixtures live in spotify_assets_tests/support/fixtures/, one module per real part they start
# (Spotify API test server, moto server, lake folders); they are registered here.
pytest_plugins = [
    "spotify_assets_tests.support.fixtures.lake",
    "spotify_assets_tests.support.fixtures.spotify_api",
    "spotify_assets_tests.support.fixtures.moto",
]


# The fast tier (`pytest -m "not slow"`) leaves out every test that starts a process or a
# server: those of moto's server (through its session fixture) and the modules below.
_SLOW_FIXTURES = frozenset({"moto_server"})


def pytest_collection_modifyitems(items):
    import pytest

    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
