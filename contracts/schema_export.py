"""Export the JSON Schemas of every contract and keep them backward compatible.

    python -m contracts.schema_export             # exit 1 if contracts/schemas/ is out of date
    python -m contracts.schema_export --write     # (re)write contracts/schemas/*.json (`make schemas`)
    python -m contracts.schema_export --history   # exit 1 if a committed schema broke along git history

A committed schema is a promise to the producers and consumers of its contract: a change may widen
it, never narrow it (`breaking_changes` says what a change narrows). Two checks hold the promise:

- `--write` refuses, writing nothing, to overwrite a committed schema with a narrower one;
- `check_history` (tests/contract/test_schemas.py, so `make test`) reads every version of every file
  of contracts/schemas/ in git since HISTORY_BASELINE, then the working tree, and reports each step
  that narrowed a schema. Regenerating, hand-editing, or deleting and re-creating a file cannot get
  a break past it, and without git history it fails instead of passing blind.

The way forward from a break depends on the schema's family (FAMILIES):

- events are versioned (`cn.wushe.<service>.<event>.v<N>`): publish version N+1 beside version N.
  A new stem is never a break. Messages of version N stay in the streams and the DLQ and must
  still parse, so no record can accept a break of an event's schema.
- API models carry no version: the whole HTTP API is /api/v1, released with the gateway and the
  console that call it. A `NeedInV2` class would change no URL and warn no client, so a version in
  the name would mean nothing. A break there is a release decision instead, and it has to be
  written down and reviewed: a record in contracts/schemas/BREAKING.json that names the contract,
  the exact new schema (sha256), its breaking changes and the reason. `--write` prints the record
  to fill in. A new model beside the old one is never a break.
- retiring a contract (deleting its class and its file) is also recorded there, with a reason.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from pydantic import BaseModel

from contracts.api import capabilities as api_capabilities
from contracts.api import charity as api_charity
from contracts.api import exchange as api_exchange
from contracts.api import meetings as api_meetings
from contracts.api import needs as api_needs
from contracts.api import organizations as api_organizations
from contracts.api import party as api_party
from contracts.api import projects as api_projects
from contracts.api import status as api_status
from contracts.api import supermarket as api_supermarket
from contracts.api import timebank as api_timebank
from contracts.api import venture as api_venture
from contracts.api import views as api_views
from contracts.api import volunteers as api_volunteers
from contracts.api import whistles as api_whistles
from contracts.envelope import TYPE_PREFIX, Envelope, Event
from contracts.events import ALL_EVENTS
from contracts.public import PUBLIC_EVENTS, PUBLIC_TYPE_PREFIX

SCHEMA_DIR = Path(__file__).parent / "schemas"
RECORDS_FILE = "BREAKING.json"  # reviewed breaks and retirements; lives beside the schemas, is not one
# The history check starts at the last commit that changed contracts/schemas/ before the gate
# existed: versions before it hold breaks made without a record (the category pattern of e354980,
# the 10^12 fen ceiling of db46b0b). Move it only to a commit whose history this check has passed.
HISTORY_BASELINE = "db46b0b2fc75c68bef89dd08b98af5f4cc031eff"
WORKING_TREE = "工作区 / working tree"


def _models_of(module: ModuleType) -> list[type[BaseModel]]:
    """The request and view models a module defines (not the ones it imports, nor its bases)."""
    return [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == module.__name__
    ]


# Request and view models of the HTTP API. Nested models (ResidentIn, TimeWindow, ...) are
# covered through these; add a model here when a new endpoint exposes it.
API_MODELS: tuple[tuple[str, type[BaseModel]], ...] = (
    tuple(
        ("needs", model)
        for model in (
            api_needs.NeedIn,
            api_needs.NeedCreated,
            api_needs.NeedView,
            api_needs.MatchingView,
            api_needs.NeedComposed,
            api_needs.AssessmentIn,
            api_needs.ResolutionIn,
            api_needs.FeedbackIn,
            api_needs.DisputeIn,
            api_needs.MediationDecisionIn,
            api_needs.RevisitIn,
            api_needs.MediationView,
            api_needs.TimelineEntry,
            api_needs.NeedPage,
            api_needs.NeedStats,
            api_needs.ConsentIn,
            api_needs.ResidentRegistrationIn,
            api_needs.ResidentCreated,
            api_needs.ResidentView,
            api_needs.SurveyIn,
            api_needs.SurveyCreated,
            api_needs.VisitIn,
            api_needs.VisitRecorded,
            api_needs.ProactiveVisit,
            api_needs.CategoryIn,
            api_needs.CategoryView,
            api_needs.NeedTrendPoint,
            api_needs.NeedLinkage,
            api_needs.ServiceLevelsIn,
            api_needs.ServiceLevelsView,
            api_needs.ServiceLevelChange,
            api_needs.MyNeed,
            api_needs.MyNeeds,
        )
    )
    + tuple(("volunteers", model) for model in _models_of(api_volunteers))
    + tuple(("timebank", model) for model in _models_of(api_timebank))
    + tuple(("charity", model) for model in _models_of(api_charity))
    + tuple(("supermarket", model) for model in _models_of(api_supermarket))
    + tuple(("party", model) for model in _models_of(api_party))
    + tuple(("projects", model) for model in _models_of(api_projects))
    + tuple(("meetings", model) for model in _models_of(api_meetings))
    + tuple(("whistles", model) for model in _models_of(api_whistles))
    + tuple(("organizations", model) for model in _models_of(api_organizations))
    + tuple(("venture", model) for model in _models_of(api_venture))
    + tuple(("status", model) for model in _models_of(api_status))
    + tuple(("views", model) for model in _models_of(api_views))
    + tuple(("exchange", model) for model in _models_of(api_exchange))
    + tuple(("capabilities", model) for model in _models_of(api_capabilities))
)


def event_schemas(events: Iterable[type[Event]]) -> dict[str, dict[str, Any]]:
    """Each event in its envelope, by CloudEvents type: the stem carries the event's version."""
    # Envelope is parametrized by each event class at runtime, which mypy cannot express: cast(Any, ...)
    return {e.type_name(): cast(Any, Envelope)[e].model_json_schema(mode="validation") for e in events}


