"""Context for the public guides (办事指南), shared by the web pages and their PDF versions."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from yijianshi.catalog import selectors
from yijianshi.catalog.domain.diagram import Node, flow_svg
from yijianshi.catalog.models import Bundle, ItemMaterial, ItemType, ServiceItem, ServiceItemVersion
from yijianshi.organizations.models import ServicePoint

FORM_LABELS = dict(ItemMaterial.Form.choices)


def bundle_guide_context(bundle: Bundle) -> dict:
    guide = selectors.bundle_guide(bundle)
    stages = [[Node(row.item.code, row.item.published_version.name, row.item.published_version.department.name)
               for row in stage] for stage in guide.stage_rows()]
    prerequisites = {row.item.code: [p.item.code for p in row.prerequisites.all()] for row in guide.rows}
    names = {row.item.code: row.item.published_version.name for row in guide.rows}
    plan = guide.plan
    return {
        "bundle": bundle,
        "guide": guide,
        "plan": plan,
        "rows": guide.rows,
        "stage_rows": guide.stage_rows(),
        "flow_svg": flow_svg(stages, prerequisites, title=f"{bundle.name}办理流程"),
        "prerequisite_names": {code: [names[p] for p in preds] for code, preds in prerequisites.items()},
        "critical_chain_names": [names[c] for c in plan.critical_chain],
        "fields": [{"spec": f, "element": guide.elements[f.element]} for f in plan.fields],
        "materials": [{"spec": m, "material": guide.materials[m.material], "form_label": FORM_LABELS[m.form],
                       "item_names": [names[c] for c in m.items]} for m in plan.materials],
        "departments": guide.departments,
        "county_hall": ServicePoint.objects.filter(kind=ServicePoint.Kind.COUNTY_CENTER).first(),
        "online_all": all(row.item.published_version.online_capable for row in guide.rows),
        "public_url": settings.PUBLIC_BASE_URL.rstrip("/") + reverse("catalog:bundle-guide", args=[bundle.code]),
    }


def item_guide_context(item: ServiceItem) -> dict:
    version: ServiceItemVersion = item.published_version
    return {
        "item": item,
        "version": version,
        "item_type_label": ItemType(version.item_type).label,
        "materials": list(version.materials.all()),
        "form_fields": list(version.form_fields.all()),
        "bundles": list(selectors.bundles_using_item(item)),
        "public_url": settings.PUBLIC_BASE_URL.rstrip("/") + reverse("catalog:item-guide", args=[item.code]),
    }
