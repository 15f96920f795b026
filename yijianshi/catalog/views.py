"""Public guide pages (办事指南) and their PDFs. Thin: look up, build context, render."""

from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yijianshi.catalog import selectors
from yijianshi.catalog.guides import bundle_guide_context, item_guide_context
from yijianshi.catalog.models import Bundle
from yijianshi.catalog.pdf import render_guide_pdf


def _bundle_or_404(code: str) -> Bundle:
    bundle = selectors.bundle_get(code)
    if bundle is None:
        raise Http404("未找到该“一件事”")
    return bundle


def _item_or_404(code: str):
    item = selectors.item_get(code)
    if item is None:
        raise Http404("未找到该事项")
    return item


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=\"guide.pdf\"; filename*=UTF-8''{quote(filename)}"
    return response


@require_GET
def bundle_list(request):
    subject = request.GET.get("subject")
    if subject not in Bundle.Subject.values:
        subject = None
    return render(request, "catalog/bundle_list.html", {
        "bundles": selectors.bundle_list(subject=subject),
        "subject": subject,
        "subject_label": Bundle.Subject(subject).label if subject else "全部",
    })


@require_GET
def bundle_guide(request, code: str):
    return render(request, "catalog/bundle_guide.html", bundle_guide_context(_bundle_or_404(code)))


@require_GET
def bundle_guide_pdf(request, code: str):
    bundle = _bundle_or_404(code)
    pdf = render_guide_pdf("catalog/pdf/bundle_guide.html", bundle_guide_context(bundle))
    return _pdf_response(pdf, f"{bundle.name}“一件事”办事指南.pdf")


@require_GET
def item_guide(request, code: str):
    return render(request, "catalog/item_guide.html", item_guide_context(_item_or_404(code)))


@require_GET
def item_guide_pdf(request, code: str):
    item = _item_or_404(code)
    pdf = render_guide_pdf("catalog/pdf/item_guide.html", item_guide_context(item))
    return _pdf_response(pdf, f"{item.published_version.name}办事指南.pdf")