def model_schemas(prefix: str, models: Iterable[tuple[str, type[BaseModel]]]) -> dict[str, dict[str, Any]]:
    """Each model by `<prefix><area>.<class name>`."""
    return {f"{prefix}{area}.{m.__name__}": m.model_json_schema(mode="validation") for area, m in models}


@dataclass(frozen=True)
class Family:
    """A family of committed schemas: the stems it owns (by prefix, the longest prefix wins), how
    its schemas are made, and whether a reviewed record may accept a break (else: a new version)."""

    zh: str
    en: str
    prefix: str
    schemas: Callable[[], dict[str, dict[str, Any]]]
    recordable: bool


EVENTS = Family("事件", "events", f"{TYPE_PREFIX}.", lambda: event_schemas(ALL_EVENTS), recordable=False)
API = Family("接口模型", "API models", "api.", lambda: model_schemas("api.", API_MODELS), recordable=True)
# the partner events of contracts/public/: versioned like the internal ones, a promise to partners
PUBLIC = Family(
    "公开事件", "public events", f"{PUBLIC_TYPE_PREFIX}.", lambda: event_schemas(PUBLIC_EVENTS), recordable=False
)
FAMILIES: tuple[Family, ...] = (EVENTS, API, PUBLIC)


def family_of(stem: str) -> Family | None:
    return max((f for f in FAMILIES if stem.startswith(f.prefix)), key=lambda f: len(f.prefix), default=None)


