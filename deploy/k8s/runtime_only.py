"""Uninstall what only the dev extra needs, from the environment this runs in (the Containerfile's
build stage). requirements.lock pins the runtime and the dev dependencies together (`make lock`
compiles it with --extra dev), so the image installs all of it hash-checked and then drops the test,
lint and browser tools, which a production image has no use for.

    python deploy/k8s/runtime_only.py [--dry-run]
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "wushe"
KEEP = {"pip", "setuptools"}  # the environment's own tools


def closure(name: str, extras: frozenset[str] = frozenset()) -> set[str]:
    """`name` and every installed distribution it needs, with `extras`, markers evaluated here."""
    seen: set[str] = set()
    todo = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        key = canonicalize_name(current)
        try:
            requires = distribution(current).requires or []
        except PackageNotFoundError:
            continue  # an optional dependency that this platform does not install
        if key in seen and not wanted:
            continue
        seen.add(key)
        for text in requires:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": extra}) for extra in (wanted or {""})):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return seen


def dev_only() -> list[str]:
    return sorted(closure(PROJECT, frozenset({"dev"})) - closure(PROJECT) - KEEP)


def main(argv: list[str]) -> int:
    names = dev_only()
    print("dev-only: " + " ".join(names), flush=True)
    if "--dry-run" in argv or not names:
        return 0
    return subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *names])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
