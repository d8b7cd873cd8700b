"""The README stays true: its two commands exist and CI runs the test one, and it
documents every environment variable the project reads."""

import os
import re
from pathlib import Path

from spotify_assets.settings import ENV_VARS

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_readme_documents_every_environment_variable():
    """The README's table and ``ENV_VARS`` are one list: the same variables in the same
    order, each with the same default and the same text."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.*?) \| (.*) \|$", README, flags=re.MULTILINE)
    expected = [(name, f"`{default}`" if default else "(unset)", text) for name, (default, text) in ENV_VARS.items()]
    assert rows == expected


def test_the_two_commands_exist_and_ci_runs_the_test_command():
    two = re.search(r"## Two commands.*?```bash\n(.*?)```", README, flags=re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in two.strip().splitlines()]
    assert commands == ["./scripts/demo.sh", "./scripts/test.sh"]
    for command in commands:
        assert os.access(REPO / command, os.X_OK), command
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text()
