"""Writes outside the identity services reach the chain too: catalog services, the admin, the loader."""

import pytest
from django.core.management import call_command
from django.test import Client

from yijianshi.audit.models import AuditEvent
from yijianshi.audit.selectors import chain_verify
from yijianshi.catalog.models import ServiceItem
from yijianshi.organizations.models import Department

pytestmark = pytest.mark.django_db


def _admin_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_drafting_and_publishing_in_the_admin_are_audited_with_the_staff_member(system_admin):
    item = ServiceItem.objects.get(code="RSJ-002")
    client = _admin_client(system_admin)
    assert client.post(f"/admin/catalog/serviceitem/{item.pk}/draft/").status_code == 302
    draft = AuditEvent.objects.get(action="catalog.item_draft")
    assert (draft.actor_user_id, draft.object_id) == (system_admin.pk, "RSJ-002")


def test_a_plain_admin_edit_is_audited_through_the_admin_log(system_admin):
    department = Department.objects.get(code="rsj")
    client = _admin_client(system_admin)
    page = client.get(f"/admin/organizations/department/{department.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(phone="0912-5521234", aliases='["人社局"]', needs_confirmation="on")
    response = client.post(f"/admin/organizations/department/{department.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(action="admin.change", object_type="organizations.department").get()
    assert event.actor_user_id == system_admin.pk and event.object_id == str(department.pk)
    assert "phone" in str(event.after) or "咨询电话" in str(event.after)
    assert chain_verify().ok


def test_the_first_catalog_load_is_audited_and_an_unchanged_reload_is_not():
    before = AuditEvent.objects.filter(action="catalog.load").count()
    assert before == 1  # the test session's own first load, with per-kind counts
    assert AuditEvent.objects.get(action="catalog.load").after["一件事"] == {"created": 25}
    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))
    assert AuditEvent.objects.filter(action="catalog.load").count() == before