def all_schemas() -> dict[str, dict[str, Any]]:
    """File stem -> JSON Schema, over every family."""
    schemas: dict[str, dict[str, Any]] = {}
    for family in FAMILIES:
        for stem, schema in family.schemas().items():
            if family_of(stem) is not family:
                raise ValueError(
                    f"{stem} 不属于{family.zh}（前缀 {family.prefix}）/ is not one of the "
                    f"{family.en} (prefix {family.prefix})"
                )
            if stem in schemas:
                raise ValueError(f"{stem} 重复生成 / is generated twice")
            schemas[stem] = json.loads(json.dumps(schema))  # as a file reads back: lists, not tuples
    return schemas


def committed_schemas(schema_dir: Path) -> dict[str, dict[str, Any]]:
    """The schemas in `schema_dir` as they are on disk (the records file is not one)."""
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(schema_dir.glob("*.json"))
        if p.name != RECORDS_FILE
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def digest(schema: dict[str, Any]) -> str:
    """sha256 of the schema as `render` writes it, so whitespace of a hand-edited file does not count."""
    return hashlib.sha256(render(schema).encode("utf-8")).hexdigest()


# --- reviewed records: contracts/schemas/BREAKING.json ------------------------------------


@dataclass(frozen=True)
class Records:
    """`accepted`: {contract, schema_sha256, changes, reason} — one break into exactly that schema;
    `retired`: {contract, reason} — a contract removed on purpose."""

    accepted: tuple[dict[str, Any], ...] = ()
    retired: tuple[dict[str, Any], ...] = ()


def load_records(schema_dir: Path) -> Records:
    path = schema_dir / RECORDS_FILE
    if not path.exists():
        return Records()
    data = json.loads(path.read_text(encoding="utf-8"))
    records = Records(tuple(data.get("accepted", ())), tuple(data.get("retired", ())))
    if not all(isinstance(r, dict) for r in records.accepted + records.retired):
        raise ValueError(f"{path}: accepted 与 retired 须为对象列表 / accepted and retired must be lists of objects")
    return records


