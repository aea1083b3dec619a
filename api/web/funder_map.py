"""The funders' map: programs and unmet need per area, drawn as SVG in Web Mercator so
that map tiles (when configured and the browser is online) sit exactly under it; with
no tiles, or offline, the plain projection is the map. Area names are placed where
they do not overlap one another; a name with no free place is left to the circle's
tooltip and the table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from matcher.service.funding import MapPoint

WIDTH, PAD = 400.0, 24.0
HEIGHTS = (260.0, 560.0)
"""The page's height follows the area's shape (a tall city, a tall map), within these."""
MAX_ZOOM = 17
FONT_PX = 12.0
CHAR_PX = 0.62 * FONT_PX
"""An upper estimate of a character's width in the map's sans-serif font."""


@dataclass(frozen=True, slots=True)
class Dot:
    """A circle on the map: where, how big, and what its tooltip says."""

    x: float
    y: float
    r: float
    label: str


@dataclass(frozen=True, slots=True)
class Label:
    """An area's name on the map: where its text starts, and how it is anchored."""

    x: float
    y: float
    anchor: str
    text: str

    def box(self) -> tuple[float, float, float, float]:
        """The text's box (left, top, right, bottom), estimated from its length."""
        width = CHAR_PX * len(self.text)
        left = {"start": self.x, "middle": self.x - width / 2, "end": self.x - width}[self.anchor]
        return (left, self.y - FONT_PX, left + width, self.y + 3)


@dataclass(frozen=True, slots=True)
class Tile:
    """A map tile: its address and where it sits on the page."""

    href: str
    x: float
    y: float
    size: float


@dataclass(frozen=True, slots=True)
class Drawing:
    """Everything the map template draws."""

    programs: list[Dot]
    areas: list[Dot]
    labels: list[Label]
    tiles: list[Tile]
    unlabelled: int
    height: float = HEIGHTS[0]
    width: float = WIDTH


def mercator(p: MapPoint) -> tuple[float, float]:
    """Web Mercator world coordinates in [0, 1] (x east, y south), as tiles use."""
    lat = max(min(p.lat, 85.05), -85.05)
    x = (p.lon + 180.0) / 360.0
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0
    return x, y


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(box: tuple[float, float, float, float], height: float) -> bool:
    return box[0] >= 2 and box[1] >= 2 and box[2] <= WIDTH - 2 and box[3] <= height - 2


def place_labels(
    circles: Sequence[Dot], names: Sequence[str], height: float = HEIGHTS[0]
) -> list[Label]:
    """A name beside each circle, largest circle first: right, left, above or below it,
    whichever first fits on the page (``WIDTH`` x ``height``) without touching a name
    already placed."""
    placed: list[Label] = []
    order = sorted(range(len(circles)), key=lambda i: -circles[i].r)
    for i in order:
        c, name = circles[i], names[i]
        gap = c.r + 3
        for x, y, anchor in (
            (c.x + gap, c.y + 4, "start"),
            (c.x - gap, c.y + 4, "end"),
            (c.x, c.y - gap, "middle"),
            (c.x, c.y + gap + FONT_PX, "middle"),
        ):
            candidate = Label(round(x, 1), round(y, 1), anchor, name)
            box = candidate.box()
            if _inside(box, height) and not any(_overlaps(box, other.box()) for other in placed):
                placed.append(candidate)
                break
    return placed


def draw(
    programs: Sequence[MapPoint],
    areas: Sequence[tuple[MapPoint, int, bool]],
    tile_url: str | None = None,
) -> Drawing:
    """Project the programs and the areas (each with the unmet needs that may be shown
    there, and whether some are hidden) onto the page; circles sized by the counts.
    With ``tile_url`` ({z}/{x}/{y}), the tiles that cover the page at the nearest zoom."""
    points = list(programs) + [a[0] for a in areas]
    if not points:
        return Drawing([], [], [], [], 0)
    world = [mercator(p) for p in points]
    xs, ys = [w[0] for w in world], [w[1] for w in world]
    x_span, y_span = max(max(xs) - min(xs), 1e-7), max(max(ys) - min(ys), 1e-7)
    shaped = 2 * PAD + (WIDTH - 2 * PAD) * y_span / x_span
    height = round(min(max(shaped, HEIGHTS[0]), HEIGHTS[1]))
    k = min((WIDTH - 2 * PAD) / x_span, (height - 2 * PAD) / y_span, 256 * 2**MAX_ZOOM)
    left = (WIDTH - k * x_span) / 2 - min(xs) * k
    top = (height - k * y_span) / 2 - min(ys) * k

    def place(p: MapPoint) -> tuple[float, float]:
        x, y = mercator(p)
        return round(left + x * k, 1), round(top + y * k, 1)

    dots = [Dot(*place(p), 3.0, p.name) for p in programs]
    circles: list[Dot] = []
    names: list[str] = []
    for area, total, hidden in areas:
        if total == 0 and not hidden:
            continue
        label = f"{area.name}: {total}{' or more' if hidden else ''} unmet"
        circles.append(Dot(*place(area), round(6 + 2.5 * math.sqrt(total), 1), label))
        names.append(area.name)
    labels = place_labels(circles, names, height)
    tiles = _tiles(tile_url, k, left, top, height) if tile_url else []
    return Drawing(dots, circles, labels, tiles, len(circles) - len(labels), height)


def _tiles(url: str, k: float, left: float, top: float, height: float) -> list[Tile]:
    """The tiles at the zoom nearest below the page's scale that cover the page."""
    zoom = max(0, min(MAX_ZOOM, math.floor(math.log2(k / 256))))
    n = 2**zoom
    size = k / n
    first_x, last_x = math.floor(-left / size), math.floor((WIDTH - left) / size)
    first_y, last_y = math.floor(-top / size), math.floor((height - top) / size)
    return [
        Tile(
            url.replace("{z}", str(zoom)).replace("{x}", str(tx)).replace("{y}", str(ty)),
            round(left + tx * size, 2),
            round(top + ty * size, 2),
            round(size, 2) + 0.5,  # a hair of overlap hides the seams between tiles
        )
        for tx in range(max(first_x, 0), min(last_x, n - 1) + 1)
        for ty in range(max(first_y, 0), min(last_y, n - 1) + 1)
    ]
