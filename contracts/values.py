"""Validated value types shared by all services (Pydantic v2 `Annotated` aliases).

Each alias validates in models and `TypeAdapter`s alike and carries an explicit JSON Schema
(`WithJsonSchema`) describing the canonical form. Errors are `PydanticCustomError`s (a
`ValueError` subclass) with a stable `type` and a bilingual message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from contracts.areas import lookup

__all__ = [
    "AreaCode",
    "CitizenId",
    "USCC",
    "PhoneNumber",
    "Money",
    "PositiveMoney",
    "MAX_FEN",
    "MAX_INT",
    "MAX_OFFSET",
    "MAX_PAGE",
    "Month",
    "PersonName",
    "check_input",
    "forbidden_character",
    "citizen_id_check_char",
    "birth_date",
    "age_on",
    "is_minor",
    "mask_citizen_id",
    "mask_name",
    "uscc_check_char",
    "mask_phone",
    "format_yuan",
]


def _error(kind: str, message: str, **context: Any) -> PydanticCustomError:
    # Values go through `context`, not the template, so user input can't inject `{...}`.
    return PydanticCustomError(kind, message, context or None)


# --- Area code ---------------------------------------------------------------------------

_AREA_CODE_PATTERN = r"^(\d{6}|\d{9}|\d{12})$"
_AREA_CODE = re.compile(_AREA_CODE_PATTERN, re.ASCII)


def _validate_area_code(value: str) -> str:
    if not _AREA_CODE.fullmatch(value):
        raise _error(
            "area_code_format",
            "行政区划代码应为6、9或12位数字 / area code must be 6, 9 or 12 digits: {code}",
            code=value,
        )
    if lookup(value) is None:
        raise _error("area_code_unknown", "未知的行政区划代码 / unknown area code: {code}", code=value)
    return value


AreaCode = Annotated[
    str,
    AfterValidator(_validate_area_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _AREA_CODE_PATTERN,
            "description": "统计用区划代码 (6/9/12 digits: county or above / township / village)",
        }
    ),
]


# --- Citizen ID (GB 11643-1999) ----------------------------------------------------------

_CID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CID_CHECK_CHARS = "10X98765432"  # indexed by weighted sum mod 11 (ISO 7064 MOD 11-2)
_CID_MIN_BIRTH = date(1900, 1, 1)


def citizen_id_check_char(first17: str) -> str:
    """Check character for the first 17 digits of a citizen ID."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise _error("citizen_id_format", "公民身份号码本体码应为17位数字 / citizen ID body must be 17 digits")
    return _CID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _CID_WEIGHTS, strict=False)) % 11]


def birth_date(cid: str) -> date:
    """Birth date encoded in characters 7–14 (YYYYMMDD); raises ValueError if not a real date."""
    digits = cid[6:14]
    try:
        if not re.fullmatch(r"[0-9]{8}", digits):
            raise ValueError
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise _error(
            "citizen_id_birth_date", "公民身份号码出生日期无效 / citizen ID birth date invalid: {date}", date=digits
        ) from None


ADULT_AGE = 18


