"""After seed_demo, the demo resident and the demo enterprise each have matched policies with reasons, from facts
their authoritative departments recorded, and running the batch again adds nothing."""

import pytest
from django.core.management import call_command

from yijianshi.accounts.models import Enterprise, Person
from yijianshi.policies import selectors, services


@pytest.mark.django_db
def test_the_demo_resident_and_enterprise_have_matches_with_reasons():
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    resident = Person.objects.get(name="张桂兰", user__isnull=False)
    enterprise = Enterprise.objects.get(credit_code="91610830MA7QJ0001J")
    for party, code in ((resident, "elderly-allowance-80"), (enterprise, "job-retention-refund-sme")):
        item = next(m for m in selectors.matches_for(party) if m["code"] == code)
        assert item["status"] == "matched" and item["trace"][0]["mark"] == "met" and len(item["trace"]) > 2
    assert services.match_run().created == 0
