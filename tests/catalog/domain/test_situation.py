"""The situation evaluator (情形引导) as plain Python: questions, conditions, dependent exclusion, 容缺."""

from types import SimpleNamespace

import pytest

from yijianshi.catalog.domain.situation import (
    ItemRef,
    MaterialRef,
    Questionnaire,
    QuestionnaireError,
    answer_combinations,
    as_item_ref,
    describe_condition,
    evaluate,
    questionnaire_problems,
    tolerable_materials,
)

CARD_QUESTION = {"id": "card", "text": "是否同时为孩子申领社会保障卡？", "type": "yes_no", "default": True}
LOCAL_QUESTION = {"id": "local", "text": "父母一方的户籍是否在清涧县？", "type": "yes_no"}
KIND_QUESTION = {"id": "kind", "text": "企业类型是？", "type": "choice",
                 "options": [{"value": "company", "label": "有限责任公司"},
                             {"value": "partnership", "label": "合伙企业"},
                             {"value": "sole", "label": "个人独资企业"}]}

# A small bundle shaped like 新生儿出生: A, then B after A, then C after B; D stands alone.
BIRTH = ItemRef("A", "出生医学证明签发")
HUKOU = ItemRef("B", "户口登记", after=("A",))
INSURANCE = ItemRef("C", "城乡居民参保登记", after=("B",))
VACCINE = ItemRef("D", "预防接种证办理")
ITEMS = [BIRTH, HUKOU, INSURANCE, VACCINE]


def _questionnaire(questions, items=None, materials=None, key_materials=None):
    return Questionnaire.from_dict({"bundle": "test", "questions": questions, "items": items or {},
                                    "materials": materials or [], "key_materials": key_materials or []})


def _rule(condition, **extra):
    return {"include_when": condition, "reason_excluded": "不办理", **extra}


# --- conditions ------------------------------------------------------------------------------------------------

def test_is_condition_includes_the_item_only_for_that_answer():
    q = _questionnaire([CARD_QUESTION], {"D": _rule({"answer": "card", "is": "yes"})})
    assert evaluate(q, ITEMS, {"card": "yes"}).included == ["A", "B", "C", "D"]
    assert evaluate(q, ITEMS, {"card": "no"}).excluded == ["D"]


def test_in_condition_matches_any_listed_value():
    q = _questionnaire([KIND_QUESTION], {"D": _rule({"answer": "kind", "in": ["company", "partnership"]})})
    assert "D" in evaluate(q, ITEMS, {"kind": "partnership"}).included
    assert "D" in evaluate(q, ITEMS, {"kind": "sole"}).excluded


def test_all_any_and_not_combine_conditions():
    questions = [CARD_QUESTION, LOCAL_QUESTION]
    both = _questionnaire(questions, {"D": _rule({"all": [{"answer": "card", "is": "yes"},
                                                          {"answer": "local", "is": "yes"}]})})
    either = _questionnaire(questions, {"D": _rule({"any": [{"answer": "card", "is": "yes"},
                                                            {"answer": "local", "is": "yes"}]})})
    neither = _questionnaire(questions, {"D": _rule({"not": {"any": [{"answer": "card", "is": "yes"},
                                                                     {"answer": "local", "is": "yes"}]}})})
    answers = {"card": "yes", "local": "no"}
    assert "D" in evaluate(both, ITEMS, answers).excluded
    assert "D" in evaluate(either, ITEMS, answers).included
    assert "D" in evaluate(neither, ITEMS, answers).excluded
    assert "D" in evaluate(neither, ITEMS, {"card": "no", "local": "no"}).included


def test_yaml_booleans_and_form_strings_are_the_same_yes_no_answer():
    q = _questionnaire([CARD_QUESTION], {"D": _rule({"answer": "card", "is": True})})
    assert q.items["D"].include_when.to_data() == {"answer": "card", "is": "yes"}
    assert evaluate(q, ITEMS, {"card": True}).included == evaluate(q, ITEMS, {"card": "yes"}).included
    assert "D" in evaluate(q, ITEMS, {"card": False}).excluded


