"""免提交 and 一数一源 across bundles: what one case produced is not asked for again in the next.

马丽 founds a restaurant company through 企业开办; approving its 设立登记 registers the enterprise and issues its
business licence. When the new enterprise then applies for 企业准营（餐饮店）, the licence is attached from the
certificate library without an upload, and the enterprise's registered name and credit code are filled in and
locked on the form.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases import helpers
from tests.cases.factories import key, submission_for
from tests.conftest import REPRESENTATIVE_ID
from yijianshi.accounts.services import InvalidInput, acting_context
from yijianshi.audit.models import AuditEvent
from yijianshi.cases import services
from yijianshi.cases.models import Case, CaseMaterial
from yijianshi.certificates.models import Certificate

pytestmark = pytest.mark.django_db
NAME = "清涧县秀延河餐饮管理有限公司"
ADDRESS = "陕西省榆林市清涧县宽州镇秀延路18号"


@pytest.fixture(autouse=True)
def certificate_library(settings, tmp_path):
    from tests.certificates.conftest import load_types

    from django.core.management import call_command

    settings.SEAL_KEY_DIR = tmp_path / "seal-keys"
    load_types()
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))  # the profiles the cases feed


@pytest.fixture
def founded(representative, clerk, officers):
    """The enterprise 马丽 registered through 企业开办, and its business licence."""
    context = acting_context(representative)
    submission = submission_for("business-startup", owner=representative, principal=context.principal)
    submission.form_data.update({"enterprise.name": NAME, "enterprise.legal_representative": "马丽",
                                 "enterprise.legal_representative_id_number": REPRESENTATIVE_ID,
                                 "enterprise.registered_address": ADDRESS})
    case, _ = services.case_submit(context=context, submission=submission, idempotency_key=key())
    services.case_accept(user=clerk, case=case)
    registration = case.tasks.get(item_version__item__code="SPJ-001")
    services.task_claim(user=officers("spj"), task=registration)
    services.task_approve(user=officers("spj"), task=registration, opinion="准予设立登记")
    case.refresh_from_db()
    licence = Certificate.objects.get(source_task=registration, type__code="business-licence")
    assert licence.holder_id == case.established_enterprise_id
    return case.established_enterprise, licence


def test_the_restaurant_permit_takes_the_licence_from_the_library_and_locks_the_registered_data(
        client, representative, founded):
    enterprise, licence = founded
    client.force_login(representative)
    started = client.post("/apply/business-permit-restaurant/", {"principal_id": enterprise.pk})
    assert started.status_code == 302
    base = started["Location"].rsplit("/", 2)[0] + "/"
    answers = helpers.answers_for("business-permit-restaurant")
    client.post(base + "situation/", {**answers, "shown": ",".join(answers)})

    # The form: the registered name, the new credit code and (from the enterprise's file, which 设立登记 created)
    # the registered address, read-only, from 县审批局.
    page = client.get(base + "form/").content.decode()
    for element, value in (("enterprise.name", NAME), ("enterprise.credit_code", enterprise.credit_code),
                           ("enterprise.registered_address", ADDRESS)):
        tag = re.search(rf'<input[^>]*name="{re.escape(element)}"[^>]*>', page).group(0)
        assert "disabled" in tag and f'value="{value}"' in tag
    form = helpers.form_data("business-permit-restaurant", answers, applicant=enterprise)
    forged = {**form, "enterprise.credit_code": "91610830MA7QJ0001J"}  # somebody else's code
    assert client.post(base + "form/", forged).status_code == 302

    # The materials: the licence is on file, so there is nothing to upload for it.
    page = client.get(base + "materials/").content.decode()
    assert 'name="material-business-licence"' not in page
    assert "已从电子证照库调取您的营业执照" in page and licence.identifier in page
    others = [c for c in helpers.required_materials("business-permit-restaurant", answers) if c != "business-licence"]
    uploads = {f"material-{c}": SimpleUploadedFile(f"{c}.pdf", helpers.pdf(c)) for c in others}
    assert client.post(base + "materials/", uploads).status_code == 302
    assert client.post(base + "confirm/", {"delivery_method": "download"}).status_code == 302

    case = Case.objects.get(bundle__code="business-permit-restaurant")
    assert case.applicant_id == enterprise.pk and case.materials_exempted == 1
    exempted = case.materials.get(material__code="business-licence")
    assert (exempted.status, exempted.certificate_id, exempted.file_id) == (
        CaseMaterial.Status.EXEMPTED, licence.pk, None)
    form_data = json.loads(case.form_data)
    assert (form_data["enterprise.name"], form_data["enterprise.credit_code"]) == (NAME, enterprise.credit_code)
    assert form_data["enterprise.registered_address"] == ADDRESS
    assert "1 份材料由电子证照免提交" in case.events.get(kind="submitted").message
    assert AuditEvent.objects.filter(action="case.submit").last().after["exempted"] == [licence.identifier]
    # The API shows the certificate's identifier, which anyone can verify.
    status = client.get(f"/api/v1/applications/{case.number}?principal_id={enterprise.pk}").json()
    [material] = [m for m in status["materials"] if m["code"] == "business-licence"]
    assert material["certificate_identifier"] == licence.identifier and material["file_id"] is None
    assert client.get(f"/certificates/verify/?q={licence.identifier}").status_code == 200


def test_the_department_sees_the_certificate_instead_of_a_file(client, representative, founded, clerk, officers):
    enterprise, licence = founded
    context = acting_context(representative, enterprise.pk)
    submission = submission_for("business-permit-restaurant", owner=representative, principal=enterprise)
    submission.materials.pop("business-licence")
    case, _ = services.case_submit(context=context, submission=submission, idempotency_key=key())
    services.case_accept(user=clerk, case=case)
    task = case.tasks.get(item_version__item__code="SPJ-003")
    client.force_login(officers("spj"))
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "已从电子证照库调取：营业执照" in page and "核验电子证照" in page


def test_a_revoked_licence_is_no_longer_on_file(representative, founded, make_staff):
    from yijianshi.certificates.services import certificate_revoke

    enterprise, licence = founded
    leader = make_staff("leader-spj", "department_leader", department="spj")
    certificate_revoke(user=leader, certificate=licence, reason="以欺骗手段取得登记，依法撤销")
    submission = submission_for("business-permit-restaurant", owner=representative, principal=enterprise)
    submission.materials.pop("business-licence")
    with pytest.raises(InvalidInput) as error:
        services.case_submit(context=acting_context(representative, enterprise.pk), submission=submission,
                             idempotency_key=key())
    assert error.value.field == "materials.business-licence" and "请上传" in error.value.message
