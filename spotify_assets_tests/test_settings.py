"""``spotify_assets/settings.py`` is the one place that reads the environment: no other
module of the package touches ``os.environ`` or ``os.getenv`` (checked on the source's
syntax tree, so a comment or a string does not count and an alias does)."""

import ast
from pathlib import Path

import spotify_assets

PACKAGE = Path(spotify_assets.__file__).parent


def _environment_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb", "putenv"):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: os.{node.attr}")
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & {"environ", "getenv", "environb"}
        ):
            found.append(
                f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: from os import {', '.join(a.name for a in node.names)}"
            )
    return found


def test_only_settings_reads_the_environment():
    reads = [
        read
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "settings.py" or path.parent != PACKAGE
        for read in _environment_reads(path)
    ]
    assert reads == []


def test_the_check_sees_an_environment_read(tmp_path):
    module = tmp_path / "spotify_assets" / "x.py"
    module.parent.mkdir()
    module.write_text("import os\nfrom os import getenv\nvalue = os.environ.get('A')\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, module.parent
    try:
        assert _environment_reads(module) == [
            "spotify_assets/x.py:2: from os import getenv",
            "spotify_assets/x.py:3: os.environ",
        ]
    finally:
        PACKAGE = saved
