"""The auditor's page: the log filtered by account name, action, object and dates,
newest first and paged, the same filter as a CSV download, and the page itself kept
to auditors."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.web.auditor import PER_PAGE
from matcher.service import audit
from matcher.store.engine import session_scope
from tests.api.conftest import START
from tests.builders import make_audit_entry
from tests.web.conftest import sign_in


def _entry(minute: int, username: str, action: str, object_id: str) -> audit.Entry:
    at = START - timedelta(days=3) + timedelta(minutes=minute)
    return make_audit_entry(
        at, username=username, action=action, object_id=object_id, role="provider"
    )


def _seed_log(engine: Engine, many: int = PER_PAGE + 10) -> None:
    """``many`` capacity reports by ``pat``, then one by ``quinn`` a day later, and a
    record whose object id a spreadsheet would read as a formula."""
    entries = [_entry(i, "pat", "capacity.report", "p-harbor") for i in range(many)]
    entries.append(_entry(60 * 24, "quinn", "referral.enrol", "r-7"))
    entries.append(_entry(60 * 25, "mallory", "web.read", "=HYPERLINK(1)"))
    with session_scope(engine) as s:
        audit.record_many(s, entries)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)">', html)


def test_an_auditor_filters_by_account_action_object_and_date(
    pages: TestClient, web_engine: Engine
) -> None:
    _seed_log(web_engine)
    home = sign_in(pages, "audrey")
    assert "<h1>Audit log</h1>" in home
    assert 'data-action="capacity.report"' in home
    by_name = pages.get("/web/audit", params={"username": "quinn"}).text
    assert _rows(by_name) == ["referral.enrol"]
    assert "quinn" in by_name
    by_action = pages.get("/web/audit", params={"action": "referral.enrol"}).text
    assert _rows(by_action) == ["referral.enrol"]
    assert '<option value="referral.enrol" selected>' in by_action
    by_object = pages.get("/web/audit", params={"object_id": "r-7"}).text
    assert _rows(by_object) == ["referral.enrol"]
    day = (START - timedelta(days=2)).date().isoformat()
    by_day = pages.get("/web/audit", params={"since": day, "until": day, "username": ""}).text
    assert _rows(by_day) == ["web.read", "referral.enrol"]  # newest first
    empty = pages.get("/web/audit", params={"username": "nobody"}).text
    assert "No records match this filter." in empty


def test_the_log_is_paged_newest_first_and_a_bad_date_is_named(
    pages: TestClient, web_engine: Engine
) -> None:
    _seed_log(web_engine)
    sign_in(pages, "audrey")
    first = pages.get("/web/audit", params={"username": "pat"}).text
    assert len(_rows(first)) == PER_PAGE
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    older = pages.get("/web/audit", params={"username": "pat", "page": 2}).text
    assert len(_rows(older)) == 10
    assert 'rel="prev"' in older
    assert 'rel="next"' not in older
    bad = pages.get("/web/audit", params={"since": "yesterday", "username": "quinn"})
    assert bad.status_code == 200
    assert "From: &#39;yesterday&#39; is not a date" in bad.text
    assert _rows(bad.text) == ["referral.enrol"]


def test_the_filtered_log_downloads_as_csv(pages: TestClient, web_engine: Engine) -> None:
    _seed_log(web_engine)
    home = sign_in(pages, "audrey")
    assert 'href="/web/audit?format=csv"' in home
    answer = pages.get("/web/audit", params={"username": "pat", "format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == PER_PAGE + 10  # every record the filter finds, not one page
    assert {r["username"] for r in rows} == {"pat"}
    assert rows[0]["at"] > rows[-1]["at"]
    formula = pages.get("/web/audit", params={"username": "mallory", "format": "csv"})
    (row,) = csv.DictReader(io.StringIO(formula.text))
    assert row["object_id"] == "'=HYPERLINK(1)"


def test_the_audit_page_is_for_auditors_only_and_is_itself_audited(
    pages: TestClient, web_engine: Engine
) -> None:
    for username in ("pat", "ana", "fiona"):
        sign_in(pages, username)
        assert pages.get("/web/audit").status_code == 403
        assert pages.get("/web/audit", params={"format": "csv"}).status_code == 403
    sign_in(pages, "audrey")
    pages.get("/web/audit", params={"username": "pat"})
    with session_scope(web_engine) as s:
        seen = audit.query(s, username="audrey", action="web")
        denied = audit.query(s, username="pat", object_id=None, action="web")
    assert any(e.route == "GET /web/audit" and e.outcome == "allowed" for e in seen)
    assert any(e.route == "GET /web/audit" and e.outcome == "denied" for e in denied)