def age_on(born: date, on: date) -> int:
    """Full years of age on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def is_minor(born: date, on: date) -> bool:
    """Minors' personal information needs the guardian's consent (PIPL)."""
    return age_on(born, on) < ADULT_AGE


def mask_citizen_id(cid: str) -> str:
    """First 3 + 11 asterisks + last 4, e.g. "130***********1234"."""
    return f"{cid[:3]}{'*' * 11}{cid[-4:]}"


def _validate_citizen_id(value: str) -> str:
    value = value.strip().upper()  # lower-case x is common in hand-typed input
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise _error(
            "citizen_id_format",
            "公民身份号码应为17位数字加1位校验码(0-9或X) / citizen ID must be 17 digits plus a check character (0-9 or X)",
        )
    born = birth_date(value)
    if not _CID_MIN_BIRTH <= born <= date.today():
        raise _error(
            "citizen_id_birth_date",
            "公民身份号码出生日期超出范围 / citizen ID birth date out of range: {date}",
            date=born.isoformat(),
        )
    if value[17] != citizen_id_check_char(value[:17]):
        raise _error("citizen_id_check_digit", "公民身份号码校验位错误 / citizen ID check digit mismatch")
    return value


CitizenId = Annotated[
    str,
    AfterValidator(_validate_citizen_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{17}[\dX]$",
            "description": "公民身份号码 GB 11643-1999 (lower-case x accepted and normalised to X)",
        }
    ),
]


# --- Unified social credit code (GB 32100-2015) ------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 chars: no I O Z S V
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
_USCC_CLASS = "[0-9A-HJ-NP-RTUW-Y]"
_USCC_PATTERN = rf"^{_USCC_CLASS}{{2}}\d{{6}}{_USCC_CLASS}{{10}}$"


def uscc_check_char(first17: str) -> str:
    """Check character for the first 17 characters of a unified social credit code."""
    if len(first17) != 17 or any(c not in _USCC_ALPHABET for c in first17):
        raise _error(
            "uscc_format",
            "统一社会信用代码本体应为17位合法字符 / USCC body must be 17 characters from the code alphabet",
        )
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=False))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _validate_uscc(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 18:
        raise _error("uscc_format", "统一社会信用代码应为18位 / USCC must be 18 characters")
    bad = sorted({c for c in value if c not in _USCC_ALPHABET})
    if bad:
        raise _error(
            "uscc_format",
            "统一社会信用代码含非法字符 / USCC contains invalid characters: {chars}",
            chars="".join(bad),
        )
    if not value[2:8].isdigit():  # positions 3-8 are the 6-digit registration region code
        raise _error("uscc_format", "统一社会信用代码第3-8位应为数字 / USCC positions 3-8 must be digits")
    if value[17] != uscc_check_char(value[:17]):
        raise _error("uscc_check_digit", "统一社会信用代码校验位错误 / USCC check character mismatch")
    return value


USCC = Annotated[
    str,
    AfterValidator(_validate_uscc),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _USCC_PATTERN,
            "description": "统一社会信用代码 GB 32100-2015 (input upper-cased)",
        }
    ),
]


# --- Phone number ------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE_RE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}")


def _normalise_phone(value: str) -> str:
    value = value.replace(" ", "")
    mobile = value.replace("-", "")  # "138-1234-5678" style grouping
    if _MOBILE_RE.fullmatch(mobile):
        return mobile
    if _LANDLINE_RE.fullmatch(value):
        return value  # keep the hyphen: without it the area-code boundary is implicit
    raise _error("phone_format", "电话号码格式错误 / invalid phone number: {phone}", phone=value)


def mask_name(name: str, *, keep_length: bool = True) -> str:
    """张三丰 → 张** (or 张* with keep_length=False, which also hides how long the name is)."""
    return name[:1] + "*" * (max(len(name) - 1, 1) if keep_length else 1)


def mask_phone(phone: str) -> str:
    """Mobile → "138****5678"; landline → area code + "****" + last 4."""
    phone = _normalise_phone(phone)
    if phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    if "-" in phone:
        area = phone.split("-")[0]
    else:  # only 010 and 02x are 3-digit area codes
        area = phone[:3] if phone[1] in "12" else phone[:4]
    return f"{area}****{phone[-4:]}"


PhoneNumber = Annotated[
    str,
    AfterValidator(_normalise_phone),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
            "description": "中国大陆手机号或固定电话 / mainland mobile or landline number",
        }
    ),
]


# --- Money -------------------------------------------------------------------------------


MAX_FEN = 10**12  # ¥100亿 (10 billion yuan): above any single movement of money; sums of them stay in bigint


def _validate_money(value: Any) -> int:
    # Exact type check: floats lose fen, bools are ints in Python, strings hide unit mistakes.
    if type(value) is not int:
        raise _error("money_type", "金额必须是以分为单位的整数 / amount must be an integer number of fen")
    if value < 0:
        raise _error("money_negative", "金额不能为负数 / amount must not be negative")
    if value > MAX_FEN:
        raise _error("money_too_large", "金额不得超过 100 亿元（10^12 分）/ amount must not exceed 10^12 fen")
    return value


Money = Annotated[
    int,
    BeforeValidator(_validate_money),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_FEN, "description": "金额(分) / amount in fen"}),
]


def _positive(fen: int) -> int:
    if fen == 0:
        raise _error("money_zero", "金额须大于零 / amount must be positive")
    return fen


PositiveMoney = Annotated[
    int,
    BeforeValidator(_validate_money),
    AfterValidator(_positive),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_FEN, "description": "金额(分)，大于零 / fen, > 0"}),
]


def format_yuan(fen: int) -> str:
    """1234567 → "¥12,345.67"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


