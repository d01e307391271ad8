import pytest

from contracts.areas import Area, ancestors, contains, lookup, subject_tokens

CHANG_AN = "130102"  # 长安区, 石家庄
QIAO_XI = "130104"  # 桥西区, 石家庄
JIAN_BEI = "130102001"  # 建北街道, 长安区
DONG_LI = "130104001"  # 东里街道, 桥西区


def test_lookup_csv_rows():
    assert lookup("130000") == Area("130000", "河北省", "province", None)
    assert lookup(CHANG_AN) == Area(CHANG_AN, "长安区", "county", "130100")
    assert lookup(JIAN_BEI) == Area(JIAN_BEI, "建北街道", "township", CHANG_AN)


def test_lookup_derived_community_and_village():
    assert lookup("130102001001") == Area("130102001001", "建北街道001号社区", "community", JIAN_BEI)
    assert lookup("130102001199").level == "community"
    assert lookup("130102001200") == Area("130102001200", "建北街道200号村", "village", JIAN_BEI)
    assert lookup("130102001399").level == "village"


@pytest.mark.parametrize(
    "code",
    [
        "999999",  # not a Hebei code
        "130102999",  # unknown township
        "130102999001",  # community under an unknown township
        "130102001000",  # suffix 000 is not a committee
        "130102001400",  # suffix above 399
        "130102001999",
        "13010",  # wrong lengths / characters
        "1301020010",
        "13010a",
        "１３００００",  # full-width digits
        "",
    ],
)
def test_lookup_unknown(code):
    assert lookup(code) is None


def test_ancestors_follow_parent_column():
    assert ancestors("130000") == ["130000"]
    assert ancestors("130102001001") == ["130000", "130100", CHANG_AN, JIAN_BEI, "130102001001"]
    # 辛集 is not prefixed by 石家庄's code but is its child in the data.
    assert ancestors("130181") == ["130000", "130100", "130181"]
    assert ancestors("130682") == ["130000", "130600", "130682"]  # 定州 under 保定


def test_ancestors_unknown_raises():
    with pytest.raises(KeyError):
        ancestors("999999")


def test_contains():
    assert contains(CHANG_AN, CHANG_AN)
    assert contains("130000", "130102001001")
    assert contains("130100", "130181")
    assert contains(CHANG_AN, JIAN_BEI)
    assert contains(JIAN_BEI, "130102001250")
    assert not contains(JIAN_BEI, CHANG_AN)  # inner is above outer
    assert not contains(CHANG_AN, DONG_LI)  # cross-county
    assert not contains(CHANG_AN, f"{DONG_LI}001")
    assert not contains(QIAO_XI, JIAN_BEI)
    assert not contains("999999", CHANG_AN)
    assert not contains("130000", "999999")


@pytest.mark.parametrize(
    ("code", "tokens"),
    [
        ("130102001001", ("13", "01", "02")),
        (JIAN_BEI, ("13", "01", "02")),
        (CHANG_AN, ("13", "01", "02")),
        ("130100", ("13", "01", "00")),
        ("130000", ("13", "00", "00")),
        ("130181100", ("13", "01", "81")),  # 辛集镇 takes its county's code
    ],
)
def test_subject_tokens(code, tokens):
    assert subject_tokens(code) == tokens


def test_subject_tokens_unknown_raises():
    with pytest.raises(KeyError):
        subject_tokens("999999")