def record_template(stem: str, schema: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    return {
        "contract": stem,
        "schema_sha256": digest(schema),
        "changes": changes,
        "reason": "（必填：为何接受、如何通知调用方 / required: why, and how the callers are told）",
    }


def _has_reason(record: dict[str, Any]) -> bool:
    reason = str(record.get("reason") or "").strip()
    return bool(reason) and not reason.startswith("（必填")


def refusal(records: Records, stem: str, schema: dict[str, Any], changes: list[str]) -> str | None:
    """None when a reviewed record accepts this break into `schema`, else why the break stands."""
    family = family_of(stem)
    if family is None:
        return "不属于任何契约族 / belongs to no schema family"
    if not family.recordable:
        return f"{family.zh}的不兼容变更不能登记 / a break of {family.en} cannot be recorded"
    record = next(
        (r for r in records.accepted if r.get("contract") == stem and r.get("schema_sha256") == digest(schema)), None
    )
    if record is None:
        return f"未在 {RECORDS_FILE} 登记 / not recorded in {RECORDS_FILE}"
    if record.get("changes") != changes:
        return f"{RECORDS_FILE} 登记的 changes 与实际不符 / the recorded changes differ from these"
    if not _has_reason(record):
        return f"{RECORDS_FILE} 的登记没有理由 / the record gives no reason"
    return None


def way_forward(stem: str, schema: dict[str, Any], changes: list[str], schema_dir: Path) -> list[str]:
    """What to do instead of breaking `stem`, one line per option."""
    family, options = family_of(stem), []
    if versioned := re.fullmatch(r"(.+\.v)(\d+)", stem):
        n = int(versioned[2]) + 1
        options.append(
            f"发布新版本：新建 version = {n}、名称不变的契约类（写出 {versioned[1]}{n}.json），旧版本保留，"
            f"流里的旧消息仍按它解析 / publish a new version: a new contract class with version = {n} and "
            f"the same name (it writes {versioned[1]}{n}.json); keep the old one, the streams' messages "
            "of that version are still read with it"
        )
    else:
        options.append(
            "新增一个模型与旧模型并存（新名字不是不兼容变更）/ add a new model beside the old one "
            "(a new name is no break)"
        )
    if family is not None and family.recordable:
        records = schema_dir / RECORDS_FILE
        options.append(
            f"或经评审接受：把下面的登记加入 {records} 的 accepted 并写明理由 / or accept it after "
            f"review: add this record to `accepted` in {records}, with the reason: "
            + json.dumps(record_template(stem, schema, changes), ensure_ascii=False)
        )
    return options


_BOUNDS_MAX = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_BOUNDS_MIN = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_EXACT = ("const", "format", "pattern")


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Changes from `old` to `new` that would break a producer or consumer of `old`."""
    diff = _Diff(old, new)
    diff.compare(old, new, "$")
    return diff.changes


class _Diff:
    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.roots = (old_root, new_root)
        self.changes: list[str] = []
        self.seen: set[tuple[str | None, str | None]] = set()  # $ref pairs already compared (recursive models)

    def resolve(self, schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            target: Any = root
            for token in schema["$ref"].removeprefix("#/").split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            # keywords beside a $ref (pydantic puts description/default there) apply too
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def types(self, schema: dict[str, Any], root: dict[str, Any]) -> frozenset[str]:
        schema = self.resolve(schema, root)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives:
            return frozenset().union(*(self.types(s, root) for s in alternatives))
        kind = schema.get("type", [])
        return frozenset([kind] if isinstance(kind, str) else kind)

    def compare(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        refs = (old.get("$ref"), new.get("$ref"))
        if refs != (None, None):
            if refs in self.seen:
                return
            self.seen.add(refs)
        old, new = self.resolve(old, self.roots[0]), self.resolve(new, self.roots[1])
        old_types, new_types = self.types(old, self.roots[0]), self.types(new, self.roots[1])
        if old_types != new_types:
            self.changes.append(f"{path}: 类型改变 / type changed: {sorted(old_types)} → {sorted(new_types)}")
        old_alts, new_alts = _alternatives(old), _alternatives(new)
        if len(old_alts) != len(new_alts):
            self.changes.append(f"{path}: 可选分支数改变 / alternatives changed: {len(old_alts)} → {len(new_alts)}")
        elif old_alts == [old] and new_alts == [new]:
            self.constraints(old, new, path)
        else:  # one side is a union: pair its non-null alternatives (each step shrinks a side)
            for o, n in zip(old_alts, new_alts, strict=False):
                self.compare(o, n, path)

    def constraints(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key in _EXACT:
            if old.get(key) != new.get(key):
                self.changes.append(f"{path}: {key} 改变 / changed: {old.get(key)!r} → {new.get(key)!r}")
        if "enum" in new:
            lost = [v for v in old.get("enum", []) if v not in new["enum"]]
            if "enum" not in old:
                self.changes.append(f"{path}: 新加了取值限制 / now restricted to: {new['enum']!r}")
            elif lost:
                self.changes.append(f"{path}: 枚举值被删除 / enum lost: {lost!r}")
        for key in _BOUNDS_MAX:  # a tighter upper bound rejects values that used to be valid
            if key in new and (key not in old or new[key] < old[key]):
                self.changes.append(f"{path}: {key} 收紧 / tightened: {old.get(key)!r} → {new[key]!r}")
        for key in _BOUNDS_MIN:
            if key in new and (key not in old or new[key] > old[key]):
                self.changes.append(f"{path}: {key} 收紧 / tightened: {old.get(key)!r} → {new[key]!r}")
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            self.changes.append(f"{path}: 不再允许额外属性 / additional properties are no longer allowed")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{path}.*")
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, schema in old_props.items():
            if name not in new_props:
                self.changes.append(f"{path}.{name}: 属性被删除 / property removed")
            else:
                self.compare(schema, new_props[name], f"{path}.{name}")
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            self.changes.append(f"{path}.{name}: 属性变为必填 / property is now required")
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]")


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null branches of a union, or the schema itself (null-ness is in the type set)."""
    branches = schema.get("anyOf") or schema.get("oneOf")
    if not branches:
        return [schema]
    return [b for b in branches if b.get("type") != "null"]


# --- the history check -------------------------------------------------------------------


class HistoryUnavailable(RuntimeError):
    """git cannot show the history the check needs: the check fails rather than passes blind."""


def _git(cwd: Path, *args: str, stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> tuple[int, bytes]:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], input=stdin, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise HistoryUnavailable(f"`git {' '.join(args[:3])}` 超时 / timed out") from None
    except FileNotFoundError:
        raise HistoryUnavailable(
            "找不到 git：兼容性检查要读 contracts/schemas/ 的 git 历史 / git is not installed: "
            "the compatibility check reads the git history of contracts/schemas/"
        ) from None
    if done.returncode not in ok:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise HistoryUnavailable(f"`git {' '.join(args[:3])}` 失败 / failed ({done.returncode}): {message}")
    return done.returncode, done.stdout


def _require_history(schema_dir: Path, baseline: str) -> None:
    if not schema_dir.is_dir():
        raise HistoryUnavailable(f"没有目录 / no directory {schema_dir}")
    _git(schema_dir, "rev-parse", "--is-inside-work-tree")
    present, _ = _git(schema_dir, "cat-file", "-e", f"{baseline}^{{commit}}", ok=(0, 1, 128))
    if present:
        _, shallow = _git(schema_dir, "rev-parse", "--is-shallow-repository")
        hint = (
            "这是浅克隆，请取完整历史：git fetch --unshallow（CI 里 fetch-depth: 0）/ this is a shallow clone: "
            "fetch the whole history with `git fetch --unshallow` (in CI: fetch-depth: 0)"
            if shallow.strip() == b"true"
            else "历史被改写了？/ was the history rewritten?"
        )
        raise HistoryUnavailable(
            f"兼容性检查的起点提交 {baseline} 不在本仓库 / the compatibility check starts "
            f"at commit {baseline}, which this repository lacks. {hint}"
        )
    ancestor, _ = _git(schema_dir, "merge-base", "--is-ancestor", baseline, "HEAD", ok=(0, 1))
    if ancestor:
        raise HistoryUnavailable(
            f"起点提交 {baseline} 不是 HEAD 的祖先 / the baseline {baseline} is not an ancestor of HEAD"
        )


def _versions(schema_dir: Path, baseline: str) -> list[tuple[str, str, str | None]]:
    """(commit, file, blob — None when deleted): the baseline's files, then every change on the
    first-parent line after it (a merge counts as one change against the line it joined), oldest first."""
    _, tree = _git(schema_dir, "ls-tree", "-r", baseline, "--", ".")
    versions: list[tuple[str, str, str | None]] = []
    for line in tree.decode().splitlines():
        meta, name = line.split("\t", 1)
        versions.append((baseline, name, meta.split()[2]))
    _, log = _git(
        schema_dir,
        "log",
        "--first-parent",
        "--reverse",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "--relative",
        "--format=commit %H",
        f"{baseline}..HEAD",
        "--",
        ".",
    )
    commit = baseline
    for line in log.decode().splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.startswith(":"):
            meta, name = line.split("\t", 1)
            blob = meta.split()[3]
            versions.append((commit, name, None if set(blob) == {"0"} else blob))
    return versions


def _blobs(schema_dir: Path, shas: set[str]) -> dict[str, bytes]:
    """Every blob in one `git cat-file --batch`, whatever the length of the history."""
    order = sorted(shas)
    _, out = _git(schema_dir, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in order).encode())
    blobs, at = {}, 0
    for sha in order:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        blobs[sha] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return blobs


