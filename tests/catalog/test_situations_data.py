"""The situation questionnaires in data/catalog/situations/: they validate, and they decide what they should."""

import shutil

import pytest
import yaml
from django.conf import settings

from yijianshi.catalog.datafiles import CatalogDataError, read_catalog
from yijianshi.catalog.domain.situation import MUST, evaluate, tolerable_materials
from yijianshi.catalog.models import Bundle
from yijianshi.catalog.selectors import bundle_get, bundle_item_refs, bundle_questionnaire

REQUIRED = {"newborn", "business-startup", "resale-housing-transfer", "employee-hiring", "marriage-and-childbirth",
            "after-death", "veteran-resettlement", "driving-licence-renewal"}


@pytest.fixture(scope="module")
def files():
    return read_catalog(settings.CATALOG_DATA_DIR)


def _outcome(files, bundle, answers):
    return evaluate(files.situations[bundle], files.item_refs(bundle), answers)


def test_every_situations_file_loads_and_validates_against_its_bundle(files):
    on_disk = {path.stem for path in (settings.CATALOG_DATA_DIR / "situations").glob("*.yaml")}
    assert set(files.situations) == on_disk
    assert REQUIRED <= on_disk
    for code, questionnaire in files.situations.items():
        assert questionnaire.bundle == code and questionnaire.questions, code


def test_the_defaults_describe_a_complete_application_for_every_bundle_that_has_them(files):
    for code, questionnaire in files.situations.items():
        if all(q.default is not None for q in questionnaire.questions):
            outcome = _outcome(files, code, {})
            assert outcome.complete and outcome.included, code


# --- 新生儿出生 ---------------------------------------------------------------------------------------------------

def test_newborn_by_default_applies_for_everything_the_bundle_offers(files):
    outcome = _outcome(files, "newborn", {})
    assert outcome.complete
    assert outcome.included == ["WJJ-001", "WJJ-002", "GAJ-002", "YBJ-001", "RSJ-010"]
    assert outcome.reasons["WJJ-001"] == MUST
    assert outcome.materials_excluded == {"kinship-proof": "只有非婚生育随父亲落户的才须提交亲属关系证明"}


def test_newborn_whose_parents_are_registered_elsewhere_registers_the_hukou_there(files):
    outcome = _outcome(files, "newborn", {"parents_hukou_local": "no"})
    assert outcome.included == ["WJJ-001", "WJJ-002"]
    assert outcome.excluded == ["GAJ-002", "YBJ-001", "RSJ-010"]
    assert "户籍所在地公安派出所" in outcome.reasons["GAJ-002"]
    assert outcome.reasons["YBJ-001"] == "依赖的“户口登记”不办理"
    # Not asked once the hukou is registered elsewhere, so no answer is missing.
    assert outcome.answers == {"parents_hukou_local": "no", "vaccination_card_received": "no"}


def test_newborn_without_social_security_card_or_with_a_vaccination_card_leaves_those_out(files):
    outcome = _outcome(files, "newborn", {"social_security_card": "no", "vaccination_card_received": "yes"})
    assert outcome.excluded == ["WJJ-002", "RSJ-010"]
    assert outcome.reasons["RSJ-010"].startswith("您选择暂不申领社会保障卡")
    unmarried = _outcome(files, "newborn", {"parents_married": "no", "settle_with": "father"})
    assert "kinship-proof" in unmarried.materials_included and "marriage-certificate" in unmarried.materials_excluded


# --- 企业开办 ------------------------------------------------------------------------------------------------------

def test_business_startup_without_seals_cannot_open_the_bank_account_in_the_bundle(files):
    outcome = _outcome(files, "business-startup", {"seal": "no"})
    assert outcome.excluded == ["GAJ-003", "SYYH-001"]
    assert outcome.reasons["SYYH-001"] == "依赖的“公章刻制备案”不办理"
    assert outcome.included == ["SPJ-001", "RSJ-011", "SWJ-002", "SWJ-003", "GJJZX-001"]


def test_business_startup_leaves_out_invoices_housing_fund_and_bank_when_declined(files):
    outcome = _outcome(files, "business-startup", {"invoice": "no", "housing_fund": "no", "bank_account": "no"})
    assert outcome.excluded == ["SYYH-001", "SWJ-003", "GJJZX-001"]
    assert outcome.included == ["SPJ-001", "GAJ-003", "RSJ-011", "SWJ-002"]


