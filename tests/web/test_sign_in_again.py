"""After the session ends, signing in again returns to the page or form the person was
on: a page of this site only, never an open redirect."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from api.web.session import SESSION_COOKIE, safe_next
from matcher.demo import pick_participant
from tests.web.conftest import PASSWORD, SAMPLE, csrf_of, sign_in


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/web/case-manager?show=unmet&sort=deadline", True),
        ("/web/case-manager/participants/p-1/plan", True),
        ("/web", True),
        ("//evil.example/web", False),
        ("https://evil.example/web", False),
        ("/web\\@evil.example", False),
        ("/webmail", False),
        ("/web/sign-in?next=/web", False),
        ("/web/\r\nSet-Cookie: x", False),
        ("javascript:alert(1)", False),
        ("//[::1", False),
        ("", False),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else "",
)
def test_only_this_sites_pages_are_returned_to(asked: str, kept: bool) -> None:
    assert (safe_next(asked) == asked) is kept


@given(st.one_of(st.text(max_size=60), st.text(max_size=40).map(lambda t: "/web" + t)))
def test_any_text_is_answered_never_raised(asked: str) -> None:
    """Whatever arrives in ``next`` (broken addresses included), the answer is the
    text itself or None: never an error page."""
    assert safe_next(asked) in (asked, None)


def _sign_in_from(client: TestClient, url: str, username: str = "ana") -> str:
    """Sign in on the form ``url`` shows; the final page's address."""
    form = client.get(url).text
    back = re.search(r'name="next" value="([^"]*)"', form)
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}
    if back:
        data["next"] = html.unescape(back[1])
    answer = client.post("/web/sign-in", data=data)
    assert answer.status_code == 200
    return str(answer.url)


def test_a_page_asked_for_after_the_session_ended_is_where_sign_in_returns(
    pages: TestClient,
) -> None:
    sign_in(pages, "ana")
    pages.cookies.delete(SESSION_COOKIE)
    asked = "/web/case-manager?show=unmet&sort=name"
    away = pages.get(asked, follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"].startswith("/web/sign-in?next=")
    assert _sign_in_from(pages, away.headers["location"]).endswith(asked)


def test_a_form_sent_after_the_session_ended_returns_to_that_form(pages: TestClient) -> None:
    person = pick_participant(SAMPLE)
    sign_in(pages, "ana")
    plan = f"/web/case-manager/participants/{person}/plan"
    token = csrf_of(pages.get(plan).text)
    pages.cookies.delete(SESSION_COOKIE)
    sent = pages.post(
        plan, data={"csrf_token": token, "type_0": "food.meals"}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert _sign_in_from(pages, sent.headers["location"]).endswith(plan)
    pages.cookies.delete(SESSION_COOKIE)
    held = pages.post(
        "/web/case-manager/holds",
        data={
            "csrf_token": token,
            "participant_id": person,
            "need_id": "n",
            "program_id": "g",
            "pool": "general",
        },
        follow_redirects=False,
    )  # no page shows this form on its own: sign-in leads to the role's page
    assert held.headers["location"] == "/web/sign-in"


def test_another_sites_address_is_never_followed(pages: TestClient) -> None:
    landed = _sign_in_from(pages, "/web/sign-in?next=//evil.example/web")
    assert landed.endswith("/web/case-manager")
    form = pages.get("/web/sign-in?next=https://evil.example").text
    assert 'name="next"' not in form