def test_a_literal_true_or_false_condition_is_allowed_for_materials():
    q = _questionnaire([CARD_QUESTION], {"D": _rule({"answer": "card", "is": "yes"})}, materials=[
        {"material": "photo", "include_when": True, "reason_included": "须提交照片"},
        {"material": "agreement", "include_when": False, "reason_excluded": "本事项不需要"}])
    items = [ItemRef("D", "预防接种证办理", materials=(MaterialRef("photo", False), MaterialRef("agreement", False)))]
    outcome = evaluate(q, items, {})
    assert outcome.materials_included == {"photo": "须提交照片"}
    assert outcome.materials_excluded == {"agreement": "本事项不需要"}


# --- answers ---------------------------------------------------------------------------------------------------

def test_a_default_answers_a_question_left_blank():
    q = _questionnaire([CARD_QUESTION], {"D": _rule({"answer": "card", "is": "yes"})})
    outcome = evaluate(q, ITEMS, {"card": ""})
    assert outcome.answers == {"card": "yes"} and outcome.complete
    assert "D" in outcome.included


def test_a_missing_answer_without_default_is_an_error_naming_the_question():
    question = dict(CARD_QUESTION)
    del question["default"]
    q = _questionnaire([question], {"D": _rule({"answer": "card", "is": "yes"})})
    outcome = evaluate(q, ITEMS, {})
    assert outcome.errors == {"card": "是否同时为孩子申领社会保障卡？：请选择"}
    assert not outcome.complete
    # Undecided until answered: not part of the application, and the reason says what is missing.
    assert outcome.reasons["D"] == "待回答“是否同时为孩子申领社会保障卡？”后确定"
    assert "D" in outcome.excluded


def test_an_answer_outside_the_options_is_an_error():
    q = _questionnaire([KIND_QUESTION], {"D": _rule({"answer": "kind", "is": "company"})})
    outcome = evaluate(q, ITEMS, {"kind": "cooperative", "unrelated": "ignored"})
    assert set(outcome.errors) == {"kind"}
    assert outcome.errors["kind"].startswith("企业类型是？：“cooperative”不是可选的回答")


def test_a_follow_up_question_is_asked_only_when_its_ask_when_holds():
    follow_up = {**CARD_QUESTION, "ask_when": {"answer": "local", "is": "yes"}}
    del follow_up["default"]
    q = _questionnaire([LOCAL_QUESTION, follow_up], {"D": _rule({"answer": "card", "is": "yes"}),
                                                     "B": _rule({"answer": "local", "is": "yes"})})
    not_local = evaluate(q, ITEMS, {"local": "no", "card": "yes"})
    assert not_local.errors == {} and not_local.answers == {"local": "no"}  # the stray answer is dropped
    assert [question.id for question in q.asked_questions({"local": "no"})] == ["local"]
    assert [question.id for question in q.asked_questions({"local": "yes"})] == ["local", "card"]
    assert evaluate(q, ITEMS, {"local": "yes"}).errors == {"card": "是否同时为孩子申领社会保障卡？：请选择"}


# --- items and prerequisites -----------------------------------------------------------------------------------

def test_every_item_gets_a_reason_and_unconditional_ones_are_required_of_all():
    q = _questionnaire([CARD_QUESTION], {"D": _rule({"answer": "card", "is": "yes"},
                                                    reason_included="您选择同时申领社会保障卡")})
    outcome = evaluate(q, ITEMS, {})
    assert outcome.reasons == {"A": "必办事项", "B": "必办事项", "C": "必办事项", "D": "您选择同时申领社会保障卡"}


def test_excluding_an_item_excludes_what_depends_on_it_transitively():
    q = _questionnaire([LOCAL_QUESTION], {
        "B": _rule({"answer": "local", "is": "yes"}, reason_excluded="父母户籍均不在本县"), "C": {}})
    outcome = evaluate(q, ITEMS, {"local": "no"})
    assert outcome.included == ["A", "D"]
    assert outcome.excluded == ["B", "C"]
    assert outcome.reasons["B"] == "父母户籍均不在本县"
    assert outcome.reasons["C"] == "依赖的“户口登记”不办理"


def test_the_dependency_reason_names_every_excluded_prerequisite():
    card = ItemRef("E", "社会保障卡申领", after=("B", "C"))
    q = _questionnaire([LOCAL_QUESTION], {"B": _rule({"answer": "local", "is": "yes"}), "C": {}, "E": {}})
    outcome = evaluate(q, [*ITEMS, card], {"local": "no"})
    assert outcome.reasons["E"] == "依赖的“户口登记”、“城乡居民参保登记”不办理"


