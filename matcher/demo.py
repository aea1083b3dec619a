"""``matcher demo``: the users' daily flows, end to end, over the real API.

A fresh SQLite store is made from the sample city, with an account for each role.
Each user signs in (``POST /auth/token``) and works through the same HTTP API a
deployment serves, in process: a provider reports open places (and a report from a
stale screen is refused), a case manager asks for matches for one participant's
plan, records the participant's consent, holds and confirms the recommended places,
the providers see the referrals (only what the consent allows) and enrol, a funder
reads unmet need and a purchase plan (suppressed counts), and an auditor reads the
log, which also shows an attempt the access rules refused.
"""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matcher.demo_notices import Notices, address
from matcher.scenario import Scenario, category_of
from matcher.service import accounts
from matcher.settings import Settings
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.snapshot import import_scenario

CASE_MANAGER = "cm-demo"


class Demo:
    """One walk-through: accounts, signed-in clients, and what each user does."""

    def __init__(
        self,
        client: Any,
        engine: Any,
        now: datetime,
        say: Callable[[str], None],
        password: str | None = None,
    ) -> None:
        self.client = client
        self.engine = engine
        self.now = now
        self.say = say
        self.password = password
        self.tokens: dict[str, str] = {}
        self.notices = Notices(client, engine, say)

    def told(self) -> None:
        """What the users were told by the step just done (inbox, and e-mail)."""
        self.notices.show(self.tokens, self.now)

    def account(self, username: str, role: str, subject: str | None = None) -> None:
        """Create an account (with the demo's password, or a random one) and sign it in
        over the API."""
        if username in self.tokens:
            return
        password = self.password or secrets.token_urlsafe(18)
        with session_scope(self.engine) as session:
            accounts.create_account(
                session,
                username=username,
                role=role,
                password=password,
                subject_id=subject,
                now=self.now,
                email=address(username),
            )
        signed = self.client.post("/auth/token", data={"username": username, "password": password})
        signed.raise_for_status()
        self.tokens[username] = signed.json()["access_token"]

    def as_(self, username: str) -> dict[str, str]:
        if username.endswith("-staff"):
            self.account(username, "provider", username.removesuffix("-staff"))
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def provider_reports(
        self, organization: str, program_id: str, open_slots: int, waitlist: int
    ) -> None:
        who = f"{organization}-staff"
        url = f"/providers/{organization}/programs/{program_id}"
        before = self.client.get(url, headers=self.as_(who))
        etag, view = before.headers["ETag"], before.json()
        self.say(
            f"\n1. PROVIDER {who} reports {program_id}: {open_slots} open, {waitlist} waiting "
            f"(was {view['open_slots']} open, {view['waitlist']} waiting, "
            f"version {view['version']})"
        )
        body = {"open_slots": open_slots, "waitlist": waitlist}
        after = self.client.put(
            f"{url}/capacity", json=body, headers={**self.as_(who), "If-Match": etag}
        ).json()
        self.say(
            f"   -> version {after['version']}: {after['unused']} unused place(s) a participant "
            "may take; "
            f"the rest are owed to the {after['waitlist']} people waiting"
        )
        stale = self.client.put(
            f"{url}/capacity",
            json={"open_slots": 0, "waitlist": 0},
            headers={**self.as_(who), "If-Match": etag},
        )
        self.say(
            f"   a report from the same stale screen: {stale.status_code} {stale.json()['rule']}"
        )

    def case_manager_matches(
        self, participant_id: str, organisation_of: dict[str, str]
    ) -> list[tuple[str, str]]:
        cm = self.as_("ana")
        base = f"/case-managers/{CASE_MANAGER}"
        self.say(f"\n2. CASE MANAGER ana asks for matches for participant {participant_id}")
        result = self.client.post(
            f"{base}/participants/{participant_id}/matches", headers=cm
        ).json()
        sent: list[tuple[str, str]] = []
        for need in result["needs"]:
            flag = " (acute)" if need["acute"] else ""
            self.say(f"   need {need['need_id']}{flag}: {' or '.join(need['service_types'])}")
            for option in need["options"][:3]:
                star = "*" if need["recommended"] == option else " "
                price = f" at {option['price']:,.2f}" if option["pool"] == "purchase" else ""
                self.say(
                    f"    {star} {option['program_id']:<40} "
                    f"{option['distance_km']:5.1f} km  {option['pool']}{price}"
                )
            if need["excluded"]:
                self.say(
                    "      excluded: "
                    + ", ".join(f"{n} by {r}" for r, n in need["excluded"].items())
                )
            pick = need["recommended"]
            if pick is None:
                self.say(f"      not met: {need['reason']} - {need['detail']}")
                continue
            org = organisation_of[pick["program_id"]]
            self.account(f"{org}-staff", "provider", org)  # so the provider is told
            category = category_of(need["service_types"][0])
            consent = {
                "recipient_type": "organization",
                "recipient_id": org,
                "categories": [category],
            }
            self.client.post(
                f"{base}/participants/{participant_id}/consents", json=consent, headers=cm
            )
            hold = {
                "participant_id": participant_id,
                "need_id": need["need_id"],
                "program_id": pick["program_id"],
                "pool": pick["pool"],
            }
            held = self.client.post(f"{base}/holds", json=hold, headers=cm).json()
            done = self.client.post(
                f"{base}/referrals/{held['referral_id']}/confirm", headers=cm
            ).json()
            self.say(
                f"      consent to share {category} with {org} recorded; held and confirmed "
                f"(referral {done['referral_id'][:8]}, expires {done['expires_at'][:16]} UTC)"
            )
            sent.append((org, done["referral_id"]))
        self.told()
        return sent

    def providers_enrol(self, sent: list[tuple[str, str]]) -> None:
        self.say("\n3. PROVIDERS see their referrals (only what the consent allows) and enrol")
        for org, rid in sent:
            who = self.as_(f"{org}-staff")
            incoming = self.client.get(
                f"/providers/{org}/referrals", params={"status": "referred"}, headers=who
            )
            seen = next(r for r in incoming.json() if r["referral_id"] == rid)
            facts = ", ".join(f"{k}={v}" for k, v in seen["facts"].items()) or "none asked"
            notice = "; with the 42 CFR Part 2 notice" if seen["notice"] else ""
            done = self.client.post(f"/providers/{org}/referrals/{rid}/enrol", headers=who).json()
            self.say(
                f"   {org}: {seen['participant_id']} for {', '.join(seen['service_types'])} "
                f"(facts: {facts}{notice}) -> {done['status']}"
            )
        if sent:
            steps = self.client.get(
                f"/case-managers/{CASE_MANAGER}/referrals/{sent[0][1]}/history",
                headers=self.as_("ana"),
            ).json()
            with session_scope(self.engine, read_only=True) as session:
                names = accounts.names_of(session, {s["actor"] for s in steps})
            self.say(
                "   history of the first: "
                + " -> ".join(f"{s['status']} by {names[s['actor']]}" for s in steps)
            )
        self.told()

    def funder_reads(self) -> None:
        who = self.as_("fiona")
        self.say(
            "\n4. FUNDER fiona reads unmet need "
            "(category x reason; * = suppressed, 1-10 or complementary)"
        )
        table = self.client.get(
            "/funders/unmet-need", params={"rows": "category", "columns": "reason"}, headers=who
        ).json()
        width = max((len(r) for r in table["rows"]), default=5) + 2
        self.say(" " * width + "".join(f"{c[:12]:>13}" for c in table["columns"]))
        for name, cells in zip(table["rows"], table["cells"], strict=True):
            self.say(f"{name:<{width}}" + "".join(f"{'*' if v is None else v:>13}" for v in cells))
        money = self.client.get("/funders/fund", headers=who).json()
        self.say(
            f"   fund: {money['balance']:,.2f} balance, "
            f"{money['reserved']:,.2f} reserved by live holds, "
            f"{money['available']:,.2f} available"
        )
        plan = self.client.get("/funders/plan", params={"budget": 20000}, headers=who).json()
        for p in (plan["exact"], plan["naive"]):
            met = "suppressed" if p["needs_met"] is None else p["needs_met"]
            self.say(
                f"   plan for 20,000.00 ({p['method']}): spend {p['spend']:,.2f}, needs met {met}"
            )

    def officer_refers(self, reference: str, note: str, *, taken: bool) -> None:
        """An officer refers someone into LEAD; ana takes it up (or leaves it queued)."""
        self.account("olive", "referrer")
        made = self.client.post(
            "/referrers/intakes",
            json={"reference": reference, "note": note},
            headers=self.as_("olive"),
        ).json()
        queue = self.client.get(
            f"/case-managers/{CASE_MANAGER}/intakes", headers=self.as_("ana")
        ).json()
        self.say(
            f"\n0. OFFICER olive refers someone into LEAD ({reference}): the receipt says "
            f"'{made['status']}' and nothing more; {len(queue)} referral(s) wait for a case "
            "manager"
        )
        if taken:
            self.client.post(
                f"/case-managers/{CASE_MANAGER}/intakes/{made['intake_id']}/take",
                headers=self.as_("ana"),
            ).raise_for_status()
            self.say("   ana takes it up: the other case managers no longer see it")
        self.told()

    def auditor_reads(self, participant_id: str) -> None:
        self.say("\n5. AUDITOR audra reads the log")
        denied = self.client.get(
            f"/case-managers/{CASE_MANAGER}/participants/{participant_id}",
            headers=self.as_("fiona"),
        )
        log = self.client.get("/audit", params={"limit": 5000}, headers=self.as_("audra")).json()
        outcomes: dict[str, int] = {}
        for entry in log:
            outcomes[entry["outcome"]] = outcomes.get(entry["outcome"], 0) + 1
        self.say(
            f"   a funder asking for a participant's record got {denied.status_code}; "
            "the log holds "
            f"{len(log)} records: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
        )


