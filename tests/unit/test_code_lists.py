"""The code lists the console shows: each service serves its own (GET /code-lists), the gateway the
shared ones; a list has one owner, every code has words in both languages, and every list a console
script asks for by name is served by someone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.taxonomy import code_lists
from services.charity.app import CODE_LISTS as CHARITY
from services.gateway.console.console import SHARED_CODE_LISTS
from services.needs.app import CODE_LISTS as NEEDS
from services.party.app import CODE_LISTS as PARTY
from services.projects.app import CODE_LISTS as PROJECTS
from services.volunteers.app import CODE_LISTS as VOLUNTEERS

OWNERS = {
    "gateway": SHARED_CODE_LISTS,
    **{
        name: code_lists(lists)
        for name, lists in {
            "needs": NEEDS,
            "volunteers": VOLUNTEERS,
            "projects": PROJECTS,
            "charity": CHARITY,
            "party": PARTY,
        }.items()
    },
}
CONSOLE = Path(__file__).resolve().parents[2] / "services/gateway/console/static/js"
ASKED = re.compile(r"code(?:Label|Options|Keys)\('([a-z_]+)'")


def test_each_list_has_one_owner():
    seen: dict[str, str] = {}
    for owner, lists in OWNERS.items():
        for name in lists:
            assert name not in seen, f"{name} is served by both {seen[name]} and {owner}"
            seen[name] = owner


@pytest.mark.parametrize("owner", OWNERS)
def test_every_code_has_words_in_both_languages(owner):
    for name, codes in OWNERS[owner].items():
        assert codes, f"{owner}'s {name} is empty"
        for code, words in codes.items():
            assert words["zh"].strip() and words["en"].strip(), f"{owner}'s {name}.{code} lacks a label"
            assert words["zh"] != code, f"{owner}'s {name}.{code} is labelled by its own code"


def test_every_list_the_console_asks_for_is_served():
    served = {name for lists in OWNERS.values() for name in lists}
    asked = {name for script in CONSOLE.rglob("*.js") for name in ASKED.findall(script.read_text(encoding="utf-8"))}
    assert asked, "the console asks for no code list by name: the pattern no longer matches its calls"
    assert asked - served == set()
    # the helpers that name their list (labels.js) count as asking for it too
    assert {"need_status", "project_status", "section_status", "grade", "legal_type", "linkage_actor"} <= asked
