"""The funders' map: Web Mercator, tiles that sit under the points, names that never
overlap, and the plain projection when no tiles are configured."""

from __future__ import annotations

import math
from itertools import combinations

from api.web.funder_map import WIDTH, Dot, draw, mercator, place_labels
from matcher.funding.neighborhoods import load_centroids
from matcher.paths import SEATTLE_NEIGHBORHOODS
from matcher.service.funding import MapPoint

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
_TABLE = load_centroids(SEATTLE_NEIGHBORHOODS)
HOODS = [
    MapPoint(str(name), float(lat), float(lon))
    for name, lat, lon in zip(
        _TABLE["name"], _TABLE["lat"].tolist(), _TABLE["lon"].tolist(), strict=True
    )
]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_names_of_every_seattle_neighbourhood_never_overlap_and_stay_on_the_page() -> None:
    drawing = draw([], [(h, 12, False) for h in HOODS], TILES)
    boxes = [label.box() for label in drawing.labels]
    assert not [(a, b) for a, b in combinations(boxes, 2) if _overlap(a, b)]
    assert all(b[0] >= 0 and b[2] <= WIDTH and b[1] >= 0 and b[3] <= drawing.height for b in boxes)
    assert len(drawing.labels) + drawing.unlabelled == len(HOODS)
    assert len(drawing.labels) >= len(HOODS) // 2


def test_a_lone_circle_is_labelled_to_its_right() -> None:
    labels = place_labels([Dot(100, 100, 10, "x")], ["Ballard"])
    assert [(label.x, label.anchor) for label in labels] == [(113, "start")]


def test_a_crowded_name_moves_to_a_free_side() -> None:
    labels = place_labels([Dot(100, 100, 10, "a"), Dot(100, 100, 8, "b")], ["Belltown", "Downtown"])
    assert [label.anchor for label in labels] == ["start", "end"]


def test_tiles_cover_the_page_and_sit_under_the_points() -> None:
    drawing = draw([], [(h, 12, False) for h in HOODS], TILES)
    assert drawing.tiles
    left = min(t.x for t in drawing.tiles)
    top = min(t.y for t in drawing.tiles)
    right = max(t.x + t.size for t in drawing.tiles)
    bottom = max(t.y + t.size for t in drawing.tiles)
    assert left <= 0
    assert top <= 0
    assert right >= WIDTH
    assert bottom >= drawing.height
    # A circle's tile, found from its world position, is the tile drawn around it.
    circle, hood = drawing.areas[0], HOODS[0]
    zoom = int(drawing.tiles[0].href.split("/")[3])
    x, y = mercator(hood)
    tx, ty = math.floor(x * 2**zoom), math.floor(y * 2**zoom)
    tile = next(t for t in drawing.tiles if t.href.endswith(f"/{zoom}/{tx}/{ty}.png"))
    assert tile.x <= circle.x <= tile.x + tile.size
    assert tile.y <= circle.y <= tile.y + tile.size


def test_without_a_tile_address_the_plain_projection_is_the_map() -> None:
    drawing = draw([HOODS[0]], [(h, 0, True) for h in HOODS[:3]], None)
    assert drawing.tiles == []
    assert len(drawing.programs) == 1
    assert len(drawing.areas) == 3
    assert all(c.label.endswith("0 or more unmet") for c in drawing.areas)
