"""What the agent sees: a WebArena-style accessibility tree with element ids, and set-of-marks screenshots.

The tree comes from CDP `Accessibility.getFullAXTree`; element boxes from one `DOMSnapshot.captureSnapshot`
call (not one call per element). Ids are numbered per observation in tree order; the same id names an
element in the tree, on the set-of-marks screenshot and in actions of either grammar.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import CDPSession, Page

INTERACTIVE_ROLES = {
    "link",
    "button",
    "textbox",
    "searchbox",
    "combobox",
    "checkbox",
    "radio",
    "menuitem",
    "menuitemcheckbox",
    "menuitemradio",
    "tab",
    "option",
    "slider",
    "spinbutton",
    "switch",
    "listbox",
    "treeitem",
}
# Nameless nodes of these roles add nothing but indentation; their children are shown in their place.
_STRUCTURAL = {
    "generic",
    "none",
    "presentation",
    "paragraph",
    "list",
    "listitem",
    "Section",
    "strong",
    "emphasis",
    "LabelText",
    "group",
    "div",
    "time",
    "mark",
    "code",
    "superscript",
    "subscript",
    "Abbr",
    "sectionheader",
    "sectionfooter",
}
_SKIPPED = {"InlineTextBox", "LineBreak"}
_SHOWN_PROPERTIES = ("focused", "checked", "selected", "expanded", "disabled", "required")
_PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080", "#9a6324", "#800000"]


@dataclass
class Element:
    id: int
    role: str
    name: str
    tag: str = ""
    bbox: tuple[float, float, float, float] | None = None  # x, y, width, height in viewport pixels

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "name": self.name, "tag": self.tag, "bbox": self.bbox}


@dataclass
class Capture:
    tree: str
    node_ids: dict[int, int]  # our id -> CDP backendDOMNodeId
    elements: list[Element]  # the labelled (interactive, on-screen) elements
    nodes: list[tuple[int, str, str]]  # (id, role, name) of every line of the tree, in order
    png: bytes | None = None
    tabs: list[str] = field(default_factory=list)  # URL of each open tab
    screenshot: Image.Image | None = None
    som: Image.Image | None = None

    def decode_images(self) -> None:
        """Decode the screenshot and draw the marks; done off the browser loop, so other envs keep going."""
        if self.png is not None and self.screenshot is None:
            self.screenshot = Image.open(io.BytesIO(self.png)).convert("RGB")
            self.som = draw_marks(self.screenshot, self.elements)


def _value(field_: dict[str, Any] | None) -> Any:
    return (field_ or {}).get("value")


def _node_boxes(
    snapshot: dict[str, Any],
) -> tuple[dict[int, tuple[float, float, float, float]], dict[int, str]]:
    """backendNodeId -> viewport box, and -> tag name, from the main document of a DOM snapshot."""
    if not snapshot.get("documents"):
        return {}, {}
    doc = snapshot["documents"][0]
    strings = snapshot["strings"]
    backend_ids = doc["nodes"]["backendNodeId"]
    names = doc["nodes"]["nodeName"]
    dx, dy = doc.get("scrollOffsetX", 0.0), doc.get("scrollOffsetY", 0.0)
    boxes: dict[int, tuple[float, float, float, float]] = {}
    for node_index, bounds in zip(doc["layout"]["nodeIndex"], doc["layout"]["bounds"], strict=False):
        x, y, w, h = bounds
        boxes.setdefault(backend_ids[node_index], (x - dx, y - dy, w, h))
    tags = {backend_ids[i]: strings[n].lower() for i, n in enumerate(names) if n >= 0}
    return boxes, tags


def render_tree(
    nodes: list[dict[str, Any]],
    boxes: dict[int, tuple[float, float, float, float]],
    tags: dict[int, str],
    viewport: tuple[int, int],
) -> tuple[str, dict[int, int], list[Element], list[tuple[int, str, str]]]:
    """Render AX nodes as `[id] role 'name' props` lines, indented by depth, and collect labelled elements."""
    by_id = {n["nodeId"]: n for n in nodes}
    roots = [n for n in nodes if not n.get("parentId") or n["parentId"] not in by_id]
    lines: list[str] = []
    node_ids: dict[int, int] = {}
    elements: list[Element] = []
    shown: list[tuple[int, str, str]] = []
    width, height = viewport

    def visit(node: dict[str, Any], depth: int, parent_name: str) -> None:
        role = str(_value(node.get("role")) or "")
        name = str(_value(node.get("name")) or "").strip()
        backend = node.get("backendDOMNodeId")
        hidden = node.get("ignored") or role in _SKIPPED
        hidden = hidden or (not name and role in _STRUCTURAL)
        hidden = hidden or (role == "StaticText" and (not name or name in parent_name))
        child_depth, child_parent = depth, parent_name
        if not hidden and backend is not None:
            element_id = len(node_ids) + 1
            node_ids[element_id] = backend
            shown.append((element_id, role, name))
            props = []
            value = _value(node.get("value"))
            if value not in (None, "") and role not in ("link",):
                props.append(f"value: {str(value)!r}")
            for prop in node.get("properties", []):
                if prop.get("name") in _SHOWN_PROPERTIES and _value(prop.get("value")) not in (None, False):
                    props.append(f"{prop['name']}: {_value(prop.get('value'))}")
            line = f"{chr(9) * depth}[{element_id}] {role} {name!r}"
            lines.append(" ".join([line, *props]))
            child_depth, child_parent = depth + 1, name
            box = boxes.get(backend)
            if role in INTERACTIVE_ROLES and box and box[2] > 0 and box[3] > 0:
                x, y, w, h = box
                if x + w > 0 and y + h > 0 and x < width and y < height:
                    elements.append(Element(element_id, role, name, tags.get(backend, ""), box))
        for child_id in node.get("childIds", []):
            child = by_id.get(child_id)
            if child is not None:
                visit(child, child_depth, child_parent)

    for root in roots:
        visit(root, 0, "")
    return "\n".join(lines), node_ids, elements, shown


def draw_marks(image: Image.Image, elements: list[Element]) -> Image.Image:
    """A copy of the screenshot with a numbered box around every labelled element."""
    marked = image.convert("RGB")
    draw = ImageDraw.Draw(marked)
    font = ImageFont.load_default(size=14)
    for element in elements:
        if element.bbox is None:
            continue
        x, y, w, h = element.bbox
        color = _PALETTE[element.id % len(_PALETTE)]
        draw.rectangle([x, y, x + w, y + h], outline=color, width=2)
        label = str(element.id)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        tx, ty = max(x, 0), max(y - (bottom - top) - 4, 0)
        draw.rectangle([tx, ty, tx + right - left + 4, ty + bottom - top + 4], fill=color)
        draw.text((tx + 2 - left, ty + 2 - top), label, fill="white", font=font)
    return marked


async def capture(page: Page, cdp: CDPSession, screenshots: bool) -> Capture:
    """Read the page once: accessibility tree, element boxes and (optionally) a screenshot, concurrently."""
    viewport = page.viewport_size or {"width": 1280, "height": 720}
    jobs: list[Any] = [
        cdp.send("Accessibility.getFullAXTree", {}),
        cdp.send("DOMSnapshot.captureSnapshot", {"computedStyles": [], "includeDOMRects": True}),
    ]
    if screenshots:
        jobs.append(page.screenshot(type="png"))
    results = await asyncio.gather(*jobs)
    boxes, tags = _node_boxes(results[1])
    tree, node_ids, elements, shown = render_tree(
        results[0]["nodes"], boxes, tags, (viewport["width"], viewport["height"])
    )
    return Capture(tree, node_ids, elements, shown, png=results[2] if screenshots else None)