def test_an_item_whose_result_is_not_needed_lets_its_dependants_proceed():
    q = _questionnaire([CARD_QUESTION], {"A": _rule({"answer": "card", "is": "no"}, dependants_proceed=True,
                                                    reason_excluded="出生医学证明已签发")})
    outcome = evaluate(q, ITEMS, {"card": "yes"})
    assert outcome.excluded == ["A"]
    assert outcome.included == ["B", "C", "D"]
    assert outcome.prerequisites == {"B": [], "C": ["B"], "D": []}


def test_alternatives_keep_the_order_through_the_one_not_taken():
    # 正常退休 (N) or 提前退休 (E), both after 申请 (S); 医保变更 (M) after both.
    items = [ItemRef("S", "申请"), ItemRef("N", "正常退休", after=("S",)), ItemRef("E", "提前退休", after=("S",)),
             ItemRef("M", "医保变更", after=("N", "E"))]
    kind = {"id": "kind", "text": "退休类型？", "type": "choice",
            "options": [{"value": "normal", "label": "正常"}, {"value": "early", "label": "提前"}]}
    q = _questionnaire([kind], {"N": _rule({"answer": "kind", "is": "normal"}, dependants_proceed=True),
                                "E": _rule({"answer": "kind", "is": "early"}, dependants_proceed=True)})
    outcome = evaluate(q, items, {"kind": "early"})
    assert outcome.included == ["S", "E", "M"]
    assert outcome.prerequisites["M"] == ["E"]


def test_reason_clauses_pick_the_first_that_matches():
    q = _questionnaire([KIND_QUESTION], {"D": {
        "include_when": {"answer": "kind", "is": "company"},
        "reason_excluded": [{"when": {"answer": "kind", "is": "partnership"}, "reason": "合伙企业不办"},
                            "个人独资企业不办"]}})
    assert evaluate(q, ITEMS, {"kind": "partnership"}).reasons["D"] == "合伙企业不办"
    assert evaluate(q, ITEMS, {"kind": "sole"}).reasons["D"] == "个人独资企业不办"


# --- materials -------------------------------------------------------------------------------------------------

MARRIED = {"id": "married", "text": "父母是否已登记结婚？", "type": "yes_no"}
MARRIAGE_RULE = {"material": "marriage-certificate", "include_when": {"answer": "married", "is": "yes"},
                 "reason_excluded": "父母未登记结婚，无需结婚证"}


def test_a_material_rule_decides_a_conditional_material_of_the_included_items():
    items = [ItemRef("B", "户口登记", materials=(MaterialRef("id-card"), MaterialRef("marriage-certificate", False)))]
    q = _questionnaire([MARRIED], materials=[MARRIAGE_RULE])
    assert evaluate(q, items, {"married": "no"}).materials_excluded == {
        "marriage-certificate": "父母未登记结婚，无需结婚证"}
    assert evaluate(q, items, {"married": "yes"}).materials_included == {"marriage-certificate": "根据您的回答，需要提交"}


def test_a_material_rule_never_removes_a_material_an_included_item_requires():
    items = [ItemRef("B", "户口登记", materials=(MaterialRef("marriage-certificate", False),)),
             ItemRef("W", "生育登记", materials=(MaterialRef("marriage-certificate", True),))]
    q = _questionnaire([MARRIED], materials=[MARRIAGE_RULE])
    outcome = evaluate(q, items, {"married": "no"})
    assert outcome.materials_excluded == {} and outcome.materials_included == {}


def test_a_material_rule_is_silent_when_no_included_item_asks_for_the_material():
    items = [ItemRef("B", "户口登记", materials=(MaterialRef("marriage-certificate", False),))]
    q = _questionnaire([MARRIED, LOCAL_QUESTION], {"B": _rule({"answer": "local", "is": "yes"})},
                       materials=[MARRIAGE_RULE])
    assert evaluate(q, items, {"married": "no", "local": "no"}).materials_excluded == {}


# --- 容缺受理 ---------------------------------------------------------------------------------------------------

TOLERANT = ItemRef("T", "户口登记", deficiency_allowed=True,
                   materials=(MaterialRef("id-card"), MaterialRef("household-register"),
                              MaterialRef("marriage-certificate", False), MaterialRef("kinship-proof")))
STRICT = ItemRef("S", "社会保障卡申领", materials=(MaterialRef("household-register"),))


