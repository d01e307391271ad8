"""Need categories outside the needs service: a standard one by its Chinese label, an added one by its code."""

from contracts.taxonomy import NeedCategory, category_label


def test_standard_categories_have_their_label_and_added_ones_their_code():
    assert category_label("meal_aid") == "助餐" == NeedCategory.MEAL_AID.zh
    assert category_label("snow_clearing") == "snow_clearing"


def test_home_adaptation_for_the_elderly_is_a_standard_category():
    assert NeedCategory("elderly_home_adaptation").en == "Home adaptation for the elderly"
    assert category_label("elderly_home_adaptation") == "适老化改造"
