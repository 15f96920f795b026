"""The case pages through the Django test client: the 新生儿出生 wizard end to end, errors next to their fields,
what each person may see, and what happens when two members of staff act on a case that has moved on."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases import helpers
from tests.conftest import make_id_number
from yijianshi.audit.models import AuditEvent
from yijianshi.cases import services
from yijianshi.cases.models import Case, CaseMaterial, Rating, Task

pytestmark = pytest.mark.django_db





def _errors(response) -> dict[str, str]:
    """Field errors on the page, keyed by the input they belong to (the id of the error's paragraph)."""
    html = response.content.decode()
    return dict(re.findall(r'<p class="field-error" id="id_([^"]+)_error"[^>]*>([^<]*)</p>', html))


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _uploads(codes, *, png_for=()) -> dict:
    return {f"material-{code}": (SimpleUploadedFile(f"{code}.png", helpers.png()) if code in png_for else
                                 SimpleUploadedFile(f"{code}.pdf", helpers.pdf(code))) for code in codes}


def _start(client, user, bundle="newborn") -> str:
    """Log in, open the bundle's first page and start: the wizard's base URL (with its token)."""
    client.force_login(user)
    response = client.post(f"/apply/{bundle}/", {})
    assert response.status_code == 302
    return response["Location"].rsplit("/", 2)[0] + "/"


def _apply(client, user, answers=None, delivery="download", **form_overrides) -> Case:
    base = _start(client, user)
    answers = answers or helpers.answers_for("newborn")
    assert client.post(base + "situation/", {**answers, "shown": ",".join(answers)}).status_code == 302
    form = helpers.form_data("newborn", answers, applicant=user.person, **form_overrides)
    assert client.post(base + "form/", form).status_code == 302
    response = client.post(base + "materials/", _uploads(helpers.required_materials("newborn", answers)))
    assert response.status_code == 302, _errors(response)
    response = client.post(base + "confirm/", {"delivery_method": delivery, "pickup_point": 1})
    assert response.status_code == 302, _errors(response)
    return Case.objects.get(idempotency_key=base.rstrip("/").rsplit("/", 1)[1])


def test_a_resident_applies_for_a_newborn_and_a_double_submit_makes_one_case(client, resident):
    base = _start(client, resident)
    page = client.get(base + "situation/")
    assert "父母一方的户籍是否在清涧县？" in _text(page)

    # The child already has a vaccination card: that sub-item drops out, with the reason, before the form.
    answers = helpers.answers_for("newborn", vaccination_card_received="yes")
    response = client.post(base + "situation/", {**answers, "shown": ",".join(answers)})
    assert response["Location"] == base + "form/"
    form_page = client.get(base + "form/")
    text = _text(form_page)
    assert "本次办理 4 个事项" in text and "孩子已在出生医院领取预防接种证，无需重复办理" in text
    # Prefilled from her own record; she sees her own number in full.
    assert 'name="person.id_number" value="610830194001010096"' in form_page.content.decode()

    form = helpers.form_data("newborn", answers, applicant=resident.person)
    assert client.post(base + "form/", form)["Location"] == base + "materials/"

    materials = helpers.required_materials("newborn", answers)
    response = client.post(base + "materials/", _uploads(materials, png_for={"photo"}))
    assert response["Location"] == base + "confirm/"
    confirm = client.get(base + "confirm/")
    assert "近期免冠彩色证件照片" in _text(confirm) and "已上传 photo.png" in _text(confirm)

    first = client.post(base + "confirm/", {"delivery_method": "download"})
    second = client.post(base + "confirm/", {"delivery_method": "download"})  # the double click
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == f"/cases/{case.number}/receipt/"
    assert case.applicant_id == resident.person.pk and case.channel == Case.Channel.ONLINE
    assert "WJJ-002" not in case.situation["included"] and len(case.situation["included"]) == 4
    assert set(case.materials.values_list("material__code", flat=True)) == set(materials)

    receipt = client.get(first["Location"])
    assert case.number in _text(receipt) and "下载受理回执（PDF）" in _text(receipt)
    pdf = client.get(f"/cases/{case.number}/receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Going back to a step of a submitted application leads to what it became.
    assert client.get(base + "form/")["Location"] == f"/cases/{case.number}/receipt/"


def test_field_errors_show_next_to_the_field_with_400_and_nothing_is_saved(client, resident):
    base = _start(client, resident)
    answers = helpers.answers_for("newborn")
    client.post(base + "situation/", {**answers, "shown": ",".join(answers)})
    form = helpers.form_data("newborn", answers, applicant=resident.person)

    spouse = helpers.id_number("19890505", 12)
    wrong = {**form, "child.name": "", "spouse.id_number": spouse[:-1] + ("1" if spouse[-1] != "1" else "2")}
    response = client.post(base + "form/", wrong)
    assert response.status_code == 400
    errors = _errors(response)
    assert errors["child.name"] == "新生儿姓名：必填"
    assert "校验位不正确" in errors["spouse.id_number"]
    assert 'value="李小宝"' not in response.content.decode()
    assert client.get(base + "materials/")["Location"] == base + "form/"  # cannot skip ahead

    client.post(base + "form/", form)
    materials = helpers.required_materials("newborn", answers)
    uploads = _uploads(materials)
    uploads["material-photo"] = SimpleUploadedFile("photo.exe", helpers.EXE)
    response = client.post(base + "materials/", uploads)
    assert response.status_code == 400
    assert _errors(response) == {"material-photo": "近期免冠彩色证件照片：只接受 PDF、JPG、PNG 格式的文件"}
    assert "已上传：id-card.pdf" in _text(response)  # the good files are kept

    response = client.post(base + "materials/", {"material-photo": SimpleUploadedFile("p.png", helpers.png())})
    assert response.status_code == 302
    # The service's check on the postal address lands next to that input, and no case is made.
    response = client.post(base + "confirm/", {"delivery_method": "post", "delivery_address": "清涧县"})
    assert response.status_code == 400
    assert _errors(response)["delivery_address"] == "邮寄地址：选择邮寄时必填，请写到门牌号"
    assert not Case.objects.exists()


def test_a_follow_up_question_appears_before_the_applicant_goes_on(client, resident):
    base = _start(client, resident)
    # Without JavaScript: answering "no" hides the follow-ups; switching back to "yes" asks them again.
    response = client.post(base + "situation/", {"parents_hukou_local": "yes", "vaccination_card_received": "no",
                                                 "shown": "parents_hukou_local,vaccination_card_received"})
    assert response.status_code == 400
    assert "还需要回答以下新出现的问题" in _text(response) and "孩子随父亲还是随母亲登记户口？" in _text(response)
    # The htmx preview re-renders the questions and the outcome without saving anything.
    preview = client.post(base + "situation/", {"parents_hukou_local": "no", "preview": "1"})
    assert preview.status_code == 200 and "出生登记须到父母一方户籍所在地" in _text(preview)
    assert client.get(base + "form/")["Location"] == base + "situation/"


def test_another_residents_case_is_not_found(client, resident, relative):
    case = _apply(client, resident)
    material = case.materials.first()
    client.force_login(relative)
    for url in [f"/cases/{case.number}/", f"/cases/{case.number}/receipt/", f"/cases/{case.number}/receipt.pdf",
                f"/cases/{case.number}/materials/{material.pk}/"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{case.number}/rate/", {"level": 5}).status_code == 404
    assert case.number not in _text(client.get("/cases/"))
    client.force_login(resident)
    assert case.number in _text(client.get("/cases/"))
    own = client.get(f"/cases/{case.number}/materials/{material.pk}/")
    assert own.status_code == 200 and own.content.startswith(b"%PDF")


def test_a_resident_cannot_open_the_window_or_the_task_queue(client, resident):
    client.force_login(resident)
    assert client.get("/window/").status_code == 403
    assert client.get("/tasks/").status_code == 403
    assert client.get("/window/apply/").status_code == 403


def test_an_officer_sees_only_the_tasks_of_their_department(client, resident, clerk, officers):
    case = _apply(client, resident)
    services.case_accept(user=clerk, case=case)
    wjj_task = case.tasks.get(item_version__item__code="WJJ-001")

    client.force_login(officers("wjj"))
    queue = _text(client.get("/tasks/"))
    assert "出生医学证明签发" in queue and "预防接种证办理" in queue and "户口登记" not in queue

    client.force_login(officers("gaj"))
    assert "出生医学证明签发" not in _text(client.get("/tasks/"))
    assert "户口登记" in _text(client.get("/tasks/?status=waiting"))
    assert client.get(f"/tasks/{wjj_task.pk}/").status_code == 404
    assert client.post(f"/tasks/{wjj_task.pk}/claim/").status_code == 404
    assert Task.objects.get(pk=wjj_task.pk).status == Task.Status.READY


def test_two_clerks_acting_on_a_case_that_has_moved_on_get_a_clear_message(client, resident, clerk, make_staff):
    case = _apply(client, resident)
    second_clerk = make_staff("clerk2", "window_clerk", service_point="county-hall")
    client.force_login(clerk)
    assert client.post(f"/window/cases/{case.number}/accept/")["Location"] == f"/window/cases/{case.number}/"

    client.force_login(second_clerk)  # their page still shows the buttons of a case waiting for pre-review
    notice = client.post(f"/window/cases/{case.number}/notice/", {"other-0": "结婚证照片模糊"})
    assert notice.status_code == 409
    assert "办件当前为“办理中”，不能发出补正告知" in _text(notice)
    again = client.post(f"/window/cases/{case.number}/accept/")
    assert again.status_code == 409 and "办件当前为“办理中”，不能受理" in _text(again)
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED and not case.notices.exists()


def test_two_officers_claiming_one_task_the_second_is_told_who_has_it(client, resident, clerk, officers, make_staff):
    case = _apply(client, resident)
    services.case_accept(user=clerk, case=case)
    task = case.tasks.get(item_version__item__code="WJJ-001")
    client.force_login(officers("wjj"))
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
    client.force_login(make_staff("officer-wjj-2", "department_officer", department="wjj"))
    response = client.post(f"/tasks/{task.pk}/claim/")
    assert response.status_code == 409 and "任务当前为“办理中”" in _text(response)


def test_notice_correction_acceptance_approval_and_rating_through_the_pages(client, resident, clerk, officers):
    case = _apply(client, resident)
    client.force_login(clerk)
    page = client.get(f"/window/cases/{case.number}/")
    assert "610830********0096" in _text(page) and "610830194001010096" not in page.content.decode()
    empty = client.post(f"/window/cases/{case.number}/notice/", {})
    assert empty.status_code == 400 and "补正内容：请至少列出一项" in _text(empty)
    response = client.post(f"/window/cases/{case.number}/notice/", {
        "problem:material:photo": "照片背景不是白色，请重新上传", "problem:field:child.name": "与出生医学证明不一致"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CORRECTION_REQUESTED

    client.force_login(resident)
    detail = _text(client.get(f"/cases/{case.number}/"))
    assert "材料：近期免冠彩色证件照片 ：照片背景不是白色，请重新上传" in detail
    missing = client.post(f"/cases/{case.number}/correct/", {"child.name": "李小宝"})
    assert missing.status_code == 400
    assert _errors(missing)["material-photo"] == "近期免冠彩色证件照片：请上传补正后的材料"
    response = client.post(f"/cases/{case.number}/correct/", {
        "child.name": "李宝宝", "material-photo": SimpleUploadedFile("new.png", helpers.png())})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.SUBMITTED
    assert CaseMaterial.objects.get(case=case, material__code="photo").status == CaseMaterial.Status.PROVIDED

    client.force_login(clerk)
    client.post(f"/window/cases/{case.number}/accept/")
    while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
        for task in ready:
            client.force_login(officers(task.department.code))
            assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
            half = client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意", "result_key_0": "证照编号"})
            assert half.status_code == 400 and "名称和内容须同时填写" in _text(half)
            done = client.post(f"/tasks/{task.pk}/approve/", {
                "opinion": "材料齐全，同意办理", "result_key_0": "证照编号", "result_value_0": f"NO-{task.pk}"})
            assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.DELIVERED

    client.force_login(resident)
    detail = client.get(f"/cases/{case.number}/")
    assert "已出件" in _text(detail) and f"NO-{case.tasks.first().pk}" in _text(detail)
    bad = client.post(f"/cases/{case.number}/rate/", {"level": 1})
    assert bad.status_code == 400 and _errors(bad)["comment"] == "评价说明：不满意时请写明原因，便于整改"
    assert client.post(f"/cases/{case.number}/rate/", {"level": 5})["Location"] == f"/cases/{case.number}/"
    assert Rating.objects.get(case=case).get_level_display() == "非常满意"
    assert "非常满意" in _text(client.get(f"/cases/{case.number}/"))


def test_staff_reading_a_material_is_on_the_audit_record(client, resident, clerk):
    case = _apply(client, resident)
    material = case.materials.get(material__code="id-card")
    client.force_login(clerk)
    response = client.get(f"/cases/{case.number}/materials/{material.pk}/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.filter(action="personal_data.read").last()
    assert event.subject_party_id == resident.person.pk and "material:id-card" in str(event.after)


def test_a_clerk_applies_for_a_walk_in_resident_and_registers_the_pickup(client, clerk, officers):
    client.force_login(clerk)
    wrong = client.post("/window/apply/", {"bundle": "newborn", "applicant_name": "王秀英",
                                           "applicant_id_number": make_id_number("19920404", 5)[:-1] + "0"})
    if wrong.status_code != 400:  # the check digit happened to be 0: make it certainly wrong
        wrong = client.post("/window/apply/", {"bundle": "newborn", "applicant_name": "王秀英",
                                               "applicant_id_number": "61083019920404005"})
    assert wrong.status_code == 400 and "applicant_id_number" in _errors(wrong)

    id_number = make_id_number("19920404", 5)
    response = client.post("/window/apply/", {"bundle": "newborn", "applicant_name": "王秀英",
                                              "applicant_id_number": id_number, "applicant_mobile": "13800000077"})
    base = response["Location"].rsplit("/", 2)[0] + "/"
    answers = helpers.answers_for("newborn")
    client.post(base + "situation/", {**answers, "shown": ",".join(answers)})
    form_page = client.get(base + "form/")
    assert f'value="{id_number}"' in form_page.content.decode()  # from the ID card the clerk checked
    form = helpers.form_data("newborn", answers, **{"person__name": "王秀英", "person__id_number": id_number})
    assert client.post(base + "form/", form).status_code == 302
    assert client.post(base + "materials/", _uploads(helpers.required_materials("newborn", answers))).status_code == 302
    response = client.post(base + "confirm/", {"delivery_method": "pickup", "pickup_point": 1})
    case = Case.objects.get()
    assert response["Location"] == f"/window/cases/{case.number}/"
    assert case.channel == Case.Channel.WINDOW and case.applicant.display_name == "王秀英"

    services.case_accept(user=clerk, case=case)
    while ready := list(case.tasks.filter(status=Task.Status.READY).select_related("department")):
        for task in ready:
            services.task_claim(user=officers(task.department.code), task=task)
            services.task_approve(user=officers(task.department.code), task=task, opinion="同意")
    case.refresh_from_db()
    assert case.status == Case.Status.COMPLETED
    assert case.number in _text(client.get("/window/"))
    assert client.post(f"/window/cases/{case.number}/deliver/", {"note": "申请人本人签收"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.DELIVERED


def test_a_non_key_material_may_follow_later_and_is_supplied_on_the_case_page(client, resident):
    base = _start(client, resident)
    answers = helpers.answers_for("newborn")
    client.post(base + "situation/", {**answers, "shown": ",".join(answers)})
    client.post(base + "form/", helpers.form_data("newborn", answers, applicant=resident.person))
    tolerable = helpers.tolerable_materials("newborn", answers)
    assert tolerable
    later = tolerable[0]
    now = [code for code in helpers.required_materials("newborn", answers) if code != later]
    unsigned = client.post(base + "materials/", {**_uploads(now), f"defer-{later}": "on"})
    assert unsigned.status_code == 400
    assert _errors(unsigned)["commitment_signed"] == "容缺承诺：容缺受理须签署承诺书，承诺限期补交材料"
    signed = client.post(base + "materials/", {f"defer-{later}": "on", "commitment_signed": "on"})
    assert signed.status_code == 302
    client.post(base + "confirm/", {"delivery_method": "download"})
    case = Case.objects.get()
    commitment = case.commitments.get()
    assert commitment.materials == [later]

    page = client.get(f"/cases/{case.number}/")
    assert "补交容缺材料" in _text(page)
    response = client.post(f"/cases/{case.number}/commitments/{commitment.pk}/fulfil/",
                           {f"material-{later}": SimpleUploadedFile("later.pdf", helpers.pdf("later"))})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == "fulfilled"


def test_an_agent_applies_under_a_mandate_and_sees_no_prefilled_numbers(client, resident, relative):
    from datetime import timedelta

    from django.utils import timezone

    from yijianshi.accounts.services import mandate_grant

    mandate_grant(user=resident, principal=resident.person, agent_name="张小军", agent_id_number=relative.person.id_number,
                  bundle_codes=["newborn"], valid_until=timezone.now() + timedelta(days=30))
    client.force_login(relative)
    assert "张**（依授权代办）" in _text(client.get("/apply/newborn/")).replace(" ", "")
    response = client.post("/apply/newborn/", {"principal_id": resident.person.pk})
    base = response["Location"].rsplit("/", 2)[0] + "/"
    answers = helpers.answers_for("newborn")
    client.post(base + "situation/", {**answers, "shown": ",".join(answers)})
    form_page = client.get(base + "form/").content.decode()
    assert resident.person.id_number not in form_page and "张**（依授权代办）" in form_page
    client.post(base + "form/", helpers.form_data("newborn", answers, applicant=resident.person))
    client.post(base + "materials/", _uploads(helpers.required_materials("newborn", answers)))
    client.post(base + "confirm/", {"delivery_method": "download"})
    case = Case.objects.get()
    assert case.applicant_id == resident.person.pk and case.channel == Case.Channel.AGENT and case.mandate_id
    # A mandate for one bundle is used per case: he follows the case he made, and nobody else's.
    assert client.get(f"/cases/{case.number}/").status_code == 200
    assert case.number in _text(client.get("/cases/"))
    other = _apply(client, resident)
    client.force_login(relative)
    assert client.get(f"/cases/{other.number}/").status_code == 404


def test_an_officer_returns_a_task_for_correction_and_it_comes_back_to_them(client, resident, clerk, officers):
    case = _apply(client, resident)
    services.case_accept(user=clerk, case=case)
    task = case.tasks.get(item_version__item__code="WJJ-001")
    officer = officers("wjj")
    client.force_login(officer)
    client.post(f"/tasks/{task.pk}/claim/")
    page = _text(client.get(f"/tasks/{task.pk}/"))
    assert "材料：居民身份证" in page and "材料：居民户口簿" not in page  # only what this sub-item asks for
    no_problem = client.post(f"/tasks/{task.pk}/return/", {"opinion": "材料不清晰"})
    assert no_problem.status_code == 400 and "补正内容：请至少列出一项" in _text(no_problem)
    response = client.post(f"/tasks/{task.pk}/return/", {
        "opinion": "身份证复印件不清晰", "problem:material:id-card": "请上传父母双方身份证正反面的清晰照片"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.RETURNED

    client.force_login(resident)
    assert "请上传父母双方身份证正反面的清晰照片" in _text(client.get(f"/cases/{case.number}/"))
    client.post(f"/cases/{case.number}/correct/",
                {"material-id-card": SimpleUploadedFile("id.pdf", helpers.pdf("身份证新"))})
    task.refresh_from_db()
    assert task.status == Task.Status.CLAIMED and task.claimed_by_id == officer.pk


def test_only_a_leader_of_the_department_extends_a_task(client, resident, clerk, officers, make_staff):
    case = _apply(client, resident)
    services.case_accept(user=clerk, case=case)
    task = case.tasks.get(item_version__item__code="WJJ-001")
    client.force_login(officers("wjj"))
    assert "批准延期" not in _text(client.get(f"/tasks/{task.pk}/"))
    assert client.post(f"/tasks/{task.pk}/extend/", {"days": 3, "reason": "需外省核验出生信息"}).status_code == 403

    leader = make_staff("leader-wjj", "department_leader", department="wjj")
    client.force_login(leader)
    bad = client.post(f"/tasks/{task.pk}/extend/", {"days": 3, "reason": "核验"})
    assert bad.status_code == 400 and _errors(bad)["reason"] == "延期理由：必填，至少 4 个字"
    before = Task.objects.get(pk=task.pk).due_date
    assert client.post(f"/tasks/{task.pk}/extend/", {"days": 3, "reason": "需外省核验出生信息"}).status_code == 302
    task.refresh_from_db()
    assert task.extension_days == 3 and task.due_date > before


def test_her_identity_comes_from_the_register_read_only_and_a_forged_post_cannot_change_it(client, resident):
    """一数一源: her name and ID number are shown from the real-name register, read-only, with their source;
    a request that sends other values still records the register's."""
    base = _start(client, resident)
    answers = helpers.answers_for("newborn")
    client.post(base + "situation/", {**answers, "shown": ",".join(answers)})
    page = client.get(base + "form/").content.decode()
    id_input = re.search(r'<input[^>]*name="person.id_number"[^>]*>', page).group(0)
    assert "disabled" in id_input and f'value="{resident.person.id_number}"' in id_input
    assert "来自县公安局，已核验，不能修改" in page

    form = helpers.form_data("newborn", answers, applicant=resident.person)
    forged = {**form, "person.name": "王某某", "person.id_number": helpers.id_number("19900101", 99)}
    assert client.post(base + "form/", forged).status_code == 302
    client.post(base + "materials/", _uploads(helpers.required_materials("newborn", answers)))
    assert client.post(base + "confirm/", {"delivery_method": "download"}).status_code == 302
    case = Case.objects.get()
    recorded = json.loads(case.form_data)
    assert (recorded["person.name"], recorded["person.id_number"]) == ("张桂兰", resident.person.id_number)
