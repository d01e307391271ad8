from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts.api import Strict
from contracts.values import (
    MAX_FEN,
    MAX_INT,
    USCC,
    AreaCode,
    CitizenId,
    Money,
    Month,
    PersonName,
    PhoneNumber,
    PositiveMoney,
    birth_date,
    check_input,
    citizen_id_check_char,
    format_yuan,
    mask_citizen_id,
    mask_phone,
    uscc_check_char,
)

area_code = TypeAdapter(AreaCode)
citizen_id = TypeAdapter(CitizenId)
uscc = TypeAdapter(USCC)
phone = TypeAdapter(PhoneNumber)
money = TypeAdapter(Money)


def error_type(adapter: TypeAdapter, value) -> str:
    with pytest.raises(ValidationError) as exc:
        adapter.validate_python(value)
    return exc.value.errors()[0]["type"]


class Person(BaseModel):
    area: AreaCode
    cid: CitizenId
    org: USCC
    tel: PhoneNumber
    balance: Money


def test_model_fields_and_json_schemas():
    p = Person(area="130102", cid="11010519491231002x", org="91350100m000100y43", tel="138 1234 5678", balance=0)
    assert (p.cid, p.org, p.tel) == ("11010519491231002X", "91350100M000100Y43", "13812345678")
    props = Person.model_json_schema()["properties"]
    assert props["cid"]["pattern"] == r"^\d{17}[\dX]$"
    assert props["balance"]["minimum"] == 0
    for adapter in (area_code, citizen_id, uscc, phone, money):
        assert adapter.json_schema()["description"]


# --- Area code -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["130000", "130102", "130102001", "130102001001", "130102001399"])
def test_area_code_valid(code):
    assert area_code.validate_python(code) == code


@pytest.mark.parametrize("code", ["999999", "130102999001", "130102001000", "130102001400"])
def test_area_code_unknown(code):
    with pytest.raises(ValidationError, match="未知的行政区划代码 / unknown area code"):
        area_code.validate_python(code)


@pytest.mark.parametrize("code", ["13010", "1301020011", "13o102", 130102])
def test_area_code_bad_format(code):
    assert error_type(area_code, code) in {"area_code_format", "string_type"}


# --- Citizen ID ----------------------------------------------------------------------------


def test_citizen_id_known_literal():
    # Hand-checked: weighted sum of 11010519491231002 is 167, 167 % 11 == 2 → "X".
    assert citizen_id_check_char("11010519491231002") == "X"
    assert citizen_id.validate_python("11010519491231002X") == "11010519491231002X"
    assert birth_date("11010519491231002X") == date(1949, 12, 31)


def test_citizen_id_computed_and_lowercase_x():
    body = "13010219900307123"
    cid = body + citizen_id_check_char(body)
    assert citizen_id.validate_python(cid) == cid
    assert citizen_id.validate_python(" 11010519491231002x ") == "11010519491231002X"


def test_citizen_id_wrong_check_digit():
    with pytest.raises(ValidationError, match="公民身份号码校验位错误 / citizen ID check digit mismatch"):
        citizen_id.validate_python("110105194912310021")


@pytest.mark.parametrize("dob", ["19990230", "19991301", "18991231", "21000101"])
def test_citizen_id_bad_birth_date(dob):
    body = f"130102{dob}123"
    assert error_type(citizen_id, body + citizen_id_check_char(body)) == "citizen_id_birth_date"


@pytest.mark.parametrize(
    "cid", ["11010519491231002", "11010519491231002XX", "1101051949123100A2", "11010519491231002Y", ""]
)
def test_citizen_id_bad_format(cid):
    assert error_type(citizen_id, cid) == "citizen_id_format"


def test_mask_citizen_id():
    assert mask_citizen_id("130102199003071234") == "130***********1234"
    assert len(mask_citizen_id("11010519491231002X")) == 18


_today = date.today()


@given(
    region=st.from_regex(r"[0-9]{6}", fullmatch=True),
    born=st.dates(min_value=date(1900, 1, 1), max_value=_today),
    seq=st.from_regex(r"[0-9]{3}", fullmatch=True),
    wrong=st.sampled_from("0123456789X"),
)
def test_citizen_id_property(region, born, seq, wrong):
    body = f"{region}{born:%Y%m%d}{seq}"
    check = citizen_id_check_char(body)
    assert citizen_id.validate_python(body + check) == body + check
    if wrong != check:
        assert error_type(citizen_id, body + wrong) == "citizen_id_check_digit"


# --- USCC ----------------------------------------------------------------------------------


def test_uscc_valid():
    assert uscc.validate_python("91350100M000100Y43") == "91350100M000100Y43"
    assert uscc_check_char("91350100M000100Y4") == "3"
    body = "9113010212345678A"
    code = body + uscc_check_char(body)
    assert uscc.validate_python(code.lower()) == code


