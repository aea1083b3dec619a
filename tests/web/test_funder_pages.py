"""The funder's page: roll-ups it says it made, the plan's figures under suppression and
why money is left, CSV downloads of every table, and the map's tiles and names."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from api.web.downloads import csv_lines
from tests.web.conftest import csrf_of, sign_in

TABLES = ("by-service", "by-area", "unreported")


def _csv(pages: TestClient, url: str) -> list[list[str]]:
    answer = pages.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "no-store"
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_tables_roll_up_and_say_so(pages: TestClient) -> None:
    sign_in(pages, "fiona")
    page = pages.get("/web/funder").text
    assert "Rolled up to service category and whole city so that counts can be shown" in page
    assert "Rolled up to district so that counts can be shown: by neighbourhood," in page
    assert '<th scope="row">Downtown</th>' in page  # a district of the sample city
    assert '<th scope="row">Mental health</th>' in page  # names, not codes
    assert "mental_health" not in page.split('id="map-h"')[0]


def test_every_table_downloads_as_csv_with_the_page_counts(pages: TestClient) -> None:
    sign_in(pages, "fiona")
    by_area = _csv(pages, "/web/funder/tables/by-area.csv")
    assert by_area[0] == ["district", "All services"]
    counts = {row[0]: row[1] for row in by_area[1:]}
    assert counts["Total"].isdigit()
    assert int(counts["Total"]) > 10
    assert all(v == "fewer than 11" or int(v) > 10 or int(v) == 0 for v in counts.values())
    by_service = _csv(pages, "/web/funder/tables/by-service.csv")
    assert by_service[0] == ["service category", "Whole city"]
    assert _csv(pages, "/web/funder/tables/plan.csv") == [["give a budget: ?budget=20000"]]
    plan = _csv(pages, "/web/funder/tables/plan.csv?budget=20000")
    assert plan[0] == ["plan", "spend", "needs met", "acute needs met", "per $1,000"]
    assert plan[1][0] == "exact plan"
    assert plan[1][2] == "fewer than 11"
    places = _csv(pages, "/web/funder/tables/plan-places.csv?budget=20000")
    assert places[0] == ["program", "places", "price each", "spend"]
    assert len(places) > 1
    assert pages.get("/web/funder/tables/participants.csv").status_code == 422


def test_a_cell_a_spreadsheet_would_run_is_quoted() -> None:
    text = "".join(csv_lines([["=HYPERLINK(1)", "+1", "-2", "@x", "\tcmd", "Ballard", 12]]))
    assert next(csv.reader(io.StringIO(text))) == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-2",
        "'@x",
        "'\tcmd",
        "Ballard",
        "12",
    ]


def test_the_plan_shows_what_passes_suppression_and_why_money_is_left(pages: TestClient) -> None:
    sign_in(pages, "fiona")
    page = pages.get("/web/funder", params={"budget": 20000}).text
    plan = page.split('id="plan"')[1]
    assert "<td>fewer than 11</td>" in plan
    assert "•" not in plan.split("</table>")[0]
    assert "is left unspent</h4>" in plan
    assert "no program the fund may pay (one that excludes nobody) offers the service" in plan
    assert 'href="/web/funder/tables/plan.csv?budget=20000"' in plan


def test_the_map_draws_tiles_from_the_settings_and_credits_them(pages: TestClient) -> None:
    sign_in(pages, "fiona")
    answer = pages.get("/web/funder")
    assert '<image class="tile" href="https://tile.openstreetmap.org/' in answer.text
    assert "Map tiles: © OpenStreetMap contributors." in answer.text
    assert "https://tile.openstreetmap.org" in answer.headers["content-security-policy"]
    assert 'class="label"' in answer.text


def test_a_funder_adds_money_on_the_page_and_sees_it_listed(pages: TestClient) -> None:
    sign_in(pages, "fiona")
    token = csrf_of(pages.get("/web/funder").text)
    added = pages.post(
        "/web/funder/top-ups",
        data={"amount": "1250.50", "note": "county grant", "csrf_token": token},
    )
    assert added.status_code == 200, added.text  # followed back to the page
    assert "$1,250.50 added to the fund." in added.text
    assert "<td>county grant</td>" in added.text
    refused = pages.post("/web/funder/top-ups", data={"amount": "-1", "csrf_token": token})
    assert refused.status_code == 422
    forged = pages.post("/web/funder/top-ups", data={"amount": "5", "csrf_token": "0" * 32})
    assert forged.status_code == 403
    assert added.text.count("<td>county grant</td>") == 1
