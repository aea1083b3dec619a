"""Funders' endpoints: counts only, small cells suppressed."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_unmet_need_is_suppressed(client: TestClient) -> None:
    table = client.get(
        "/funders/unmet-need", params={"rows": "category", "columns": "reason"}
    ).json()
    assert table["rows"][-1] == "total"
    assert table["columns"][-1] == "total"
    cells = [v for row in table["cells"] for v in row]
    assert all(v is None or v == 0 or v > 10 for v in cells)
    assert table["suppressed_cells"] > 0


def test_unmet_need_rejects_unknown_dimensions(client: TestClient) -> None:
    bad = client.get("/funders/unmet-need", params={"rows": "participant"})
    assert (bad.status_code, bad.json()["field"]) == (422, "rows")
    same = client.get("/funders/unmet-need", params={"rows": "reason", "columns": "reason"})
    assert (same.status_code, same.json()["rule"]) == (422, "distinct")


def test_fund(client: TestClient) -> None:
    fund = client.get("/funders/fund").json()
    assert fund["balance"] == fund["available"] > 0
    assert fund["spent"] == 0
    assert fund["purchases"]["cells"] == []