def pick_participant(scenario: Scenario) -> str:
    """A participant whose plan starts with an acute housing need, for the walk-through."""
    for person in scenario.participants:
        needs = person.needs
        if len(needs) >= 2 and needs[0].acute and needs[0].service_types[0].startswith("housing"):
            return person.id
    return scenario.participants[0].id


def run_demo(
    scenario: Scenario,
    database: Path,
    now: datetime,
    say: Callable[[str], None],
    password: str | None = None,
) -> None:
    """Create ``database`` from ``scenario`` and walk the users' flows on it over the API
    (every account gets ``password`` when one is given, for ``serve_demo``)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    if database.exists():
        raise FileExistsError(f"{database} exists: the demo starts from a fresh database")
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            import_scenario(session, scenario, now, case_manager_id=CASE_MANAGER)
        say(
            f"fresh store {database}: {len(scenario.programs)} programs, "
            f"{len(scenario.participants)} participants, fund {scenario.fund.budget:,.2f}"
        )
        app = create_app(Settings(database_url=url), engine=engine)
        with TestClient(app) as client:
            demo = Demo(client, engine, now, say, password)
            organisation_of = {p.id: p.provider_id for p in scenario.programs}
            demo.account("ana", "case_manager", CASE_MANAGER)
            demo.account("fiona", "funder")
            demo.account("audra", "auditor")
            say(
                "accounts: ana (case manager), fiona (funder), audra (auditor) and each "
                "provider's staff, at example.org addresses; everyone signs in with a "
                "password and gets a token; what each is told is shown as 'inbox of'"
            )
            demo.officer_refers("D-1027", "met at 3rd and Pine, asked about a bed", taken=True)
            if password is not None:  # served afterwards: one left for a person to take up
                demo.officer_refers("D-1031", "needs help with court dates", taken=False)
            first = scenario.programs[0]
            cap = first.capacity
            demo.provider_reports(
                first.provider_id, first.id, (cap.open_slots or 0) + 2, cap.waitlist
            )
            person = pick_participant(scenario)
            sent = demo.case_manager_matches(person, organisation_of)
            demo.providers_enrol(sent)
            demo.funder_reads()
            demo.auditor_reads(person)
        if password is None:  # when served, serve_demo names them with the staff it adds
            name_accounts(engine, say)
    finally:
        engine.dispose()


def name_accounts(engine: Any, say: Callable[[str], None]) -> None:
    """Name every account in the demo's store, by role, so a person can sign in as any."""
    with session_scope(engine, read_only=True) as session:
        everyone = accounts.listing(session)
    by_role: dict[str, list[str]] = {}
    for account in everyone:
        by_role.setdefault(account.role, []).append(account.username)
    say(f"\naccounts in the demo's store ({len(everyone)}, username by role):")
    for role, names in sorted(by_role.items()):
        line = f"  {role.replace('_', ' ')}: {', '.join(names)}"
        say(textwrap.fill(line, width=100, subsequent_indent="    ", break_on_hyphens=False))


