"""Export the JSON Schemas of every contract and detect backward-incompatible changes.

    python -m contracts.schema_export           # exit 1 if contracts/schemas/ is out of date
    python -m contracts.schema_export --write   # (re)write contracts/schemas/*.json (`make schemas`)

Files are never deleted: a removed contract is itself a breaking change, which
tests/contract/test_schemas.py reports until someone removes the file on purpose.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.api import charity as api_charity
from contracts.api import meetings as api_meetings
from contracts.api import needs as api_needs
from contracts.api import organizations as api_organizations
from contracts.api import party as api_party
from contracts.api import projects as api_projects
from contracts.api import supermarket as api_supermarket
from contracts.api import timebank as api_timebank
from contracts.api import venture as api_venture
from contracts.api import views as api_views
from contracts.api import volunteers as api_volunteers
from contracts.api import whistles as api_whistles
from contracts.envelope import Envelope
from contracts.events import ALL_EVENTS

SCHEMA_DIR = Path(__file__).parent / "schemas"

def _models_of(module) -> list[type[BaseModel]]:
    """The request and view models a module defines (not the ones it imports, nor its bases)."""
    return [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, BaseModel)
            and v.__module__ == module.__name__]


# Request and view models of the HTTP API. Nested models (ResidentIn, TimeWindow, ...) are
# covered through these; add a model here when a new endpoint exposes it.
API_MODELS: tuple[tuple[str, type[BaseModel]], ...] = tuple(
    ("needs", model)
    for model in (
        api_needs.NeedIn, api_needs.NeedCreated, api_needs.NeedView, api_needs.MatchingView, api_needs.NeedComposed,
        api_needs.AssessmentIn, api_needs.ResolutionIn, api_needs.FeedbackIn, api_needs.DisputeIn,
        api_needs.MediationDecisionIn, api_needs.RevisitIn, api_needs.MediationView, api_needs.TimelineEntry,
        api_needs.NeedPage, api_needs.NeedStats, api_needs.ConsentIn, api_needs.ResidentRegistrationIn,
        api_needs.ResidentCreated, api_needs.ResidentView, api_needs.SurveyIn, api_needs.SurveyCreated,
        api_needs.VisitIn, api_needs.VisitRecorded, api_needs.ProactiveVisit, api_needs.CategoryIn,
        api_needs.CategoryView, api_needs.NeedTrendPoint, api_needs.NeedLinkage,
        api_needs.ServiceLevelsIn, api_needs.ServiceLevelsView, api_needs.ServiceLevelChange,
    )
) + tuple(("volunteers", model) for model in _models_of(api_volunteers)) + tuple(
    ("timebank", model) for model in _models_of(api_timebank)) + tuple(
    ("charity", model) for model in _models_of(api_charity)) + tuple(
    ("supermarket", model) for model in _models_of(api_supermarket)) + tuple(
    ("party", model) for model in _models_of(api_party)) + tuple(
    ("projects", model) for model in _models_of(api_projects)) + tuple(
    ("meetings", model) for model in _models_of(api_meetings)) + tuple(
    ("whistles", model) for model in _models_of(api_whistles)) + tuple(
    ("organizations", model) for model in _models_of(api_organizations)) + tuple(
    ("venture", model) for model in _models_of(api_venture)) + tuple(
    ("views", model) for model in _models_of(api_views))

_BOUNDS_MAX = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_BOUNDS_MIN = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_EXACT = ("const", "format", "pattern")


def all_schemas() -> dict[str, dict]:
    """File stem -> JSON Schema: each event in its envelope, then each API model."""
    schemas = {e.type_name(): Envelope[e].model_json_schema(mode="validation") for e in ALL_EVENTS}
    for area, model in API_MODELS:
        schemas[f"api.{area}.{model.__name__}"] = model.model_json_schema(mode="validation")
    return schemas


def render(schema: dict) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def breaking_changes(old: dict, new: dict) -> list[str]:
    """Changes from `old` to `new` that would break a producer or consumer of `old`."""
    diff = _Diff(old, new)
    diff.compare(old, new, "$")
    return diff.changes


class _Diff:
    def __init__(self, old_root: dict, new_root: dict) -> None:
        self.roots = (old_root, new_root)
        self.changes: list[str] = []
        self.seen: set[tuple[str | None, str | None]] = set()  # $ref pairs already compared (recursive models)

    def resolve(self, schema: dict, root: dict) -> dict:
        while "$ref" in schema:
            target: Any = root
            for token in schema["$ref"].removeprefix("#/").split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            # keywords beside a $ref (pydantic puts description/default there) apply too
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def types(self, schema: dict, root: dict) -> frozenset[str]:
        schema = self.resolve(schema, root)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives:
            return frozenset().union(*(self.types(s, root) for s in alternatives))
        kind = schema.get("type", [])
        return frozenset([kind] if isinstance(kind, str) else kind)

    def compare(self, old: dict, new: dict, path: str) -> None:
        refs = (old.get("$ref"), new.get("$ref"))
        if refs != (None, None):
            if refs in self.seen:
                return
            self.seen.add(refs)
        old, new = self.resolve(old, self.roots[0]), self.resolve(new, self.roots[1])
        old_types, new_types = self.types(old, self.roots[0]), self.types(new, self.roots[1])
        if old_types != new_types:
            self.changes.append(f"{path}: type changed from {sorted(old_types)} to {sorted(new_types)}")
        old_alts, new_alts = _alternatives(old), _alternatives(new)
        if len(old_alts) != len(new_alts):
            self.changes.append(f"{path}: alternatives changed from {len(old_alts)} to {len(new_alts)}")
        elif old_alts == [old] and new_alts == [new]:
            self.constraints(old, new, path)
        else:  # one side is a union: pair its non-null alternatives (each step shrinks a side)
            for o, n in zip(old_alts, new_alts):
                self.compare(o, n, path)

    def constraints(self, old: dict, new: dict, path: str) -> None:
        for key in _EXACT:
            if old.get(key) != new.get(key):
                self.changes.append(f"{path}: {key} changed from {old.get(key)!r} to {new.get(key)!r}")
        if "enum" in new:
            lost = [v for v in old.get("enum", []) if v not in new["enum"]]
            if "enum" not in old:
                self.changes.append(f"{path}: now restricted to {new['enum']!r}")
            elif lost:
                self.changes.append(f"{path}: enum lost {lost!r}")
        for key in _BOUNDS_MAX:  # a tighter upper bound rejects values that used to be valid
            if key in new and (key not in old or new[key] < old[key]):
                self.changes.append(f"{path}: {key} tightened from {old.get(key)!r} to {new[key]!r}")
        for key in _BOUNDS_MIN:
            if key in new and (key not in old or new[key] > old[key]):
                self.changes.append(f"{path}: {key} tightened from {old.get(key)!r} to {new[key]!r}")
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            self.changes.append(f"{path}: additional properties are no longer allowed")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{path}.*")
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, schema in old_props.items():
            if name not in new_props:
                self.changes.append(f"{path}.{name}: property removed")
            else:
                self.compare(schema, new_props[name], f"{path}.{name}")
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            self.changes.append(f"{path}.{name}: property is now required")
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]")


def _alternatives(schema: dict) -> list[dict]:
    """The non-null branches of a union, or the schema itself (null-ness is in the type set)."""
    branches = schema.get("anyOf") or schema.get("oneOf")
    if not branches:
        return [schema]
    return [b for b in branches if b.get("type") != "null"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.schema_export", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write contracts/schemas/*.json")
    args = parser.parse_args(argv)
    generated = {stem: render(schema) for stem, schema in all_schemas().items()}
    if args.write:
        SCHEMA_DIR.mkdir(exist_ok=True)
        for stem, text in generated.items():
            (SCHEMA_DIR / f"{stem}.json").write_text(text, encoding="utf-8")
        print(f"wrote {len(generated)} schemas to {SCHEMA_DIR}")
        return 0
    committed = {p.stem: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}
    differing = 0
    for stem in sorted(generated.keys() | committed.keys()):
        if stem not in committed:
            print(f"new:     {stem}.json")
        elif stem not in generated:
            print(f"removed: {stem}.json (contract no longer exists — breaking)")
        elif json.loads(committed[stem]) != json.loads(generated[stem]):
            print(f"changed: {stem}.json")
            for change in breaking_changes(json.loads(committed[stem]), json.loads(generated[stem])):
                print(f"  breaking: {change}")
        else:
            continue
        differing += 1
    if differing:
        print("run `make schemas` to update the committed schemas (if the change is compatible)")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
