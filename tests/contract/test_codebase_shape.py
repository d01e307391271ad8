"""The codebase's shape, as DESIGN.md draws it: the import walls, and one set of modules in every
service and sub-domain (domain / handlers / store / api / subscribers, app.py wiring)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from contracts.subjects import SERVICES

ROOT = Path(__file__).resolve().parents[2]
SERVICE_MODULES = {"app", "api", "domain", "handlers", "store", "subscribers"}
SUBDOMAIN_MODULES = {"api", "domain", "handlers", "store"}
OPTIONAL_MODULES = {"__init__", "subscribers", "config"}  # a sub-domain consumes events / has settings


def imports_of(path: Path, depth: int = 2) -> set[str]:
    """The top `depth` levels of every absolute module this file imports (e.g. `services.needs`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found |= {".".join(name.split(".")[:depth]) for name in names}
    return found


def is_layer(module: str) -> bool:
    return module.rsplit(".", 1)[-1] in ("handlers", "store", "api", "subscribers")


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in ("contracts", "kit", "services", "deploy")}


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("contracts"), ids=str)
def test_contracts_import_nothing_of_ours_but_contracts(path):
    assert {m.split(".")[0] for m in ours(imports_of(path))} <= {"contracts"}


@pytest.mark.parametrize("path", python_files("kit"), ids=str)
def test_kit_imports_only_contracts_and_itself(path):
    assert {m.split(".")[0] for m in ours(imports_of(path))} <= {"contracts", "kit"}


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_a_service_imports_contracts_kit_and_itself_only(service):
    for path in python_files(f"services/{service}"):
        foreign = ours(imports_of(path)) - {f"services.{service}"}
        assert {m.split(".")[0] for m in foreign} <= {"contracts", "kit"}, f"{path}: {sorted(foreign)}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_shape(service):
    modules = {p.stem for p in (ROOT / "services" / service).glob("*.py")}
    assert SERVICE_MODULES <= modules, f"services/{service} lacks {sorted(SERVICE_MODULES - modules)}"
    assert "service" not in modules


SUBDOMAINS = sorted(p.parent for p in (ROOT / "services").glob("*/*/__init__.py") if p.parent.parent.name in SERVICES)


@pytest.mark.parametrize("folder", SUBDOMAINS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_subdomain_has_the_same_modules(folder):
    modules = {p.stem for p in folder.glob("*.py")}
    assert SUBDOMAIN_MODULES <= modules, f"lacks {sorted(SUBDOMAIN_MODULES - modules)}"
    assert modules <= SUBDOMAIN_MODULES | OPTIONAL_MODULES, (
        f"has {sorted(modules - SUBDOMAIN_MODULES - OPTIONAL_MODULES)}"
    )


@pytest.mark.parametrize("folder", [ROOT / "services" / s for s in SERVICES] + SUBDOMAINS, ids=lambda p: p.name)
def test_a_domain_module_does_no_io(folder):
    io = {"asyncpg", "fastapi", "starlette", "nats", "faststream", "aiohttp", "httpx", "pydantic_settings"}
    imported = {m.split(".")[0] for m in imports_of(folder / "domain.py")}
    assert not imported & io, f"{folder}/domain.py imports {sorted(imported & io)}"
    layers = {m for m in imports_of(folder / "domain.py", depth=4) if m.startswith("services.") and is_layer(m)}
    assert not layers, f"{folder}/domain.py depends on {sorted(layers)}: rules stay below the use cases"
