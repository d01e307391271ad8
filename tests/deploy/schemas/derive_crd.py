"""Derive the committed schema of a custom resource from its CRD, as its project publishes it:
the served version's openAPIV3Schema, descriptions removed (they are most of the bytes and none of
the rules), everything else kept as it is. The tests turn it into a strict JSON Schema (k8s_schemas.py).

    python tests/deploy/schemas/derive_crd.py CRD.yaml VERSION > OUT.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def main(crd_file: str, version: str) -> int:
    crd = yaml.safe_load(open(crd_file, encoding="utf-8"))
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = {
        "group": crd["spec"]["group"],
        "kind": crd["spec"]["names"]["kind"],
        "version": version,
        "openAPIV3Schema": without_descriptions(served["schema"]["openAPIV3Schema"]),
    }
    json.dump(schema, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
