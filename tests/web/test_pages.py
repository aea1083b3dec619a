"""The pages do each role's daily task over the same rules as the API: sign-in and
CSRF, role and object checks, the stale-form conflict, hold to enrolment, and the
funder's suppressed table."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select

from matcher.demo import pick_participant
from matcher.scenario import parse_scenario
from matcher.service import accounts, capacity, consent, intake, participants, teams
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import add_program
from tests.api.conftest import CM, START
from tests.api.test_funders import UNREPORTED_TYPE, add_unreported_needs
from tests.builders import make_program, make_scenario_json
from tests.web.conftest import ORG, OTHER_CM, PASSWORD, SAMPLE, csrf_of, sign_in

PROGRAM = next(p for p in SAMPLE.programs if p.provider_id == ORG)


def _program(engine: Engine, program_id: str) -> t.ProgramCapacity:
    with session_scope(engine) as s:
        row = s.get(t.ProgramCapacity, program_id)
        assert row is not None
        s.expunge(row)
        return row


def test_pages_need_a_session_and_sign_in_needs_the_form_token(pages: TestClient) -> None:
    first = pages.get("/web/provider", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/web/sign-in?next=%2Fweb%2Fprovider"
    forged = pages.post("/web/sign-in", data={"username": "pat", "password": PASSWORD})
    assert forged.status_code == 403
    assert "matcher_session" not in pages.cookies
    wrong = pages.post(
        "/web/sign-in",
        data={
            "username": "pat",
            "password": "nope",
            "csrf_token": csrf_of(pages.get("/web/sign-in").text),
        },
    )
    assert wrong.status_code == 401
    assert "Wrong username or password" in wrong.text
    assert "matcher_session" not in pages.cookies


def test_the_session_cookie_is_http_only_secure_and_same_site(pages: TestClient) -> None:
    first = pages.get("/web/sign-in")
    token = csrf_of(first.text)
    key = next(c for c in first.headers.get_list("set-cookie") if c.startswith("matcher_csrf="))
    assert "HttpOnly" in key
    assert "Secure" in key
    assert "SameSite=lax" in key  # a link from elsewhere keeps it: open forms stay valid
    answer = pages.post(
        "/web/sign-in",
        data={"username": "pat", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("matcher_session=")
    )
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie
    # A session cookie is not an API token, nor the reverse.
    session_token = pages.cookies["matcher_session"]
    assert (
        pages.get("/auth/me", headers={"Authorization": f"Bearer {session_token}"}).status_code
        == 401
    )


def test_a_provider_saves_places_and_a_stale_form_says_so(
    pages: TestClient, web_engine: Engine
) -> None:
    html = sign_in(pages, "pat")
    assert PROGRAM.name
    assert PROGRAM.name in html
    before = _program(web_engine, PROGRAM.id)
    url = f"/web/provider/programs/{PROGRAM.id}/capacity"
    saved = pages.post(
        url,
        data={
            "open_slots": 7,
            "waitlist": 2,
            "version": before.report_version,
            "csrf_token": csrf_of(html),
        },
    )
    assert saved.status_code == 200
    assert f"Saved {PROGRAM.name}: 7 open, 2 waiting" in saved.text
    after = _program(web_engine, PROGRAM.id)
    assert (after.open_slots, after.waitlist, after.report_version) == (
        7,
        2,
        before.report_version + 1,
    )

    # The same stale form again: refused, the current numbers shown, nothing stored.
    stale = pages.post(
        url,
        data={
            "open_slots": 1,
            "waitlist": 9,
            "version": before.report_version,
            "csrf_token": csrf_of(html),
        },
    )
    assert stale.status_code == 409
    assert "Not saved: someone updated this program" in stale.text
    assert "The current numbers are 7 open and 2 waiting" in stale.text
    assert f'name="version" value="{after.report_version}"' in stale.text
    assert _program(web_engine, PROGRAM.id).version == after.version


def test_a_form_without_this_sessions_token_changes_nothing(
    pages: TestClient, web_engine: Engine
) -> None:
    sign_in(pages, "pat")
    before = _program(web_engine, PROGRAM.id)
    for token in ("", "0" * 64):
        answer = pages.post(
            f"/web/provider/programs/{PROGRAM.id}/capacity",
            data={"open_slots": 40, "waitlist": 0, "version": before.version, "csrf_token": token},
        )
        assert answer.status_code == 403
    assert _program(web_engine, PROGRAM.id).version == before.version


def test_roles_see_only_their_own_pages_and_objects(pages: TestClient) -> None:
    person = SAMPLE.participants[0].id
    sign_in(pages, "bo")  # a case manager, but not this participant's
    assert pages.get("/web/provider").status_code == 403
    assert pages.get("/web/funder").status_code == 403
    theirs = pages.get(f"/web/case-manager/participants/{person}")
    missing = pages.get("/web/case-manager/participants/p-nobody")
    assert theirs.status_code == missing.status_code == 404
    assert person not in theirs.text.replace(f"no participant {person}", "")
    sign_in(pages, "pat")
    assert pages.get("/web/case-manager").status_code == 403
    assert sign_in_status(pages, "rex") == 200  # an officer has their own page...
    assert pages.get("/web/case-manager").status_code == 403  # ...and no other


def sign_in_status(client: TestClient, username: str) -> int:
    token = csrf_of(client.get("/web/sign-in").text)
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    return client.post("/web/sign-in", data=data).status_code


def test_hold_confirm_and_enrol_across_the_two_roles(pages: TestClient, web_engine: Engine) -> None:
    person = pick_participant(SAMPLE)
    page = sign_in(pages, "ana")
    assert f'href="/web/case-manager/participants/{person}"' in page
    plan = pages.get(f"/web/case-manager/participants/{person}")
    assert "acute" in plan.text
    found = pages.get(f"/web/case-manager/participants/{person}/places")
    assert found.status_code == 200
    assert "★" in found.text
    form = re.search(
        r'name="need_id" value="([^"]+)">\s*<input type="hidden" name="program_id" '
        r'value="([^"]+)">\s*<input type="hidden" name="pool" value="([^"]+)"',
        found.text.split("★", 1)[1],
    )
    assert form
    need_id, program_id, pool = form.groups()
    held = pages.post(
        "/web/case-manager/holds",
        data={
            "participant_id": person,
            "need_id": need_id,
            "program_id": program_id,
            "pool": pool,
            "csrf_token": csrf_of(found.text),
        },
    )
    assert held.status_code == 200
    assert "Place held until" in held.text
    with session_scope(web_engine) as s:
        referral = s.exec(select(t.Referral).where(t.Referral.need_id == need_id)).one()
        organization = s.get(t.Program, program_id)
        assert organization is not None
        org = organization.organization_id
        accounts.create_account(
            s, username="staff", role="provider", password=PASSWORD, subject_id=org, now=START
        )
    url = f"/web/case-manager/referrals/{referral.id}/confirm"
    unticked = pages.post(url, data={"participant_id": person, "csrf_token": csrf_of(held.text)})
    assert unticked.status_code == 409
    sent = pages.post(
        url, data={"participant_id": person, "consent": "yes", "csrf_token": csrf_of(held.text)}
    )
    assert "Referral sent" in sent.text
    assert "Referred: waiting for the provider" in sent.text

    incoming = sign_in(pages, "staff")
    assert f'data-referral="{referral.id}"' in incoming
    assert person in incoming
    assert "Case manager: <strong>ana</strong>" in incoming  # whom to call, with consent
    enrolled = pages.post(
        f"/web/provider/referrals/{referral.id}/enrol", data={"csrf_token": csrf_of(incoming)}
    )
    assert "Enrolled" in enrolled.text
    with session_scope(web_engine) as s:
        assert s.get(t.Referral, referral.id).status == "enrolled"  # type: ignore[union-attr]
        recorded = s.exec(
            select(t.AuditEvent.action, t.AuditEvent.outcome, t.AuditEvent.username).where(
                t.AuditEvent.referral_id == referral.id
            )
        ).all()
    # the page's {action} segment, named in words; each write by the account's name
    assert ("referral.confirm", "conflict", "ana") in recorded
    assert ("referral.enrol", "allowed", "staff") in recorded
    assert {name for _, outcome, name in recorded if outcome == "allowed"} == {"ana", "staff"}


def test_the_funder_sees_the_suppressed_table_map_and_a_plan(
    pages: TestClient, web_engine: Engine
) -> None:
    sign_in(pages, "fiona")
    page = pages.get("/web/funder", params={"budget": 20000})
    assert page.status_code == 200
    assert "Which services are lacking" in page.text
    cells = re.findall(r"<td[^>]*>(\d+)</td>", page.text.split('id="map-h"')[0])
    assert cells
    assert all(not 1 <= int(c) <= 10 for c in cells)
    assert "<svg" in page.text
    assert "Plan for $20,000<" in page.text  # one money format: no cents when none
    with session_scope(web_engine) as s:
        view = capacity.list_programs(s, ORG, START)
    assert view  # the funder page changed nothing a provider sees
    assert all(p.version >= 1 for p in view)


def test_the_funder_page_keeps_needs_waiting_on_a_report_apart(
    pages: TestClient, web_engine: Engine
) -> None:
    sign_in(pages, "fiona")
    add_unreported_needs(web_engine)
    page = pages.get("/web/funder").text
    waiting = page.split('id="unreported-h"')[1].split("</section>")[0]
    assert "Ask the providers to report: these are not places to buy." in waiting
    assert re.search(r'<th scope="row">Legal</th>', waiting)


def test_pages_are_audited_without_query_values(pages: TestClient, web_engine: Engine) -> None:
    sign_in(pages, "fiona")
    pages.get("/web/funder", params={"budget": 12345})
    sign_in(pages, "bo")
    pages.get("/web/funder")
    with session_scope(web_engine) as s:
        rows = s.exec(select(t.AuditEvent).order_by(col(t.AuditEvent.id))).all()
    actions = [(r.route, r.action, r.outcome) for r in rows]
    assert ("GET /web/funder", "web.funder.read", "allowed") in actions
    assert ("GET /web/funder", "web.funder.read", "denied") in actions
    assert not any("12345" in f"{r.action} {r.route}" for r in rows)


def test_a_case_manager_records_a_participant_and_reorders_the_plan(
    pages: TestClient, web_engine: Engine
) -> None:
    home = sign_in(pages, "ana")
    assert 'href="/web/case-manager/new"' in home
    form = pages.get("/web/case-manager/new")
    assert "Downtown" in form.text or "<option value=" in form.text
    hood = re.findall(r'<option value="([^"]+)">', form.text.split('name="neighborhood"')[1])[0]
    created = pages.post(
        "/web/case-manager/new",
        data={
            "csrf_token": csrf_of(form.text),
            "neighborhood": hood,
            "age": "41",
            "active_use": "yes",
            "has_id": "yes",
            "type_0": "food.meals",
            "order_0": "2",
            "type_1": "housing.*",
            "acute_1": "yes",
            "order_1": "1",
            "type_2": "",
        },
    )
    assert created.status_code == 200, created.text
    pid = created.url.path.rsplit("/", 1)[1]
    assert pid.startswith("p-")
    assert f"{pid} recorded" in created.text
    with session_scope(web_engine) as s:
        person = participants.get(s, CM, pid)
    assert [n.acute for n in person.needs] == [True, False]
    assert person.needs[0].service_types[0].startswith("housing.")
    assert len(person.needs[0].service_types) > 1
    assert person.needs[1].service_types == ["food.meals"]
    assert person.attributes.active_use
    assert person.location.neighborhood == hood

    plan = pages.get(f"/web/case-manager/participants/{pid}/plan")
    assert 'value="housing.*" selected' in plan.text
    kept = person.needs[1].id
    saved = pages.post(
        f"/web/case-manager/participants/{pid}/plan",
        data={
            "csrf_token": csrf_of(plan.text),
            "id_0": person.needs[0].id,
            "type_0": "",
            "id_1": kept,
            "type_1": "food.meals",
            "acute_1": "yes",
        },
    )
    assert "Plan saved" in saved.text
    with session_scope(web_engine) as s:
        after = participants.get(s, CM, pid)
    assert [(n.id, n.acute) for n in after.needs] == [(kept, True)]


def test_a_bad_participant_form_names_the_problem_and_stores_nothing(
    pages: TestClient, web_engine: Engine
) -> None:
    sign_in(pages, "ana")
    form = pages.get("/web/case-manager/new")
    with session_scope(web_engine) as s:
        before = len(participants.listing(s, CM))
    bad = pages.post(
        "/web/case-manager/new",
        data={"csrf_token": csrf_of(form.text), "type_0": "food.meals"},
    )
    assert bad.status_code == 422
    assert "neighbourhood" in bad.text
    unknown = pages.post(
        "/web/case-manager/new",
        data={
            "csrf_token": csrf_of(form.text),
            "lat": "47.6",
            "lon": "-122.3",
            "type_0": "food.caviar",
        },
    )
    assert unknown.status_code == 422
    assert "Need 1: choose its service from the list." in unknown.text
    assert 'name="lat" inputmode="decimal" value="47.6"' in unknown.text  # kept as typed
    with session_scope(web_engine) as s:
        assert len(participants.listing(s, CM)) == before
    sign_in(pages, "pat")
    assert pages.get("/web/case-manager/new").status_code == 403


def test_a_referral_into_lead_is_taken_up_and_becomes_a_participant(
    pages: TestClient, web_engine: Engine
) -> None:
    with session_scope(web_engine) as s:
        officer = s.exec(select(t.Account).where(t.Account.username == "rex")).one()
        made = intake.submit(s, officer.id, "D-77", "asked for a shelter bed tonight", START)
    sign_in(pages, "bo")
    assert "D-77" in pages.get("/web/case-manager").text
    home = sign_in(pages, "ana")
    assert "asked for a shelter bed tonight" in home
    taken = pages.post(
        f"/web/case-manager/intakes/{made.intake_id}/take", data={"csrf_token": csrf_of(home)}
    )
    assert "Referral D-77 is yours" in taken.text
    assert f"/web/case-manager/new?intake={made.intake_id}" in taken.text
    sign_in(pages, "bo")
    assert "D-77" not in pages.get("/web/case-manager").text
    sign_in(pages, "ana")
    form = pages.get(f"/web/case-manager/new?intake={made.intake_id}")
    assert f'name="intake_id" value="{made.intake_id}"' in form.text
    created = pages.post(
        "/web/case-manager/new",
        data={
            "csrf_token": csrf_of(form.text),
            "lat": "47.61",
            "lon": "-122.33",
            "intake_id": made.intake_id,
            "type_0": "housing.shelter",
            "acute_0": "yes",
        },
    )
    pid = created.url.path.rsplit("/", 1)[1]
    assert f"{pid} recorded" in created.text
    with session_scope(web_engine) as s:
        row = s.get(t.Intake, made.intake_id)
        assert row is not None
        assert (row.taken_by, row.participant_id) == (CM, pid)
    assert "D-77" not in pages.get("/web/case-manager").text  # done: off the list


def test_details_are_edited_against_the_version_read_and_consents_revoked(
    pages: TestClient, web_engine: Engine
) -> None:
    person = SAMPLE.participants[0]
    sign_in(pages, "ana")
    form = pages.get(f"/web/case-manager/participants/{person.id}/details")
    assert form.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {
        "csrf_token": csrf_of(form.text),
        "version": version.group(1),
        "neighborhood": person.location.neighborhood or "",
        "age": "52",
        "has_pet": "yes",
        "has_id": "yes",
    }
    saved = pages.post(f"/web/case-manager/participants/{person.id}/details", data=data)
    assert "Details saved" in saved.text
    with session_scope(web_engine) as s:
        after = participants.get(s, CM, person.id)
        assert not participants.is_active(s, CM, person.id)  # "active" was not ticked
    assert (after.attributes.age, after.attributes.has_pet) == (52, True)
    assert (after.location.lat, after.location.lon) == (person.location.lat, person.location.lon)
    assert [n.id for n in after.needs] == [n.id for n in person.needs]
    stale = pages.post(f"/web/case-manager/participants/{person.id}/details", data=data)
    assert stale.status_code == 409
    assert "a colleague changed this record" in stale.text

    with session_scope(web_engine) as s:
        made = consent.grant(
            s,
            CM,
            person.id,
            recipient_type="organization",
            recipient_id=ORG,
            categories=["housing"],
            starts_at=START,
            ends_at=None,
            now=START,
        )
    page = pages.get(f"/web/case-manager/participants/{person.id}")
    assert f'data-consent="{made.consent_id}"' in page.text
    revoked = pages.post(
        f"/web/case-manager/participants/{person.id}/consents/{made.consent_id}/revoke",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert "Consent revoked" in revoked.text
    with session_scope(web_engine) as s:
        assert consent.consents(s, CM, person.id)[0].revoked_at is not None


def test_one_tap_records_a_place_filled_or_freed(pages: TestClient, web_engine: Engine) -> None:
    html = sign_in(pages, "pat")
    before = _program(web_engine, PROGRAM.id)
    assert before.open_slots is not None
    card = html.split(f'data-program="{PROGRAM.id}"', 1)[1]
    filled = re.search(
        r'name="version" value="(\d+)">\s*<input type="hidden" name="open_slots" '
        r'value="(\d+)">\s*<input type="hidden" name="waitlist" value="(\d+)">\s*'
        r'<button type="submit" aria-label="One place filled',
        card,
    )
    assert filled
    assert int(filled.group(2)) == before.open_slots - 1
    done = pages.post(
        f"/web/provider/programs/{PROGRAM.id}/capacity",
        data={
            "csrf_token": csrf_of(html),
            "version": filled.group(1),
            "open_slots": filled.group(2),
            "waitlist": filled.group(3),
        },
    )
    assert done.status_code == 200
    assert _program(web_engine, PROGRAM.id).open_slots == before.open_slots - 1


def test_a_consent_is_recorded_from_the_participant_page(
    pages: TestClient, web_engine: Engine
) -> None:
    person = SAMPLE.participants[1].id
    sign_in(pages, "ana")
    page = pages.get(f"/web/case-manager/participants/{person}")
    assert f'<option value="{ORG}">' in page.text
    url = f"/web/case-manager/participants/{person}/consents"
    token = csrf_of(page.text)
    empty = pages.post(url, data={"csrf_token": token, "organization_id": ORG})
    assert empty.status_code == 422
    assert "tick what may be shared" in empty.text
    done = pages.post(
        url,
        data={
            "csrf_token": token,
            "organization_id": ORG,
            "category": ["housing", "food"],
            "ends_on": "2027-05-01",
        },
    )
    assert "Consent recorded" in done.text
    with session_scope(web_engine) as s:
        (made,) = consent.consents(s, CM, person)
    assert (made.recipient_id, made.categories) == (ORG, ["food", "housing"])
    assert made.ends_at is not None
    assert made.ends_at.date().isoformat() == "2027-05-01"


def test_a_teammate_covers_a_case_load_from_the_pages(
    pages: TestClient, web_engine: Engine
) -> None:
    person = pick_participant(SAMPLE)
    sign_in(pages, "bo")
    assert pages.get(f"/web/case-manager/participants/{person}").status_code == 404
    with session_scope(web_engine) as s:
        teams.set_members(s, "downtown", [CM, OTHER_CM])
    home = pages.get("/web/case-manager")
    assert "Covering for ana" in home.text  # the teammate's name, not the case load's id
    assert f'href="/web/case-manager/participants/{person}"' in home.text
    page = pages.get(f"/web/case-manager/participants/{person}")
    assert page.status_code == 200
    assert "On ana's case load: you are covering" in html.unescape(page.text)
    found = pages.get(f"/web/case-manager/participants/{person}/places")
    assert found.status_code == 200
    assert "★" in found.text
    with session_scope(web_engine) as s:
        teams.set_members(s, "downtown", [])
    assert pages.get(f"/web/case-manager/participants/{person}").status_code == 404


def test_populations_are_ticked_and_languages_stored_as_codes_from_the_forms(
    pages: TestClient, web_engine: Engine
) -> None:
    sign_in(pages, "ana")
    form = pages.get("/web/case-manager/new").text
    assert 'name="population" value="chronically_homeless"' in form
    fields = {
        "csrf_token": csrf_of(form),
        "lat": "47.6",
        "lon": "-122.3",
        "has_id": "yes",
        "languages": "Spanish, vi, es-MX",
        "type_0": "food.meals",
    }
    unknown = pages.post("/web/case-manager/new", data={**fields, "population": "pirate"})
    assert unknown.status_code == 422
    assert "Populations: choose populations from the list" in unknown.text
    made = pages.post("/web/case-manager/new", data={**fields, "population": ["youth", "veteran"]})
    assert made.status_code == 200, made.text
    pid = made.url.path.rsplit("/", 1)[1]  # the server made the pseudonym
    with session_scope(web_engine) as s:
        person = participants.get(s, CM, pid)
        assert person.attributes.populations == ["veteran", "youth"]  # the form's order
        assert person.languages == ["es", "vi"]
        extra = person.attributes.model_copy(update={"populations": ["veteran", "farmworker"]})
        participants.update(s, CM, person.model_copy(update={"attributes": extra}), START)
    details = pages.get(f"/web/case-manager/participants/{pid}/details").text
    assert 'value="veteran" checked' in details
    assert 'value="youth" checked' not in details
    version = re.search(r'name="version" value="(\d+)"', details)
    assert version
    saved = pages.post(
        f"/web/case-manager/participants/{pid}/details",
        data={
            "csrf_token": csrf_of(details),
            "version": version.group(1),
            "lat": "47.6",
            "lon": "-122.3",
            "has_id": "yes",
            "active": "yes",
            "population": ["hiv"],
        },
    )
    assert "Details saved" in saved.text
    with session_scope(web_engine) as s:
        after = participants.get(s, CM, pid)
    assert after.attributes.populations == ["hiv", "farmworker"]


def test_find_places_says_which_programs_never_reported_and_which_are_reserved(
    pages: TestClient, web_engine: Engine
) -> None:
    add_unreported_needs(web_engine, count=1)
    vets = make_program(
        id="vets-clinic",
        provider_id="org-silent",
        service_types=[UNREPORTED_TYPE],
        eligibility={"reserved_for": ["veteran"]},
    )
    with session_scope(web_engine) as s:
        add_program(s, parse_scenario(make_scenario_json([vets])).programs[0], START)
    sign_in(pages, "ana")
    pages.get("/web/case-manager/participants/u-0")
    found = pages.get("/web/case-manager/participants/u-0/places")
    assert found.status_code == 200
    assert "1 program has never reported free places" in found.text
    assert "1 program is reserved for other populations" in found.text
