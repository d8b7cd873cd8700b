# Fixtures live in spotify_assets_tests/fixtures/, one module per real part they start
# (Spotify API test server, moto server, lake folders); they are registered here.
pytest_plugins = [
    "spotify_assets_tests.fixtures.lake",
    "spotify_assets_tests.fixtures.spotify_api",
    "spotify_assets_tests.fixtures.moto",
]
