"""The demo's plan (deploy/demo/plan.py, deploy/demo/data.py): valid identifiers, real places, the
same story every time it is built for the same day."""

from __future__ import annotations

from collections import Counter
from datetime import date

from pydantic import TypeAdapter

from contracts.areas import lookup
from contracts.values import USCC, CitizenId, PhoneNumber
from deploy.demo import data as D
from deploy.demo.plan import HOME_FATES, Plan

DAY = date(2026, 11, 26)


def test_the_plan_is_the_same_every_time():
    first, second = Plan(DAY), Plan(DAY)
    assert [p.citizen_id for p in first.residents] == [p.citizen_id for p in second.residents]
    assert [(n.fate, n.resident, n.volunteer, n.slot) for n in first.needs] == [
        (n.fate, n.resident, n.volunteer, n.slot) for n in second.needs
    ]


def test_people_have_valid_and_distinct_ids_phones_and_ages():
    plan = Plan(DAY)
    people = plan.residents + [v.person for v in plan.volunteers] + [p for c in plan.committees.values() for p, *_ in c]
    ids = [p.citizen_id for p in people]
    assert len(set(ids)) == len(ids)
    for person in people:
        assert TypeAdapter(CitizenId).validate_python(person.citizen_id) == person.citizen_id
        TypeAdapter(PhoneNumber).validate_python(person.phone)
        assert person.citizen_id[:6] == person.area_code[:6] and 2 <= len(person.name) <= 4
    minors = [p for p in plan.residents if p.age_on(DAY) < 18]
    assert minors and all(p.guardian is not None and plan.residents[p.guardian].age_on(DAY) >= 18 for p in minors)
    assert 300 <= len(plan.residents) and 90 <= len(plan.volunteers) <= 120


def test_places_and_organizations_are_real():
    for code in D.COMMUNITIES:
        assert lookup(code).level in ("community", "village") and code[:9] in D.STREETS
    for township in D.STREETS:
        assert lookup(township).level == "township"
    usccs = [D.org_uscc(o[2], o[4], i + 1) for i, o in enumerate(D.ORGANIZATIONS)]
    usccs += [D.enterprise_uscc(county, code) for _, county, code, *_ in D.ENTERPRISES]
    assert len(set(usccs)) == len(usccs) == 15
    assert all(TypeAdapter(USCC).validate_python(u) == u for u in usccs)
    assert sum(1 for o in D.ORGANIZATIONS if o[5].get("hub")) == 2  # one per district


def test_every_state_of_a_need_is_planned_in_the_personas_community():
    plan = Plan(DAY)
    home = Counter(n.fate for n in plan.needs if n.area == D.HOME)
    assert home == Counter(HOME_FATES)
    persona = plan.persona_volunteer
    assert {n.fate for n in plan.needs if n.volunteer == persona} == {"routed_task", "matched", "resolved", "closed"}
    slots = [n.slot for n in plan.needs if n.volunteer == persona and n.slot]
    assert all(a[1] <= b[0] or b[1] <= a[0] for i, a in enumerate(slots) for b in slots[i + 1 :])  # never twice at once
    assert plan.residents[plan.persona_resident].area_code == D.HOME


def test_the_plan_builds_on_a_leap_day():
    leap_day = date(2028, 2, 29)  # a birthday a whole number of years back has no 29 February
    plan = Plan(leap_day)
    assert plan.residents and all(person.born < leap_day for person in plan.residents)
