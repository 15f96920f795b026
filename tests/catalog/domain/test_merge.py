from yijianshi.catalog.domain.merge import FieldSpec, ItemSpec, MaterialSpec, merge_fields, merge_materials, plan_bundle


def _item(code, days=0, visits=0, fields=(), materials=(), after=(), legal=None):
    return ItemSpec(code=code, name=code, department="县测试局", promised_days=days, legal_days=legal, visits=visits,
                    fields=tuple(fields), materials=tuple(materials), after=tuple(after))


NAME = FieldSpec("person.name", "姓名")
ID_NUMBER = FieldSpec("person.id_number", "公民身份号码")
ID_CARD_COPY = MaterialSpec("id-card", "居民身份证", "copy")
ID_CARD_ORIGINAL = MaterialSpec("id-card", "居民身份证", "original")


def test_a_data_element_shared_by_several_items_is_asked_once():
    merged = merge_fields([_item("A", fields=[NAME, ID_NUMBER]), _item("B", fields=[NAME])])
    assert [f.element for f in merged] == ["person.name", "person.id_number"]
    assert merged[0].items == ["A", "B"]


def test_a_field_optional_in_one_item_but_required_in_another_is_required():
    optional = FieldSpec("person.mobile", "手机号码", required=False)
    merged = merge_fields([_item("A", fields=[optional]), _item("B", fields=[FieldSpec("person.mobile", "手机")])])
    assert merged[0].required is True
    assert merged[0].label == "手机号码"  # first item's wording wins


def test_duplicate_materials_merge_into_the_strongest_form_and_largest_count():
    merged = merge_materials([
        _item("A", materials=[ID_CARD_COPY]),
        _item("B", materials=[MaterialSpec("id-card", "居民身份证", "original", copies=2)]),
    ])
    assert len(merged) == 1
    assert (merged[0].form, merged[0].copies, merged[0].items) == ("original", 2, ["A", "B"])


def test_original_and_copy_is_stronger_than_either_alone():
    merged = merge_materials([_item("A", materials=[ID_CARD_ORIGINAL]),
                              _item("B", materials=[MaterialSpec("id-card", "居民身份证", "original_and_copy")])])
    assert merged[0].form == "original_and_copy"


def test_a_material_stays_conditional_only_if_every_item_asks_conditionally():
    conditional_a = MaterialSpec("poa", "授权委托书", "original", required=False, condition="委托代办的")
    conditional_b = MaterialSpec("poa", "授权委托书", "original", required=False, condition="由代理人办理的")
    merged = merge_materials([_item("A", materials=[conditional_a]), _item("B", materials=[conditional_b])])
    assert merged[0].required is False
    assert merged[0].conditions == ["委托代办的", "由代理人办理的"]

    merged = merge_materials([_item("A", materials=[conditional_a]),
                              _item("B", materials=[MaterialSpec("poa", "授权委托书", "original")])])
    assert merged[0].required is True and merged[0].conditions == []


def test_bundle_plan_compares_parallel_time_and_visits_with_separate_handling():
    plan = plan_bundle([
        _item("birth-cert", days=0, visits=1, fields=[NAME], materials=[ID_CARD_ORIGINAL]),
        _item("vaccination", days=0, visits=1, fields=[NAME]),
        _item("hukou", days=3, visits=1, fields=[NAME, ID_NUMBER], materials=[ID_CARD_COPY], after=["birth-cert"]),
        _item("insurance", days=2, visits=0, fields=[ID_NUMBER], after=["hukou"]),
    ])
    assert plan.stages == [["birth-cert", "vaccination"], ["hukou"], ["insurance"]]
    assert (plan.promised_days, plan.promised_days_separately, plan.days_saved) == (5, 5, 0)
    assert (plan.visits, plan.visits_separately, plan.visits_saved) == (1, 3, 2)
    assert (len(plan.fields), plan.field_count_separately) == (2, 5)
    assert (len(plan.materials), plan.material_count_separately) == (1, 2)


def test_parallel_items_save_time_against_their_sum():
    plan = plan_bundle([_item("a", days=5), _item("b", days=3), _item("c", days=2, after=["b"])])
    assert plan.promised_days == 5 and plan.promised_days_separately == 10 and plan.days_saved == 5
