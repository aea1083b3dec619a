"""Retention: inactive participants' identifying data is removed after a period.

What stays is what aggregate history needs: the pseudonym, the neighbourhood, the
plan's needs (their service types and order), referrals and ledger events, consents
and disclosures (a legal record). What goes: every attribute (drug use, sex work,
criminal history, age, gender, household), places to stay away from, preferences,
languages and avoided programs; the location is coarsened to about a kilometre.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from matcher.store import tables as t


def deidentify_inactive(session: Session, now: datetime, days: int) -> int:
    """De-identify participants inactive and unchanged for ``days``; returns how many."""
    cutoff = now - timedelta(days=days)
    rows = session.exec(
        select(t.Participant).where(
            col(t.Participant.active).is_(False),
            t.Participant.updated_at < cutoff,
            col(t.Participant.deidentified_at).is_(None),
        )
    ).all()
    for row in rows:
        row.attributes = {}
        row.stay_away = []
        row.prefers = []
        row.languages = []
        row.avoid_programs = []
        row.waitlist_positions = []
        row.max_distance_km = None
        row.lat = round(row.lat, 2)
        row.lon = round(row.lon, 2)
        row.deidentified_at = now
        session.add(row)
        for need in session.exec(select(t.PlanNeed).where(t.PlanNeed.participant_id == row.id)):
            need.preferred_programs = []
            session.add(need)
    return len(rows)