def test_business_startup_asks_articles_of_association_by_kind_of_enterprise(files):
    sole = _outcome(files, "business-startup", {"enterprise_kind": "sole_proprietorship"})
    assert set(sole.materials_excluded) >= {"articles-of-association", "spj-officer-appointment"}
    partnership = _outcome(files, "business-startup", {"enterprise_kind": "partnership"})
    assert partnership.materials_included["articles-of-association"] == "设立合伙企业须提交全体合伙人签署的合伙协议"
    assert "spj-officer-appointment" in partnership.materials_excluded


# --- 二手房转移登记及水电气暖联动过户 -------------------------------------------------------------------------------

def test_resale_housing_without_utility_transfer_keeps_only_the_registration_chain(files):
    outcome = _outcome(files, "resale-housing-transfer", {"utilities_transfer": "no"})
    assert outcome.included == ["ZJJ-002", "SWJ-001", "ZRZYJ-001"]
    assert outcome.excluded == ["SLJ-001", "GDGS-001", "TRQGS-001", "ZJJ-003"]
    assert all(outcome.reasons[code].startswith("您选择暂不联动过户") for code in outcome.excluded)


def test_resale_housing_without_gas_or_central_heating_transfers_water_and_power_only(files):
    outcome = _outcome(files, "resale-housing-transfer", {"has_gas": "no", "has_heating": "no"})
    assert outcome.excluded == ["TRQGS-001", "ZJJ-003"]
    assert outcome.reasons["TRQGS-001"] == "房屋未开通管道天然气，无需办理燃气过户"
    assert outcome.reasons["ZJJ-003"] == "房屋未接入集中供热，无需办理用暖过户"
    assert outcome.prerequisites["SLJ-001"] == ["ZRZYJ-001"]


def test_resale_housing_with_a_mortgage_is_registered_as_a_transfer_with_the_mortgage(files):
    outcome = _outcome(files, "resale-housing-transfer", {"seller_mortgage": "yes", "buyer_loan": "yes"})
    assert "ZRZYJ-001" in outcome.included
    assert outcome.reasons["ZRZYJ-001"].startswith("办理“带押过户”")
    assert _outcome(files, "resale-housing-transfer", {}).reasons["ZRZYJ-001"].startswith("必办事项")


# --- the other bundles, one real choice each ------------------------------------------------------------------

@pytest.mark.parametrize("bundle, answers, excluded, included", [
    ("employee-hiring", {"has_social_security_card": "yes", "personnel_file": "no"},
     ["RSJ-010", "RSJ-016"], ["RSJ-002", "RSJ-015", "YBJ-004", "GJJZX-002"]),
    ("marriage-and-childbirth", {"move_hukou": "no", "birth_registration": "no"},
     ["GAJ-005", "WJJ-003"], ["MZJ-001", "GAJ-004"]),
    ("after-death", {"death_kind": "declared", "had_driving_licence": "no", "pension_insured": "yes",
                     "employee_medical_insured": "no", "housing_fund": "no"},
     ["WJJ-004", "GAJ-008", "MZJ-003", "YBJ-008", "GAJ-010", "GJJZX-004"], ["RSJ-023", "RSJ-024", "GAJ-009"]),
    ("veteran-resettlement", {"employment": "employer"},
     ["GAJ-007", "RSJ-017", "YBJ-005"], ["TYJRJ-001", "GAJ-006", "RWB-001", "RSJ-020", "YBJ-007", "TYJRJ-002"]),
    ("driving-licence-renewal", {"health_check_done": "yes", "photo_taken": "yes"},
     ["TJJG-001", "JJD-001"], ["JJD-002"]),
    ("employee-retirement", {"retirement_kind": "special_job", "housing_fund": "no"},
     ["RSJ-021", "GJJZX-003"], ["RSJ-022", "YBJ-004"]),
])
def test_answers_leave_out_the_items_that_do_not_apply(files, bundle, answers, excluded, included):
    outcome = _outcome(files, bundle, answers)
    assert outcome.complete, outcome.errors
    assert outcome.excluded == excluded
    assert outcome.included == included


def test_an_item_taken_by_another_path_does_not_hold_up_what_follows(files):
    # 现房 or 预售房: only one proof is needed and the withdrawal waits for the others only.
    outcome = _outcome(files, "housing-fund-withdrawal-for-purchase", {"house_state": "presale"})
    assert outcome.excluded == ["ZRZYJ-002"]
    assert outcome.prerequisites["GJJZX-005"] == ["KFS-001", "KFS-002", "SWJ-005"]
    assert "real-estate-certificate" in outcome.materials_excluded