@dataclass
class HistoryReport:
    """What `check_history` found: the problems, and how much it read (versions, comparisons)."""

    problems: list[str] = field(default_factory=list)
    versions: int = 0
    comparisons: int = 0


@dataclass
class _Chain:
    """The last version of each schema along the history, and the breaks between versions."""

    schema_dir: Path
    records: Records
    report: HistoryReport
    last: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    used: set[tuple[str, str]] = field(default_factory=set)

    def step(self, stem: str, where: str, schema: dict[str, Any]) -> None:
        self.report.versions += 1
        if stem not in self.last and family_of(stem) is None:
            self.report.problems.append(f"{stem}（{_short(where)}）: 不属于任何契约族 / belongs to no schema family")
        if stem in self.last and self.last[stem][1] != schema:
            self.report.comparisons += 1
            self.compare(stem, *self.last[stem], where, schema)
        self.last[stem] = (where, schema)

    def compare(self, stem: str, old_where: str, old: dict[str, Any], where: str, new: dict[str, Any]) -> None:
        changes = breaking_changes(old, new)
        if not changes:
            return
        why = refusal(self.records, stem, new, changes)
        if why is None:
            self.used.add((stem, digest(new)))
            return
        lines = [f"{stem}: {_short(old_where)} → {_short(where)}", *changes, f"不兼容，{why}"]
        self.report.problems.append("\n    ".join(lines + way_forward(stem, new, changes, self.schema_dir)))


