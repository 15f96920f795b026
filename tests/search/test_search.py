"""Search over the real catalog: the index in the database, the selector, the API and the labelled set."""

from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.testing import TestClient

from yijianshi.catalog.models import Bundle, ServiceItem
from yijianshi.catalog.signals import catalog_changed
from yijianshi.search.api import router
from yijianshi.search.models import SearchDocument, SearchIndexState
from yijianshi.search.selectors import search
from yijianshi.search.services import search_index_rebuild

QUERIES_FILE = Path(__file__).resolve().parents[2] / "data" / "search" / "queries.yaml"

pytestmark = pytest.mark.django_db


def _top(query: str, n: int = 3) -> list[tuple[str, str]]:
    return [(hit.kind, hit.code) for hit in search(query, limit=n)]


def test_loading_the_catalog_builds_an_index_of_every_bundle_and_published_item():
    assert SearchDocument.objects.filter(kind="bundle").count() == Bundle.objects.count()
    assert (SearchDocument.objects.filter(kind="item").count()
            == ServiceItem.objects.filter(published_version__isnull=False).count())
    assert SearchIndexState.objects.get().document_count == SearchDocument.objects.count()


def test_child_just_born_finds_the_newborn_bundle():
    assert ("bundle", "newborn") in _top("孩子刚出生要办什么")


def test_opening_a_restaurant_finds_the_restaurant_permit_bundle():
    assert ("bundle", "business-permit-restaurant") in _top("开饭馆")


def test_a_life_event_ranks_its_bundle_first():
    assert _top("孩子刚出生要办什么", 1) == [("bundle", "newborn")]
    assert _top("家里老人去世了要办哪些手续", 1) == [("bundle", "after-death")]


def test_naming_a_single_service_finds_that_item_first():
    assert _top("失业登记", 1) == [("item", "RSJ-003")]


def test_a_hit_carries_kind_code_number_name_and_score():
    hit = search("开饭馆", limit=1)[0]
    bundle = Bundle.objects.get(code=hit.code)
    assert (hit.kind, hit.number, hit.name) == ("bundle", bundle.number, bundle.name)
    assert hit.score > 0
    item_hit = search("失业登记", limit=1)[0]
    assert item_hit.kind == "item" and item_hit.number is None


@pytest.mark.parametrize("odd", ["", "   ", "？？！！", "😀😀😀", "的了吗", "a" * 200, "开饭馆" * 70,
                                 "' OR 1=1 --", "%_\\", "\x00\t\n", "１２３４５"])
def test_odd_input_never_raises(odd):
    hits = search(odd)
    assert isinstance(hits, list)
    assert len(hits) <= 10


def test_blank_query_returns_nothing():
    assert search("") == []
    assert search("  \n ") == []


def test_limit_caps_the_number_of_hits():
    assert len(search("登记", limit=2)) == 2
    assert len(search("登记", limit=500)) <= 50


def test_a_search_costs_two_database_queries():
    search("开饭馆")  # warm the analyzer outside the measurement
    with CaptureQueriesContext(connection) as queries:
        search("宝宝出生后怎么上户口")
    assert len(queries) == 2


def test_search_on_an_empty_index_returns_nothing():
    SearchIndexState.objects.all().delete()
    SearchDocument.objects.all().delete()
    assert search("开饭馆") == []


def test_rebuilding_an_unchanged_catalog_is_a_no_op_unless_forced():
    assert search_index_rebuild().rebuilt is False
    report = search_index_rebuild(force=True)
    assert report.rebuilt and report.documents == SearchDocument.objects.count()
    assert ("bundle", "newborn") in _top("孩子刚出生要办什么")


def test_catalog_changed_signal_rebuilds_a_missing_index():
    SearchIndexState.objects.all().delete()
    SearchDocument.objects.all().delete()
    catalog_changed.send(sender=None)
    assert ("bundle", "business-permit-restaurant") in _top("开饭馆")


def test_bundle_alias_edit_reaches_the_index_on_catalog_changed():
    bundle = Bundle.objects.get(code="farm-machinery-registration")
    bundle.aliases = [*bundle.aliases, "三轮农用车挂牌"]
    bundle.save(update_fields=["aliases"])
    catalog_changed.send(sender=None)
    assert _top("三轮农用车挂牌", 1) == [("bundle", "farm-machinery-registration")]