def serve_demo(
    scenario: Scenario,
    database: Path,
    password: str,
    host: str,
    port: int,
    say: Callable[[str], None],
    *,
    url: str,
    kept: bool,
) -> None:
    """Serve the pages and the API on the demo's store, with a staff account for every
    provider (``<organisation>-staff``) beside the demo's other accounts, all with
    ``password``, and name them all. Runs until interrupted; ``url`` is where it is
    reached, ``kept`` whether the store outlives it (``--database``)."""
    import uvicorn

    from api.app import create_app

    store = f"sqlite:///{database}"
    engine = make_engine(store)
    with session_scope(engine) as session:
        taken = {a.username for a in accounts.listing(session)}
        for organization in sorted({p.provider_id for p in scenario.programs}):
            if f"{organization}-staff" not in taken:
                accounts.create_account(
                    session,
                    username=f"{organization}-staff",
                    role="provider",
                    password=password,
                    subject_id=organization,
                    now=datetime.now(UTC),
                )
    name_accounts(engine, say)
    fate = f"the store is kept in {database}" if kept else "the store is thrown away"
    say(
        f"\nSERVING the pages on {url}/web (Ctrl-C stops; {fate})\n"
        f"  password for every account above: {password}"
    )
    settings = Settings(database_url=store)
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="warning")
