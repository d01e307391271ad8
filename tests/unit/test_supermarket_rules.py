"""The love supermarket's pure rules: credits → points, month bounds, masking, the publication's
aggregation, and the request models' donor rule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from contracts.api.supermarket import DonorIn, GoodsReceiptIn, RedemptionIn
from contracts.values import uscc_check_char
from services.charity.supermarket.config import SupermarketSettings
from services.charity.supermarket.domain import (
    holder_lines,
    mask_ref,
    month_bounds,
    points_for_credits,
    publication,
    received_lines,
)

COMMUNITY = "130102001001"


@pytest.mark.parametrize(
    ("units", "rate", "points"),
    [
        (100, Decimal(10), 10),  # one credit
        (250, Decimal(10), 25),
        (15, Decimal(10), 2),  # 1.5 → 2: half up
        (25, Decimal(10), 3),  # 2.5 → 3, not banker's 2
        (14, Decimal(10), 1),  # 1.4 → 1
        (4, Decimal(10), 0),  # 0.4 → 0: nothing to grant
        (5, Decimal(10), 1),  # 0.5 → 1
        (100, Decimal("1.5"), 2),  # 1.5 → 2
        (1, Decimal("0.1"), 0),
        (30, Decimal("3.3"), 1),  # 0.99 exactly, no float noise
    ],
)
def test_points_for_credits_rounds_half_up(units, rate, points):
    assert points_for_credits(units, rate) == points


def test_points_per_credit_comes_from_the_environment(monkeypatch):
    assert SupermarketSettings().points_per_credit == Decimal(10)
    monkeypatch.setenv("WUSHE_SUPERMARKET_POINTS_PER_CREDIT", "2.5")
    assert SupermarketSettings().points_per_credit == Decimal("2.5")
    monkeypatch.setenv("WUSHE_SUPERMARKET_POINTS_PER_CREDIT", "0")
    with pytest.raises(ValidationError):
        SupermarketSettings()


def test_month_bounds_are_beijing_time_and_roll_over_the_year():
    start, end = month_bounds("2024-12")
    assert start == datetime(2024, 11, 30, 16, tzinfo=UTC)
    assert end == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert month_bounds("2025-01")[0] == end


def test_mask_ref_shows_four_characters():
    assert mask_ref("a1b2c3d4e5f6") == "a1b2…"


def test_holders_are_summed_by_full_ref_and_kind_then_masked():
    grants = [
        {"holder_kind": "volunteer", "holder_ref": "abcd1111", "points": 30},
        {"holder_kind": "volunteer", "holder_ref": "abcd1111", "points": 20},
        {"holder_kind": "volunteer", "holder_ref": "abcd2222", "points": 5},  # same first four
        {"holder_kind": "resident", "holder_ref": "abcd1111", "points": 7},  # same ref, other kind
    ]
    redemptions = [
        {"holder_kind": "volunteer", "holder_ref": "abcd1111", "points": 40},
        {"holder_kind": "resident", "holder_ref": "zzzz9999", "points": 3},
    ]
    lines = [(line.holder_kind, line.holder, line.granted, line.redeemed) for line in holder_lines(grants, redemptions)]
    assert lines == [
        ("resident", "abcd…", 7, 0),
        ("resident", "zzzz…", 0, 3),
        ("volunteer", "abcd…", 50, 40),
        ("volunteer", "abcd…", 5, 0),
    ]
    assert all("1111" not in line.holder for line in holder_lines(grants, redemptions))


def test_goods_received_are_grouped_by_item_and_donor_naming_only_enterprises():
    receipts = [
        {
            "item": "大米",
            "unit": "袋",
            "quantity": 10,
            "estimated_value_fen": 50_00,
            "donor_kind": "enterprise",
            "donor_name": "某某粮油公司",
        },
        {
            "item": "大米",
            "unit": "袋",
            "quantity": 5,
            "estimated_value_fen": 25_00,
            "donor_kind": "enterprise",
            "donor_name": "某某粮油公司",
        },
        {
            "item": "大米",
            "unit": "袋",
            "quantity": 2,
            "estimated_value_fen": 10_00,
            "donor_kind": "person",
            "donor_name": None,
        },
        {
            "item": "食用油",
            "unit": "桶",
            "quantity": 1,
            "estimated_value_fen": 60_00,
            "donor_kind": "anonymous",
            "donor_name": None,
        },
    ]
    lines = [
        (r.item, r.unit, r.quantity, r.estimated_value_fen, r.donor_kind, r.donor_name)
        for r in received_lines(receipts)
    ]
    assert lines == [
        ("大米", "袋", 15, 75_00, "enterprise", "某某粮油公司"),
        ("大米", "袋", 2, 10_00, "person", None),
        ("食用油", "桶", 1, 60_00, "anonymous", None),
    ]


def test_goods_given_out_and_totals():
    grants = [{"holder_kind": "volunteer", "holder_ref": "v-0001", "points": 100}]
    redemptions = [
        {"holder_kind": "volunteer", "holder_ref": "v-0001", "item": "大米", "unit": "袋", "quantity": 2, "points": 60},
        {"holder_kind": "volunteer", "holder_ref": "v-0001", "item": "大米", "unit": "袋", "quantity": 1, "points": 30},
    ]
    receipts = [
        {
            "item": "大米",
            "unit": "袋",
            "quantity": 10,
            "estimated_value_fen": 50_00,
            "donor_kind": "anonymous",
            "donor_name": None,
        }
    ]
    view = publication(COMMUNITY, "2025-03", grants, redemptions, receipts)
    assert [(g.item, g.quantity, g.points) for g in view.goods_given_out] == [("大米", 3, 90)]
    assert view.totals.model_dump() == {
        "points_granted": 100,
        "points_redeemed": 90,
        "goods_received_value_fen": 50_00,
        "receipts": 1,
        "redemptions": 2,
    }
    assert [(h.holder, h.granted, h.redeemed) for h in view.holders] == [("v-00…", 100, 90)]


def test_an_empty_month_publishes_zeros():
    view = publication(COMMUNITY, "2025-03", [], [], [])
    assert view.holders == [] and view.goods_received == [] and view.totals.points_granted == 0


# --- request models ---------------------------------------------------------------------------


def valid_uscc() -> str:
    body = "91130100MA0ABCDE1"
    return body + uscc_check_char(body)


def goods(**donor) -> dict:
    return {
        "area_code": COMMUNITY,
        "item": "大米",
        "unit": "袋",
        "quantity": 10,
        "estimated_value_fen": 5000,
        "price_points": 30,
        "donor": donor,
    }


def test_an_enterprise_donor_needs_a_valid_uscc_and_a_name():
    good = valid_uscc()
    GoodsReceiptIn.model_validate(goods(kind="enterprise", uscc=good.lower(), name="某某粮油公司"))
    wrong_check = good[:-1] + ("1" if good.endswith("0") else "0")
    with pytest.raises(ValidationError, match="uscc_check_digit"):
        GoodsReceiptIn.model_validate(goods(kind="enterprise", uscc=wrong_check, name="某某粮油公司"))
    with pytest.raises(ValidationError, match="enterprise donor needs"):
        GoodsReceiptIn.model_validate(goods(kind="enterprise", name="某某粮油公司"))


def test_people_are_not_named():
    GoodsReceiptIn.model_validate(goods(kind="person"))
    with pytest.raises(ValidationError, match="only an enterprise"):
        DonorIn.model_validate({"kind": "person", "name": "张三"})


@pytest.mark.parametrize("bad", [{"area_code": "130102"}, {"quantity": 0}, {"quantity": "3"}, {"price_points": 1.5}])
def test_goods_fields_are_checked(bad):
    with pytest.raises(ValidationError):
        GoodsReceiptIn.model_validate({**goods(kind="anonymous"), **bad})


@pytest.mark.parametrize("ref", ["", "a:b", "x" * 65, "名字"])
def test_holder_refs_are_pseudonyms_without_colons(ref):
    with pytest.raises(ValidationError, match="holder_ref"):
        RedemptionIn.model_validate(
            {
                "holder_kind": "volunteer",
                "holder_ref": ref,
                "item_id": "0190f5c2-0000-7000-8000-000000000000",
                "quantity": 1,
            }
        )
