"""The audit log's filters: account name, action or family of actions, object, dates
and pages, newest first, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from matcher.service import audit
from matcher.store.engine import session_scope
from tests.builders import make_audit_entry

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def make_entry(minute: int, **fields: Any) -> audit.Entry:
    return make_audit_entry(NOW + timedelta(minutes=minute), **fields)


def seed(engine: Engine) -> None:
    with session_scope(engine) as s:
        audit.record_many(
            s,
            [
                make_entry(0),
                make_entry(1, username="pat", action="referral.enrol", program_id="p-9"),
                make_entry(2, action="referral_x.confirm", object_id="r-2"),
                make_entry(60 * 24, action="capacity.report", object_id="p-9"),
                make_entry(60 * 48, username="pat", action="referral.decline", object_id="r-3"),
            ],
        )


def test_filters_combine_and_read_newest_first(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as s:
        mine = audit.query(s, username="ana")
        family = audit.query(s, action="referral")
        one = audit.query(s, action="referral.enrol")
        about = audit.query(s, object_id="p-9")
        day = audit.query(s, since=NOW + timedelta(hours=1), until=NOW + timedelta(days=2))
        page = audit.query(s, limit=2, offset=1)
        known = audit.actions(s)
    assert [e.at for e in mine] == sorted((e.at for e in mine), reverse=True)
    assert {e.username for e in mine} == {"ana"}
    assert len(mine) == 3
    # a family takes its own actions, not one that only starts with the same letters
    assert [e.action for e in family] == ["referral.decline", "referral.enrol", "referral.confirm"]
    assert [e.action for e in one] == ["referral.enrol"]
    assert [e.action for e in about] == ["capacity.report", "referral.enrol"]
    assert [e.action for e in day] == ["capacity.report"]
    assert [e.action for e in page] == ["capacity.report", "referral_x.confirm"]
    assert known == sorted(
        {
            "referral.confirm",
            "referral.enrol",
            "referral_x.confirm",
            "capacity.report",
            "referral.decline",
        }
    )


def test_a_wildcard_in_the_action_filter_is_taken_literally(engine: Engine) -> None:
    seed(engine)
    with session_scope(engine) as s:
        assert audit.query(s, action="referral%") == []
        assert audit.query(s, action="referral_x") != []
        assert audit.query(s, action="referral.") == []