def test_key_materials_never_follow_later_under_deficiency_acceptance(files):
    outcome = _outcome(files, "after-death", {"death_kind": "normal", "had_driving_licence": "yes",
                                              "pension_insured": "yes", "employee_medical_insured": "yes",
                                              "housing_fund": "yes"})
    tolerable = tolerable_materials(files.situations["after-death"], files.item_refs("after-death"),
                                    set(outcome.included))
    assert tolerable and not {"id-card", "kinship-proof"} & set(tolerable)


# --- validation of the files -----------------------------------------------------------------------------------

@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "catalog"
    shutil.copytree(settings.CATALOG_DATA_DIR, target)
    return target


def _edit(directory, bundle, change):
    path = directory / "situations" / f"{bundle}.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _read_errors(directory) -> str:
    with pytest.raises(CatalogDataError) as excinfo:
        read_catalog(directory)
    return "\n".join(excinfo.value.errors)


def test_a_bad_questionnaire_is_reported_by_file_record_and_field(data_copy):
    def break_it(content):
        content["items"]["RSJ-010"]["include_when"] = {"answer": "social_security", "is": "yes"}
        content["items"]["SPJ-001"] = {"include_when": {"answer": "parents_hukou_local", "is": "yes"},
                                       "reason_excluded": "x"}
    _edit(data_copy, "newborn", break_it)
    errors = _read_errors(data_copy)
    assert "situations/newborn.yaml 事项 RSJ-010: include_when 引用了不存在的问题 'social_security'" in errors
    # The structure is fixed first; the cross-checks then name the item that is not in the bundle.
    _edit(data_copy, "newborn", lambda c: c["items"]["RSJ-010"].update(
        include_when={"answer": "social_security_card", "is": "yes"}))
    assert "situations/newborn.yaml 事项 SPJ-001: 不是一件事 newborn 的子事项" in _read_errors(data_copy)


def test_removing_a_needed_rule_is_refused_because_a_required_item_would_be_cut(data_copy):
    _edit(data_copy, "newborn", lambda c: c["items"].pop("YBJ-001"))
    errors = _read_errors(data_copy)
    assert "situations/newborn.yaml 事项 YBJ-001: 没有规则即为必办事项" in errors
    assert "依赖的“户口登记”不办理" in errors


def test_a_situations_file_must_be_named_after_an_existing_bundle(data_copy):
    shutil.copy(data_copy / "situations" / "newborn.yaml", data_copy / "situations" / "new-born.yaml")
    errors = _read_errors(data_copy)
    assert "situations/new-born.yaml: 文件名须为一件事编码，没有编码为 'new-born' 的一件事" in errors


def test_the_questionnaire_must_name_the_bundle_of_its_file(data_copy):
    _edit(data_copy, "newborn", lambda c: c.update(bundle="after-death"))
    assert "situations/newborn.yaml: bundle 须与文件名一致" in _read_errors(data_copy)


# --- stored on the bundle ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_loaded_questionnaire_is_stored_on_the_bundle_and_read_back_unchanged(files):
    bundle = bundle_get("newborn")
    assert bundle_questionnaire(bundle) == files.situations["newborn"]
    # The database rows give the same decisions as the data files.
    refs = bundle_item_refs(bundle)
    assert refs == files.item_refs("newborn")
    assert evaluate(bundle_questionnaire(bundle), refs, {"parents_hukou_local": "no"}).excluded == [
        "GAJ-002", "YBJ-001", "RSJ-010"]


@pytest.mark.django_db
def test_a_bundle_without_questionnaire_asks_nothing_and_applies_every_item():
    bundle = bundle_get("shop-signboard")
    assert bundle.questionnaire == {}
    questionnaire = bundle_questionnaire(bundle)
    assert questionnaire.questions == ()
    outcome = evaluate(questionnaire, bundle_item_refs(bundle), {})
    assert outcome.complete and outcome.included == ["SPJ-005", "ZJJ-005"]
    assert set(outcome.reasons.values()) == {MUST}


@pytest.mark.django_db
def test_catalog_rows_fetched_like_the_case_planner_does_evaluate_the_same(files):
    bundle = Bundle.objects.get(code="after-death")
    rows = list(bundle.bundle_items.select_related("item__published_version").prefetch_related(
        "prerequisites__item", "item__published_version__materials__material"))
    answers = {"death_kind": "unnatural", "had_driving_licence": "yes", "pension_insured": "no",
               "employee_medical_insured": "no", "housing_fund": "yes"}
    from_rows = evaluate(bundle_questionnaire(bundle), rows, answers)
    assert from_rows == _outcome(files, "after-death", answers)
    assert from_rows.excluded == ["WJJ-004", "YBJ-008", "RSJ-023", "RSJ-024"]