# --- API -----------------------------------------------------------------------------------------------

@pytest.fixture
def client():
    return TestClient(router)


def test_api_returns_the_documented_hit_shape(client):
    response = client.get("?q=开饭馆&limit=3")
    assert response.status_code == 200
    hits = response.json()
    assert 1 <= len(hits) <= 3
    assert all(set(hit) == {"kind", "code", "number", "name", "score"} for hit in hits)
    assert hits[0] == {**hits[0], "kind": "bundle", "code": "business-permit-restaurant"}
    assert isinstance(hits[0]["number"], int)


def test_api_item_hits_have_no_number(client):
    hit = client.get("?q=失业登记&limit=1").json()[0]
    assert hit["kind"] == "item" and hit["number"] is None


@pytest.mark.parametrize("path", ["", "?q=", "?limit=3"])
def test_api_rejects_a_missing_query_naming_q(client, path):
    response = client.get(path)
    assert response.status_code == 422
    assert "q" in response.json()["detail"] and "搜索词" in response.json()["detail"]


def test_api_rejects_a_query_over_100_characters_naming_q(client):
    response = client.get("?q=" + "开" * 101)
    assert response.status_code == 422
    assert "q" in response.json()["detail"] and "100" in response.json()["detail"]


@pytest.mark.parametrize("limit", ["0", "51"])
def test_api_rejects_a_limit_out_of_range(client, limit):
    response = client.get(f"?q=开饭馆&limit={limit}")
    assert response.status_code == 422
    assert "limit" in response.json()["detail"]


def test_api_answers_punctuation_only_with_an_empty_list(client):
    response = client.get("?q=！！！")
    assert response.status_code == 200 and response.json() == []


# --- The labelled set ------------------------------------------------------------------------------------

def _labelled_queries() -> list[dict]:
    return yaml.safe_load(QUERIES_FILE.read_text(encoding="utf-8"))["queries"]


def test_labelled_set_has_at_least_100_distinct_queries_covering_every_bundle():
    queries = _labelled_queries()
    assert len(queries) >= 100
    assert len({q["q"] for q in queries}) == len(queries)
    labelled_bundles = {e["code"] for q in queries for e in q["expect"] if e["kind"] == "bundle"}
    assert labelled_bundles == set(Bundle.objects.values_list("code", flat=True))


def test_labelled_set_names_only_existing_bundles_and_items():
    existing = {("bundle", c) for c in Bundle.objects.values_list("code", flat=True)}
    existing |= {("item", c) for c in ServiceItem.objects.values_list("code", flat=True)}
    for row in _labelled_queries():
        assert row["q"].strip() and 1 <= len(row["q"]) <= 100, row
        assert row["expect"], row
        for expected in row["expect"]:
            assert (expected["kind"], expected["code"]) in existing, row


def test_labelled_rows_with_several_answers_say_why():
    for row in _labelled_queries():
        if len(row["expect"]) > 1:
            assert row.get("why"), row["q"]


def test_labelled_set_reaches_95_percent_top3_accuracy():
    queries = _labelled_queries()
    misses = [row["q"] for row in queries
              if not {(e["kind"], e["code"]) for e in row["expect"]} & set(_top(row["q"]))]
    assert len(misses) <= len(queries) * 0.05, misses


@pytest.mark.django_db
def test_a_catalog_change_queues_the_index_rebuild_instead_of_running_it_in_the_request():
    from huey.contrib.djhuey import HUEY

    from yijianshi.catalog.signals import catalog_changed
    from yijianshi.search.models import SearchDocument, SearchIndexState

    SearchIndexState.objects.all().delete()
    SearchDocument.objects.all().delete()
    HUEY.immediate = False  # behave like production: enqueue, let a consumer run it
    try:
        catalog_changed.send(sender=None)
        assert SearchDocument.objects.count() == 0
        assert HUEY.pending_count() == 1
        job = HUEY.dequeue()
    finally:
        HUEY.immediate = True
    # What the consumer does with it; run in immediate mode so the task keeps this test's connection
    # (a real consumer closes stale connections first, which would end the test's transaction).
    HUEY.execute(job)
    assert SearchDocument.objects.filter(kind="bundle").count() == 25
