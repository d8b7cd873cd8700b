# Sourced by scripts/demo.sh and scripts/test.sh: create ./.venv on first use and
# (re)install the locked versions (requirements-dev.lock) and the project whenever the lock,
# setup.py or pyproject.toml changed, then check the result. scripts/lock.sh updates the lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat setup.py pyproject.toml requirements-dev.lock | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "==> installing spotify_assets and its dependencies into .venv (first run takes a minute or two)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # Exactly the versions CI and the container image use, then the project itself.
  .venv/bin/python -m pip install --quiet -r requirements-dev.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  # A resolver can fall back to s3fs 0.4.2 without a word (also when the lock is made): fail loudly.
  .venv/bin/python -m pip check
  .venv/bin/python -c "import s3fs, sys; v = tuple(int(p) for p in s3fs.__version__.split('.')[:1]); sys.exit(0 if v[0] >= 2024 else 's3fs ' + s3fs.__version__ + ' is too old')"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
