"""The public portal: home page with the search box, search results, service points."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from yijianshi.catalog import selectors as catalog_selectors
from yijianshi.catalog.models import Bundle
from yijianshi.organizations.models import ServicePoint
from yijianshi.search.selectors import search

MAX_QUERY_LENGTH = 100


@require_GET
def home(request):
    bundles = list(catalog_selectors.bundle_list())
    return render(request, "portal/home.html", {
        "individual_bundles": [b for b in bundles if b.subject == Bundle.Subject.INDIVIDUAL],
        "enterprise_bundles": [b for b in bundles if b.subject == Bundle.Subject.ENTERPRISE],
        "bundle_count": len(bundles),
        "item_count": catalog_selectors.item_list().count(),
        "department_count": catalog_selectors.department_list().filter(in_work_plan=True).count(),
        "examples": ["孩子刚出生要办什么", "开饭馆", "二手房过户", "驾照到期", "退伍回家", "公司注销"],
    })


@require_GET
def search_page(request):
    query = (request.GET.get("q") or "").strip()
    error = ""
    if len(query) > MAX_QUERY_LENGTH:
        error = f"搜索内容不能超过 {MAX_QUERY_LENGTH} 个字"
        hits = []
    else:
        hits = search(query, limit=20) if query else []
    context = {"query": query, "hits": hits, "error": error}
    # htmx asks for the result list only, as the resident types.
    template = "portal/_search_results.html" if request.headers.get("HX-Request") else "portal/search.html"
    return render(request, template, context, status=400 if error and not request.headers.get("HX-Request") else 200)


@require_GET
def service_points(request):
    points = ServicePoint.objects.select_related("town").all()
    return render(request, "portal/service_points.html", {
        "county": [p for p in points if p.kind == ServicePoint.Kind.COUNTY_CENTER],
        "towns": [p for p in points if p.kind == ServicePoint.Kind.TOWN_CENTER],
        "villages": [p for p in points if p.kind == ServicePoint.Kind.VILLAGE_STATION],
    })