# --- Input text and numbers: what any request may carry --------------------------------------

MAX_INT = 2**53 - 1  # the largest integer every JSON client holds exactly; no count, page or amount comes near
MAX_PAGE, MAX_OFFSET = 100_000, 10_000_000  # paging: an offset of page × page size stays far inside bigint

# C0 controls but tab and newlines, DEL and C1 controls, lone surrogates, the bidirectional
# embeddings, overrides and isolates (text that displays differently from what it says), and
# invisible characters with no place in typed text (zero-width space, word joiner, BOM).
_FORBIDDEN = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b\u200e\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff]"
)


# The same rule as a JSON Schema (ECMA-262) pattern, for the OpenAPI documents (lone surrogates aside,
# which JSON Schema cannot name).
TEXT_PATTERN = (
    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F"
    r"\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB\uFFFE\uFFFF]*$"
)


def forbidden_character(text: str) -> str | None:
    """The first character no request text may contain, as U+XXXX, or None."""
    found = _FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def check_input(value: Any) -> Any:
    """Refuse control and invisible characters in every string, and integers past MAX_INT,
    however deeply they sit in lists and mappings (models validate their own fields)."""
    if isinstance(value, str):
        if (char := forbidden_character(value)) is not None:
            raise _error(
                "text_forbidden_character",
                "文本含控制字符或不可见字符 / text contains a control or invisible character: {char}",
                char=char,
            )
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise _error("int_too_large", "数值超出范围 / number out of range (|n| ≤ {max})", max=MAX_INT)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            check_input(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_input(key)
            check_input(item)
    return value


# --- Names of people ---------------------------------------------------------------------------

_NAME_PUNCTUATION = frozenset(" ·•.-'")  # 阿依古丽·买买提, Anne-Marie O'Neil


def _validate_person_name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 50:
        raise _error("person_name_length", "姓名须为 1–50 个字符 / a name is 1–50 characters")
    for char in value:
        if not (unicodedata.category(char)[0] in "LM" or char in _NAME_PUNCTUATION):
            raise _error(
                "person_name_character",
                "姓名只能包含文字、空格和间隔号 / a name holds letters, spaces and the middle dot only: {char}",
                char=f"U+{ord(char):04X}",
            )
    return value


PersonName = Annotated[
    str,
    AfterValidator(_validate_person_name),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 50,
            "description": "姓名：文字、空格、间隔号 / letters, spaces, the middle dot",
        }
    ),
]


# --- Months ------------------------------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2099  # months the platform can hold records for
_MONTH_PATTERN = r"^(20\d\d)-(0[1-9]|1[0-2])$"


def _validate_month(value: str) -> str:
    if not re.fullmatch(_MONTH_PATTERN, value):
        raise _error(
            "month_format", "月份应为 2000-01 至 2099-12 的 YYYY-MM / month must be YYYY-MM, 2000-01 to 2099-12"
        )
    return value


Month = Annotated[
    str,
    AfterValidator(_validate_month),
    WithJsonSchema({"type": "string", "pattern": _MONTH_PATTERN, "description": "YYYY-MM（北京时间）/ Beijing time"}),
]


# --- the times an earlier system's records state (历史数据迁移) -------------------------------

HISTORY_YEARS = 10  # an earlier system's records older than this are archives, not history to show


def _recorded_past(value: datetime) -> datetime:
    now = datetime.now(UTC)
    if value > now:
        raise _error("in_the_future", "晚于当前时间 / in the future")
    if value < now - timedelta(days=365 * HISTORY_YEARS):
        raise _error("too_old", f"早于 {HISTORY_YEARS} 年前 / more than {HISTORY_YEARS} years ago")
    return value


# a moment a migrated record says something happened: past, and within the last HISTORY_YEARS
PastTime = Annotated[AwareDatetime, AfterValidator(_recorded_past)]