def test_required_materials_of_items_allowing_deficiency_may_follow_later_except_key_ones():
    q = _questionnaire([], key_materials=["id-card"])
    assert tolerable_materials(q, [TOLERANT], {"T"}) == ["household-register", "kinship-proof"]


def test_a_material_another_included_item_needs_without_deficiency_cannot_follow_later():
    q = _questionnaire([], key_materials=["id-card"])
    assert tolerable_materials(q, [TOLERANT, STRICT], {"T", "S"}) == ["kinship-proof"]
    # Once the strict item is excluded, it no longer holds the material back.
    assert tolerable_materials(q, [TOLERANT, STRICT], {"T"}) == ["household-register", "kinship-proof"]


def test_tolerable_materials_can_be_limited_to_the_materials_still_needed():
    q = _questionnaire([])
    needs = {"id-card": {"required": True}, "household-register": {"required": True}}
    assert tolerable_materials(q, [TOLERANT], {"T"}, needs) == ["id-card", "household-register"]


# --- structure and cross-checks --------------------------------------------------------------------------------

def _errors(data) -> list[str]:
    with pytest.raises(QuestionnaireError) as excinfo:
        Questionnaire.from_dict({"bundle": "test", **data})
    return excinfo.value.errors


def test_malformed_questionnaires_are_reported_by_record_and_field():
    errors = _errors({
        "questions": [CARD_QUESTION, {**CARD_QUESTION, "text": "重复的问题"},
                      {"id": "kind", "text": "类型？", "type": "choice", "options": [{"value": "a", "label": "甲"}]},
                      {"id": "early", "text": "前面的问题？", "ask_when": {"answer": "late", "is": "yes"}},
                      {"id": "late", "text": "后面的问题？"},
                      {"id": "unused", "text": "没人用的问题？"}],
        "items": {
            "B": {"include_when": {"answer": "nobody", "is": "yes"}, "reason_excluded": "x"},
            "C": {"include_when": {"answer": "card", "is": "maybe"}, "reason_excluded": "x"},
            "D": {"include_when": {"answer": "card", "is": "yes"}},
            "E": {"include_if": {"answer": "card", "is": "yes"}, "reason_excluded": "x"},
        },
    })
    text = "\n".join(errors)
    assert "问题 card: id 重复" in text
    assert "问题 kind: choice 问题须在 options 中列出至少两个选项" in text
    assert "问题 early: ask_when 引用了不存在的问题 'late'（只能引用排在前面的问题）" in text
    assert "问题 unused: 没有任何规则用到这个问题的回答" in text
    assert "事项 B: include_when 引用了不存在的问题 'nobody'" in text
    assert "事项 C: include_when: 'maybe' 不是问题 card 的选项（yes、no）" in text
    assert "事项 D: 有 include_when 的事项须写明不办理的理由 reason_excluded" in text
    assert "事项 E: 未知字段 include_if" in text


def test_a_questionnaire_survives_its_round_trip_through_the_database_json():
    q = _questionnaire([LOCAL_QUESTION, {**KIND_QUESTION, "ask_when": {"answer": "local", "is": "yes"}}],
                       {"B": {"include_when": {"not": {"answer": "local", "is": "no"}},
                              "reason_excluded": [{"when": {"answer": "local", "is": "no"}, "reason": "外地"}, "其他"],
                              "dependants_proceed": True},
                        "C": {"reason_included": "随户口登记"}},
                       [{"material": "photo", "include_when": {"answer": "kind", "in": ["company"]},
                         "reason_excluded": "不需要"}], ["id-card"])
    data = q.to_dict()
    assert Questionnaire.from_dict(data) == q
    # evaluate takes the stored dict as well as the parsed questionnaire
    assert evaluate(data, ITEMS, {"local": "no"}).excluded == evaluate(q, ITEMS, {"local": "no"}).excluded