def _short(where: str) -> str:
    return where if where == WORKING_TREE else where[:10]


def check_history(schema_dir: Path | None = None, baseline: str = HISTORY_BASELINE) -> HistoryReport:
    """Every step that narrowed a committed schema since `baseline`: along git's first-parent history
    of `schema_dir`, then from HEAD to the working tree; plus removals and records that do not hold.
    Raises HistoryUnavailable when git cannot show that history."""
    schema_dir = SCHEMA_DIR if schema_dir is None else schema_dir
    _require_history(schema_dir, baseline)
    versions = [
        (c, name[:-5], blob)
        for c, name, blob in _versions(schema_dir, baseline)
        if name.endswith(".json") and name != RECORDS_FILE
    ]
    blobs = _blobs(schema_dir, {blob for _, _, blob in versions if blob})
    records = load_records(schema_dir)
    chain = _Chain(schema_dir, records, HistoryReport(problems=record_problems(records)))
    for commit, stem, blob in versions:
        if blob is not None:  # a deleted file keeps its last version: re-creating it continues the chain
            chain.step(stem, commit, json.loads(blobs[blob]))
    present = committed_schemas(schema_dir)
    for stem, schema in present.items():
        chain.step(stem, WORKING_TREE, schema)
    chain.report.problems += _removals(records, chain.last.keys() - present.keys(), present.keys())
    chain.report.problems += [
        f"{r.get('contract')}: {RECORDS_FILE} 的登记不对应历史中的任何变更 / the record in {RECORDS_FILE} "
        f"matches no change in the history (schema_sha256 {r.get('schema_sha256')})"
        for r in records.accepted
        if (r.get("contract"), r.get("schema_sha256")) not in chain.used
    ]
    return chain.report


def record_problems(records: Records) -> list[str]:
    """Records that cannot stand whatever the history: unknown or event contracts, no reason."""
    problems = []
    for record in records.accepted + records.retired:
        stem = str(record.get("contract"))
        if family_of(stem) is None:
            problems.append(
                f"{stem}: {RECORDS_FILE} 登记了不属于任何契约族的契约 / {RECORDS_FILE} records a "
                "contract of no schema family"
            )
        if not _has_reason(record):
            problems.append(f"{stem}: {RECORDS_FILE} 的登记没有理由 / the record in {RECORDS_FILE} gives no reason")
    for record in records.accepted:
        family = family_of(str(record.get("contract")))
        if family is not None and not family.recordable:
            problems.append(
                f"{record.get('contract')}: {family.zh}的不兼容变更不能登记，请发布新版本 / a break of "
                f"{family.en} cannot be recorded: publish a new version"
            )
    return problems


