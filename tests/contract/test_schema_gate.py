"""The schema-compatibility gate itself, on contracts of its own: `--write` refuses a break and writes
nothing, writes a compatible change and a new version, takes an API break only with a reviewed
record; the history check walks a real git repository built here and catches what `--write` never
sees (a hand-edited commit, a file deleted and re-created, an uncommitted edit, a removal), and fails
— never skips — without git history."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field

from contracts import schema_export
from contracts.envelope import Event
from contracts.schema_export import (
    API,
    EVENTS,
    RECORDS_FILE,
    WORKING_TREE,
    Family,
    HistoryUnavailable,
    check_history,
    event_schemas,
    model_schemas,
    render,
)

# --- contracts of the test's own ---------------------------------------------------------


def note_model(max_length: int = 100, *, with_tags: bool = False) -> type[BaseModel]:
    """An API model `NoteIn` (the same stem whatever the variant)."""

    class NoteIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str = Field(max_length=max_length)
        if with_tags:
            tags: list[str] = Field(default_factory=list)

    return NoteIn


def parcel_event(max_length: int = 40, *, version: int = 1, service: str = "gatetest") -> type[Event]:
    """The event `parcel_delivered` at `version`: a new version is a new class with the same name."""
    owner, number = service, version

    class ParcelDelivered(Event):
        service: ClassVar[str] = owner
        version: ClassVar[int] = number
        parcel_id: str = Field(max_length=max_length)

    return ParcelDelivered


@dataclasses.dataclass
class Contracts:
    """What the monkeypatched families export: change it between runs as code would change."""

    events: list[type[Event]]
    models: list[type[BaseModel]]
    public: list[type[Event]] = dataclasses.field(default_factory=list)


@pytest.fixture
def contracts(tmp_path, monkeypatch) -> Contracts:
    """schema_export pointed at a temporary schema directory and at this module's contracts, through
    the production families (same names, prefixes and rules; only the models differ)."""
    current = Contracts(events=[parcel_event()], models=[note_model()])
    monkeypatch.setattr(schema_export, "SCHEMA_DIR", tmp_path / "schemas")
    monkeypatch.setattr(
        schema_export,
        "FAMILIES",
        (
            dataclasses.replace(EVENTS, schemas=lambda: event_schemas(current.events)),
            dataclasses.replace(API, schemas=lambda: model_schemas("api.", [("gate", m) for m in current.models])),
        ),
    )
    return current


NOTE = "api.gate.NoteIn"
PARCEL = "cn.wushe.gatetest.parcel_delivered.v1"
PARCEL_V2 = "cn.wushe.gatetest.parcel_delivered.v2"


def files(schema_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(schema_dir.glob("*.json"))}


def write(capsys) -> tuple[int, str]:
    code = schema_export.main(["--write"])
    return code, capsys.readouterr().out


# --- --write ----------------------------------------------------------------------------


def test_write_refuses_a_breaking_change_and_writes_nothing(contracts, capsys):
    assert write(capsys)[0] == 0
    before = files(schema_export.SCHEMA_DIR)
    contracts.models = [note_model(max_length=50)]  # breaking: a tighter bound
    contracts.events = [parcel_event(max_length=80)]  # compatible, but in the same refused run

    code, out = write(capsys)

    assert code == 1
    assert files(schema_export.SCHEMA_DIR) == before
    assert out.index("拒绝写入") < out.index("refused") < out.index(NOTE)
    assert f"{NOTE}（接口模型 / API models）" in out
    assert "$.text: maxLength 收紧 / tightened: 100 → 50" in out
    assert PARCEL not in out


def test_write_writes_a_compatible_change(contracts, capsys):
    assert write(capsys)[0] == 0
    contracts.models = [note_model(max_length=200, with_tags=True)]  # a looser bound, a new optional field

    code, out = write(capsys)

    assert code == 0, out
    written = json.loads((schema_export.SCHEMA_DIR / f"{NOTE}.json").read_text(encoding="utf-8"))
    assert written["properties"]["text"]["maxLength"] == 200
    assert "tags" in written["properties"]


def test_an_event_break_is_refused_naming_its_next_version(contracts, capsys):
    assert write(capsys)[0] == 0
    contracts.events = [parcel_event(max_length=20)]

    code, out = write(capsys)

    assert code == 1
    assert f"{PARCEL}（事件 / events）" in out
    assert f"{PARCEL_V2}.json" in out and "version = 2" in out
    assert RECORDS_FILE not in out.split(PARCEL, 1)[1]  # no record is offered for an event


def test_a_new_version_beside_the_old_one_is_written(contracts, capsys):
    assert write(capsys)[0] == 0
    v1 = files(schema_export.SCHEMA_DIR)[f"{PARCEL}.json"]
    contracts.events = [parcel_event(), parcel_event(max_length=20, version=2)]

    code, out = write(capsys)

    assert code == 0, out
    written = files(schema_export.SCHEMA_DIR)
    assert written[f"{PARCEL}.json"] == v1
    assert (
        json.loads(written[f"{PARCEL_V2}.json"])["$defs"]["ParcelDelivered"]["properties"]["parcel_id"]["maxLength"]
        == 20
    )


def record_printed(out: str) -> dict:
    return json.loads(out[out.index('{"contract"') :].splitlines()[0])


def put_records(schema_dir: Path, accepted=(), retired=()) -> None:
    (schema_dir / RECORDS_FILE).write_text(
        json.dumps({"accepted": list(accepted), "retired": list(retired)}, ensure_ascii=False), encoding="utf-8"
    )


def test_an_api_break_is_written_once_a_reviewed_record_accepts_it(contracts, capsys):
    assert write(capsys)[0] == 0
    contracts.models = [note_model(max_length=50)]
    code, out = write(capsys)
    assert code == 1
    record = record_printed(out)
    assert record["contract"] == NOTE and record["changes"] == ["$.text: maxLength 收紧 / tightened: 100 → 50"]

    put_records(schema_export.SCHEMA_DIR, [{**record, "schema_sha256": "0" * 64, "reason": "别的 schema / another"}])
    code, out = write(capsys)
    assert code == 1 and "未在 BREAKING.json 登记 / not recorded" in out  # a record accepts one exact schema

    put_records(schema_export.SCHEMA_DIR, [record])  # the printed record, reason not filled in
    code, out = write(capsys)
    assert code == 1 and "没有理由 / the record gives no reason" in out

    put_records(schema_export.SCHEMA_DIR, [{**record, "changes": ["$.text: something else"]}])
    code, out = write(capsys)
    assert code == 1 and "与实际不符 / the recorded changes differ" in out

    put_records(schema_export.SCHEMA_DIR, [{**record, "reason": "便民热线网关已于同日切换 / the 12345 portal moved"}])
    code, out = write(capsys)
    assert code == 0, out
    written = json.loads((schema_export.SCHEMA_DIR / f"{NOTE}.json").read_text(encoding="utf-8"))
    assert written["properties"]["text"]["maxLength"] == 50


def test_a_record_cannot_accept_an_event_break(contracts, capsys):
    assert write(capsys)[0] == 0
    contracts.events = [parcel_event(max_length=20)]
    schema = schema_export.all_schemas()[PARCEL]
    changes = schema_export.breaking_changes(
        json.loads((schema_export.SCHEMA_DIR / f"{PARCEL}.json").read_text(encoding="utf-8")), schema
    )
    put_records(
        schema_export.SCHEMA_DIR,
        [
            {
                "contract": PARCEL,
                "schema_sha256": schema_export.digest(schema),
                "changes": changes,
                "reason": "想省事 / convenience",
            }
        ],
    )

    code, out = write(capsys)

    assert code == 1 and "事件的不兼容变更不能登记 / a break of events cannot be recorded" in out


def test_a_future_family_is_gated_by_listing_it(contracts, capsys, monkeypatch):
    """contracts/public/ joins FAMILIES with one entry; its stems share the events' prefix, and the
    longer prefix makes them its own, under its own rule."""
    public = Family(
        "公开事件", "public events", "cn.wushe.public.", lambda: event_schemas(contracts.public), recordable=False
    )
    monkeypatch.setattr(schema_export, "FAMILIES", (*schema_export.FAMILIES, public))
    contracts.public = [parcel_event(service="public")]
    assert write(capsys)[0] == 0
    stem = "cn.wushe.public.parcel_delivered.v1"
    assert schema_export.family_of(stem) is public and schema_export.family_of(PARCEL).en == "events"
    contracts.public = [parcel_event(max_length=20, service="public")]

    code, out = write(capsys)

    assert code == 1 and f"{stem}（公开事件 / public events）" in out


# --- the history check on a repository of its own ------------------------------------------


class Repo:
    """A git repository in a temporary directory, its schemas under contracts/schemas/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.schemas = root / "contracts" / "schemas"
        self.schemas.mkdir(parents=True)
        self.git("init", "-q")

    def git(self, *args: str) -> str:
        return subprocess.run(
            [
                "git",
                "-c",
                "user.name=gate",
                "-c",
                "user.email=gate@example.invalid",
                "-c",
                "commit.gpgsign=false",
                *args,
            ],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def put(self, **schemas: type[BaseModel] | dict | None) -> None:
        """Write (a model's schema or a dict) or delete (None) files, by stem with `.` written as `__`."""
        for key, value in schemas.items():
            path = self.schemas / f"{key.replace('__', '.')}.json"
            if value is None:
                path.unlink()
            else:
                schema = value if isinstance(value, dict) else value.model_json_schema(mode="validation")
                path.write_text(render(schema), encoding="utf-8")

    def commit(self, message: str, **schemas: type[BaseModel] | dict | None) -> str:
        self.put(**schemas)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Repo:
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # e.g. when run from a git hook
        monkeypatch.delenv(name, raising=False)
    return Repo(tmp_path / "repo")


N = "api__gate__NoteIn"  # the key Repo.put takes for api.gate.NoteIn


def problems(repo: Repo, baseline: str) -> list[str]:
    return check_history(repo.schemas, baseline).problems


def test_a_compatible_history_passes(repo):
    base = repo.commit("v1", **{N: note_model()})
    repo.commit("looser", **{N: note_model(max_length=200, with_tags=True)})

    report = check_history(repo.schemas, base)

    assert report.problems == [] and report.comparisons == 1


def test_a_break_committed_by_hand_is_caught_at_its_commit(repo):
    base = repo.commit("v1", **{N: note_model()})
    broken = repo.commit("hand-edited", **{N: note_model(max_length=50)})

    (problem,) = problems(repo, base)

    assert problem.startswith(f"{NOTE}: {base[:10]} → {broken[:10]}")
    assert "$.text: maxLength 收紧 / tightened: 100 → 50" in problem
    assert "不兼容，未在 BREAKING.json 登记 / not recorded in BREAKING.json" in problem


def test_an_uncommitted_edit_of_a_committed_file_is_caught(repo):
    base = repo.commit("v1", **{N: note_model()})
    repo.put(**{N: note_model(max_length=50)})

    (problem,) = problems(repo, base)

    assert problem.startswith(f"{NOTE}: {base[:10]} → {WORKING_TREE}")


def test_a_merge_is_one_step_of_the_line_it_joins(repo):
    """Two branches each add an optional field: no false break between their versions, and a break
    that arrives by the merge is caught at the merge commit."""
    base = repo.commit("v1", **{N: note_model()})
    main = repo.git("branch", "--show-current")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side: tags", **{N: note_model(with_tags=True)})
    repo.git("checkout", "-q", main)
    repo.commit("main: looser", **{N: note_model(max_length=300)})
    repo.git("merge", "-q", "--no-ff", "-X", "theirs", "-m", "merge side", "side")
    assert problems(repo, base) == []

    repo.git("checkout", "-q", "side")
    repo.commit("side: narrower", **{N: note_model(max_length=10, with_tags=True)})
    repo.git("checkout", "-q", main)
    repo.git("merge", "-q", "--no-ff", "-X", "theirs", "-m", "merge side again", "side")
    merge = repo.git("rev-parse", "HEAD")

    (problem,) = problems(repo, base)
    assert f"→ {merge[:10]}" in problem.splitlines()[0] and "maxLength" in problem


def test_deleting_and_recreating_a_file_continues_its_chain(repo):
    base = repo.commit("v1", **{N: note_model()})
    repo.commit("gone", **{N: None})
    recreated = repo.commit("back, narrower", **{N: note_model(max_length=50)})

    (problem,) = problems(repo, base)

    assert problem.startswith(f"{NOTE}: {base[:10]} → {recreated[:10]}")


def test_the_chain_starts_at_the_baseline(repo):
    repo.commit("v1", **{N: note_model()})
    base = repo.commit("a break from before the gate", **{N: note_model(max_length=50)})
    repo.commit("looser again", **{N: note_model(max_length=60)})

    assert problems(repo, base) == []


def test_a_removed_contract_needs_a_retirement_record(repo):
    base = repo.commit("v1", **{N: note_model(), "cn__wushe__gatetest__parcel_delivered__v1": parcel_schema()})
    repo.commit("NoteIn removed", **{N: None})
    assert problems(repo, base) == [
        f"{NOTE}: 契约被删除而未在 BREAKING.json 的 retired 登记 / the contract was "
        "removed without a `retired` record in BREAKING.json"
    ]

    put_records(repo.schemas, retired=[{"contract": NOTE, "reason": "便签接口停用 / the notes endpoint is gone"}])

    assert problems(repo, base) == []


def parcel_schema(max_length: int = 40) -> dict:
    return event_schemas([parcel_event(max_length)])[PARCEL]


def test_a_recorded_api_break_passes_and_an_event_break_never(repo):
    base = repo.commit("v1", **{N: note_model(), "cn__wushe__gatetest__parcel_delivered__v1": parcel_schema()})
    narrow_note, narrow_parcel = note_model(max_length=50).model_json_schema(mode="validation"), parcel_schema(20)
    repo.commit("both narrower", **{N: narrow_note, "cn__wushe__gatetest__parcel_delivered__v1": narrow_parcel})
    record = {"changes": ["$.text: maxLength 收紧 / tightened: 100 → 50"], "reason": "经评审 / reviewed"}
    put_records(
        repo.schemas,
        accepted=[
            {"contract": NOTE, "schema_sha256": schema_export.digest(narrow_note), **record},
            {
                "contract": PARCEL,
                "schema_sha256": schema_export.digest(narrow_parcel),
                "changes": ["$.data.parcel_id: maxLength 收紧 / tightened: 40 → 20"],
                "reason": "经评审 / reviewed",
            },
        ],
    )

    found = problems(repo, base)

    assert not [p for p in found if p.startswith(NOTE)]
    assert (
        f"{PARCEL}: 事件的不兼容变更不能登记，请发布新版本 / a break of events cannot be recorded: publish a new "
        "version" in found
    )
    assert any(p.startswith(f"{PARCEL}: {base[:10]}") and f"{PARCEL_V2}.json" in p for p in found)


def test_a_record_that_matches_no_change_is_reported(repo):
    base = repo.commit("v1", **{N: note_model()})
    put_records(
        repo.schemas,
        accepted=[{"contract": NOTE, "schema_sha256": "0" * 64, "changes": [], "reason": "早先的草稿 / a draft"}],
    )

    (problem,) = problems(repo, base)

    assert "不对应历史中的任何变更 / the record in BREAKING.json matches no change" in problem


def test_a_file_of_no_family_is_reported(repo):
    base = repo.commit("v1", **{N: note_model(), "stray": {"type": "object"}})

    assert problems(repo, base) == [f"stray（{base[:10]}）: 不属于任何契约族 / belongs to no schema family"]


def test_the_history_check_fails_without_the_history(repo, tmp_path, monkeypatch):
    base = repo.commit("v1", **{N: note_model()})
    repo.commit("v2", **{N: note_model(max_length=200)})

    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", repo.root.as_uri(), str(shallow)], check=True)
    with pytest.raises(HistoryUnavailable, match="git fetch --unshallow"):
        check_history(shallow / "contracts" / "schemas", base)

    with pytest.raises(HistoryUnavailable, match=f"{'1' * 40}.*lacks"):
        check_history(repo.schemas, "1" * 40)

    exported = tmp_path / "exported"  # the files without their repository, like an unpacked release
    exported.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # even if a repository holds tmp_path
    (exported / f"{NOTE}.json").write_text(render(note_model().model_json_schema()), encoding="utf-8")
    with pytest.raises(HistoryUnavailable, match="not a git repository"):
        check_history(exported, base)

    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    with pytest.raises(HistoryUnavailable, match="git is not installed"):
        check_history(repo.schemas, base)
