"""Pages a person reads name things: program names, service types in words, and money
in one format."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import SAMPLE, sign_in


def test_the_funders_plan_names_programs_and_writes_money_one_way(pages: TestClient) -> None:
    sign_in(pages, "fiona")
    page = pages.get("/web/funder", params={"budget": 20000}).text
    plan = page.split('id="plan"', 1)[1]
    bought = re.findall(r"<li>(\d+) at ([^·]+) ·", plan)
    assert bought, "the sample city's plan buys places"
    names = {p.name for p in SAMPLE.programs}
    assert all(where.strip() in names for _, where in bought)
    assert not re.search(r"\$\d[\d,]*\.00\b", page)  # "$1,100", never "$1100.00"