def _removals(records: Records, removed: set[str], present: Iterable[str]) -> list[str]:
    retired = {str(r.get("contract")) for r in records.retired}
    problems = [
        f"{stem}: 契约被删除而未在 {RECORDS_FILE} 的 retired 登记 / the contract was removed without a "
        f"`retired` record in {RECORDS_FILE}"
        for stem in sorted(removed - retired)
    ]
    problems += [
        f"{stem}: 登记为已退役，但文件仍在 / recorded as retired, but its file is still there"
        for stem in sorted(retired & set(present))
    ]
    return problems


# --- the command -------------------------------------------------------------------------


def write(schema_dir: Path, generated: dict[str, dict[str, Any]]) -> int:
    """Write every generated schema, or none if one would break its committed version unrecorded."""
    committed, records = committed_schemas(schema_dir), load_records(schema_dir)
    refused = {}
    for stem, schema in generated.items():
        changes = breaking_changes(committed[stem], schema) if stem in committed else []
        if changes and (why := refusal(records, stem, schema, changes)):
            refused[stem] = (changes, why)
    if refused:
        print(
            f"拒绝写入：{len(refused)} 个契约的变更不向后兼容，未写入任何文件 / refused: the changes of "
            f"{len(refused)} contracts are backward-incompatible; nothing was written"
        )
        for stem, (changes, why) in sorted(refused.items()):
            family = cast(Family, family_of(stem))  # all_schemas gave every generated stem a family
            print(f"\n{stem}（{family.zh} / {family.en}）")
            for line in changes:
                print(f"  不兼容 / breaking  {line}")
            print(f"  {why}")
            for option in way_forward(stem, generated[stem], changes, schema_dir):
                print(f"  → {option}")
        return 1
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for stem, schema in generated.items():
        path, text = schema_dir / f"{stem}.json", render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    print(f"已写入 {written} 个（共 {len(generated)} 个）/ wrote {written} of {len(generated)} schemas to {schema_dir}")
    return 0


def check(schema_dir: Path, generated: dict[str, dict[str, Any]]) -> int:
    """Exit 1 when the committed schemas differ from the code, saying how."""
    committed, records = committed_schemas(schema_dir), load_records(schema_dir)
    differing = 0
    for stem in sorted(generated.keys() | committed.keys()):
        if stem not in committed:
            print(f"新增 / new:      {stem}.json")
        elif stem not in generated:
            print(f"删除 / removed:  {stem}.json（契约已不存在，不兼容 / the contract no longer exists: breaking）")
        elif committed[stem] != generated[stem]:
            print(f"改变 / changed:  {stem}.json")
            changes = breaking_changes(committed[stem], generated[stem])
            why = refusal(records, stem, generated[stem], changes) if changes else None
            for line in changes:
                print(f"  {'不兼容 / breaking' if why else '已登记 / recorded'}  {line}")
        else:
            continue
        differing += 1
    if differing:
        print(
            "请运行 `make schemas` 更新并提交（不兼容的变更会被拒绝）/ run `make schemas` and commit the result "
            "(a backward-incompatible change is refused)"
        )
    return 1 if differing else 0


def check_history_command(schema_dir: Path) -> int:
    try:
        report = check_history(schema_dir)
    except HistoryUnavailable as e:
        print(f"无法检查历史 / cannot check the history: {e}")
        return 1
    for problem in report.problems:
        print(problem)
    print(
        f"读取 {report.versions} 个版本，比较 {report.comparisons} 次，问题 {len(report.problems)} 个 / read "
        f"{report.versions} versions, {report.comparisons} comparisons, {len(report.problems)} problems "
        f"since {HISTORY_BASELINE[:10]}"
    )
    return 1 if report.problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.schema_export", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write contracts/schemas/*.json unless a change breaks")
    mode.add_argument("--history", action="store_true", help="check every committed version since the baseline")
    args = parser.parse_args(argv)
    if args.history:
        return check_history_command(SCHEMA_DIR)
    generated = all_schemas()
    return write(SCHEMA_DIR, generated) if args.write else check(SCHEMA_DIR, generated)


if __name__ == "__main__":
    sys.exit(main())