def test_cross_checks_name_items_materials_and_key_materials_that_do_not_fit_the_bundle():
    items = [ItemRef("A", "出生医学证明签发", materials=(MaterialRef("id-card"),)),
             ItemRef("B", "户口登记", after=("A",), materials=(MaterialRef("marriage-certificate", False),))]
    q = _questionnaire([MARRIED], {"X-001": _rule({"answer": "married", "is": "yes"})}, materials=[
        {**MARRIAGE_RULE},
        {"material": "nothing", "include_when": True},
        {"material": "photo", "include_when": True},
        {"material": "id-card", "include_when": {"answer": "married", "is": "yes"}, "reason_excluded": "x"},
    ], key_materials=["ghost", "photo"])
    problems = questionnaire_problems(q, items, known_materials={"id-card", "marriage-certificate", "photo"})
    assert problems == [
        "事项 X-001: 不是一件事 test 的子事项",
        "材料 nothing: 引用了不存在的材料",
        "材料 photo: 本一件事的子事项都不要求这项材料",
        "材料 id-card: 在本一件事的子事项中都是必需材料，不能按情形增减",
        "key_materials: 引用了不存在的材料 'ghost'",
        "key_materials: 本一件事的子事项都不要求材料 'photo'",
    ]


def test_an_item_required_of_all_may_not_be_cut_through_its_prerequisites():
    q = _questionnaire([LOCAL_QUESTION], {"B": _rule({"answer": "local", "is": "yes"})})
    problems = questionnaire_problems(q, ITEMS, known_materials=set())
    assert len(problems) == 1
    assert problems[0].startswith("事项 C: 没有规则即为必办事项，但回答为“父母一方的户籍是否在清涧县？否”时会被排除")
    assert "依赖的“户口登记”不办理" in problems[0]
    # Listing it, or letting dependants proceed, settles it.
    listed = _questionnaire([LOCAL_QUESTION], {"B": _rule({"answer": "local", "is": "yes"}), "C": {}})
    proceeding = _questionnaire([LOCAL_QUESTION], {"B": _rule({"answer": "local", "is": "yes"},
                                                              dependants_proceed=True)})
    assert questionnaire_problems(listed, ITEMS, set()) == []
    assert questionnaire_problems(proceeding, ITEMS, set()) == []


def test_a_condition_that_never_changes_is_refused_for_an_item():
    follow_up = {"id": "card", "text": "是否申领社保卡？", "ask_when": {"answer": "local", "is": "yes"}}
    q = _questionnaire([LOCAL_QUESTION, follow_up], {
        "B": _rule({"all": [{"answer": "local", "is": "no"}, {"answer": "card", "is": "yes"}]}),  # never both
        "D": _rule({"any": [{"answer": "local", "is": "yes"}, {"answer": "local", "is": "no"}]}),
        "C": {}})
    problems = questionnaire_problems(q, ITEMS, set())
    assert "事项 B: include_when 在任何回答下都不成立，这个事项永远不会办理" in problems
    assert "事项 D: include_when 在任何回答下都成立，不必设置条件" in problems


def test_too_many_answer_combinations_are_refused():
    questions = [{"id": f"q{n}", "text": f"问题{n}？"} for n in range(13)]
    q = _questionnaire(questions, {"D": _rule({"all": [{"answer": f"q{n}", "is": "yes"} for n in range(13)]})})
    assert answer_combinations(q) is None
    assert questionnaire_problems(q, ITEMS, set()) == ["questions: 回答组合超过 4096 种，无法逐一校验，请减少问题或选项"]


def test_catalog_bundle_rows_can_be_passed_as_they_are():
    material = SimpleNamespace(material=SimpleNamespace(code="household-register"), required=True)
    version = SimpleNamespace(name="户口登记", deficiency_allowed=True,
                              materials=SimpleNamespace(all=lambda: [material]))
    birth_row = SimpleNamespace(item=SimpleNamespace(code="A"))
    row = SimpleNamespace(item=SimpleNamespace(code="B", published_version=version),
                          prerequisites=SimpleNamespace(all=lambda: [birth_row]))
    assert as_item_ref(row) == ItemRef("B", "户口登记", after=("A",), deficiency_allowed=True,
                                       materials=(MaterialRef("household-register", True),))


def test_a_condition_reads_as_words_built_from_the_questions_and_option_labels():
    q = _questionnaire([LOCAL_QUESTION, KIND_QUESTION], {"D": _rule({"all": [
        {"answer": "local", "is": "yes"},
        {"not": {"answer": "kind", "in": ["partnership", "sole"]}},
        {"any": [{"answer": "local", "is": "no"}, {"answer": "kind", "is": "company"}]}]})})
    assert describe_condition(q.items["D"].include_when, q) == (
        "“父母一方的户籍是否在清涧县？”答“是”并且并非“企业类型是？”答“合伙企业”或“个人独资企业”并且"
        "（“父母一方的户籍是否在清涧县？”答“否”或者“企业类型是？”答“有限责任公司”）")
