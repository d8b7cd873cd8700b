"""What the tests (and the benchmarks) share: the real stand-in servers (the Spotify Web API
test server, moto's server, PostgreSQL, Dagster's webserver), the recorded Spotify samples
and the facts expected from them, the shared lakes, and the pytest fixtures in
``support/fixtures/`` (registered by ``spotify_assets_tests/conftest.py``)."""
