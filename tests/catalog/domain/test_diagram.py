import xml.etree.ElementTree as ET

from yijianshi.catalog.domain.diagram import Node, flow_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_flow_draws_one_box_per_item_and_one_arrow_per_prerequisite():
    stages = [[Node("A", "房屋交易合同网签备案", "县住建局")], [Node("B", "房地产交易税费申报", "县税务局")],
              [Node("C", "不动产统一登记", "县自然资源和规划局")]]
    svg = flow_svg(stages, {"A": [], "B": ["A"], "C": ["A", "B"]}, title="二手房")
    root = ET.fromstring(svg)
    assert len(root.findall(f".//{SVG}rect")) == 3
    assert len(root.findall(f".//{SVG}path[@marker-end]")) == 3
    assert "县税务局" in svg and root.get("aria-label") == "二手房"


def test_long_names_are_wrapped_and_shortened_and_markup_is_escaped():
    svg = flow_svg([[Node("X", "设置大型户外广告及在城市建筑物、设施上悬挂、张贴宣传品审批<b>", "县审批局")]], {"X": []})
    assert "<b>" not in svg
    assert "…" in svg
    ET.fromstring(svg)  # still well-formed


def test_an_arrow_that_skips_a_stage_runs_below_the_boxes_instead_of_behind_them():
    stages = [[Node("A", "户口登记", "县公安局")], [Node("B", "参保登记", "县医保局")], [Node("C", "社保卡", "县人社局")]]
    root = ET.fromstring(flow_svg(stages, {"A": [], "B": ["A"], "C": ["A", "B"]}))
    boxes_bottom = max(float(r.get("y")) + float(r.get("height")) for r in root.iter(f"{SVG}rect"))
    skip = [p for p in root.iter(f"{SVG}path") if p.get("marker-end") and " L" in p.get("d")]
    assert len(skip) == 1
    lane_y = float(skip[0].get("d").split(" L")[1].split(",")[1].split(" ")[0])
    assert lane_y > boxes_bottom
    assert float(root.get("height")) > lane_y