def test_uscc_wrong_check_char():
    with pytest.raises(ValidationError, match="统一社会信用代码校验位错误"):
        uscc.validate_python("91350100M000100Y44")


@pytest.mark.parametrize("letter", "IOZSV")
def test_uscc_forbidden_letters(letter):
    with pytest.raises(ValidationError, match=f"invalid characters: {letter}"):
        uscc.validate_python(f"91350100M{letter}00100Y43")


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y431", "91A50100M000100Y43"])
def test_uscc_bad_format(code):
    assert error_type(uscc, code) == "uscc_format"


# --- Phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("0311-87654321", "0311-87654321"),
        ("010 12345678", "01012345678"),
    ],
)
def test_phone_valid(raw, normalised):
    assert phone.validate_python(raw) == normalised


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "311-87654321", "0311-123456", "abc"])
def test_phone_invalid(raw):
    assert error_type(phone, raw) == "phone_format"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0311-87654321") == "0311****4321"
    assert mask_phone("031187654321") == "0311****4321"
    assert mask_phone("01012345678") == "010****5678"


# --- Money ---------------------------------------------------------------------------------


def test_money_valid():
    assert money.validate_python(0) == 0
    assert money.validate_python(123456) == 123456
    assert money.validate_json("100") == 100


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (1.5, "money_type"),
        (1.0, "money_type"),
        (True, "money_type"),
        ("100", "money_type"),
        (-1, "money_negative"),
        (MAX_FEN + 1, "money_too_large"),
        (2**63, "money_too_large"),
    ],
)
def test_money_invalid(value, kind):
    assert error_type(money, value) == kind


def test_money_takes_its_bound_and_positive_money_refuses_zero():
    assert money.validate_python(MAX_FEN) == MAX_FEN
    positive = TypeAdapter(PositiveMoney)
    assert positive.validate_python(1) == 1
    assert error_type(positive, 0) == "money_zero"
    assert error_type(positive, MAX_FEN + 1) == "money_too_large"


def test_money_json_string_rejected():
    with pytest.raises(ValidationError):
        money.validate_json('"100"')


def test_format_yuan():
    assert format_yuan(123456) == "¥1,234.56"
    assert format_yuan(5) == "¥0.05"
    assert format_yuan(100000000) == "¥1,000,000.00"


# --- request text, integers, names and months ------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u200b", "\ufeff", "\ud800"])
def test_control_and_invisible_characters_are_refused_wherever_they_sit(char):
    for value in (f"a{char}b", ["ok", f"a{char}"], {"k": f"a{char}"}, {f"k{char}": "v"}):
        with pytest.raises(ValueError) as excinfo:
            check_input(value)
        assert excinfo.value.type == "text_forbidden_character"


def test_ordinary_text_passes_untouched():
    text = "独居老人需要\n每日送午餐\t（周二、四）👨\u200d👩\u200d👧"
    assert check_input(text) == text
    assert check_input([1, -MAX_INT, MAX_INT, True]) == [1, -MAX_INT, MAX_INT, True]


@pytest.mark.parametrize("number", [MAX_INT + 1, -(MAX_INT + 1), 2**63, [2**64]])
def test_integers_no_client_can_hold_are_refused(number):
    with pytest.raises(ValueError) as excinfo:
        check_input(number)
    assert excinfo.value.type == "int_too_large"


def test_every_request_body_refuses_what_no_request_may_carry():
    class Body(Strict):
        note: str
        counts: list[int] = []

    for bad in ({"note": "a\u202eb"}, {"note": "ok", "counts": [2**60]}):
        with pytest.raises(ValidationError) as excinfo:
            Body.model_validate(bad)
        assert excinfo.value.errors()[0]["loc"][0] in ("note", "counts")


person_name = TypeAdapter(PersonName)


@pytest.mark.parametrize("name", ["张三", "阿依古丽·买买提", "欧阳 娜娜", "Anne-Marie O'Neil", "Zoë"])
def test_names_as_people_write_them(name):
    assert person_name.validate_python(name) == name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("", "person_name_length"),
        ("张" * 51, "person_name_length"),
        ("<b>张三</b>", "person_name_character"),
        ("张\u200d三", "person_name_character"),
        ("张三2", "person_name_character"),
        ("张三;", "person_name_character"),
    ],
)
def test_what_is_not_a_name(name, kind):
    assert error_type(person_name, name) == kind


@pytest.mark.parametrize(
    ("month", "ok"),
    [
        ("2026-12", True),
        ("2000-01", True),
        ("2099-12", True),
        ("1999-12", False),
        ("0000-01", False),
        ("9999-12", False),
        ("2026-13", False),
        ("2026-1", False),
    ],
)
def test_months_the_platform_can_hold(month, ok):
    adapter = TypeAdapter(Month)
    if ok:
        assert adapter.validate_python(month) == month
    else:
        assert error_type(adapter, month) == "month_format"
