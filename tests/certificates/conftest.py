"""Fixtures for the certificate tests: the types and issuers loaded, seal keys in a temporary folder, a department
leader and officer of 县审批局, and certificates issued through the services."""

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def seal_key_dir(settings, tmp_path):
    settings.SEAL_KEY_DIR = tmp_path / "seal-keys"
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return settings.SEAL_KEY_DIR


def load_types():
    from yijianshi.certificates.models import CertificateType

    if not CertificateType.objects.exists():
        call_command("load_certificate_types", stdout=open("/dev/null", "w"))


@pytest.fixture
def certificate_types(db):
    load_types()


@pytest.fixture
def spj_leader(make_staff):
    return make_staff("leader-spj", "department_leader", department="spj")


@pytest.fixture
def spj_officer(make_staff):
    return make_staff("officer-spj", "department_officer", department="spj")


@pytest.fixture
def issue(certificate_types):
    """issue("business-licence", holder, **data) -> a certificate issued by the services."""
    from yijianshi.certificates.services import certificate_issue

    def make(type_code, holder, issued_by=None, **data):
        return certificate_issue(type_code=type_code, holder=holder, data=data, issued_by=issued_by)

    return make


BUSINESS_LICENCE = {"name": "清涧县红枣食品有限公司", "credit_code": "91610830MA7QJ0001J", "type": "有限责任公司",
                    "legal_representative": "马丽", "registered_capital": "100",
                    "address": "陕西省榆林市清涧县宽州镇红枣产业园3号", "business_scope": "红枣制品生产、销售"}
EMPLOYMENT_CARD = {"name": "张桂兰", "id_number": "610830194001010096", "education": "高中",
                   "address": "陕西省榆林市清涧县宽州镇秀延东路18号"}
