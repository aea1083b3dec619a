"""``matcher import-hsds`` and ``matcher export-hsds``: Open Referral HSDS 3.1 in and out.

Import is one transaction: the summary and every problem (file, row or JSON path,
field, rule) go to stderr; input that is not an HSDS feed exits with code 2 and
nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.common import DatabaseUrl, TaxonomyMap, say, store_engine, taxonomy_with_site_map


def import_hsds(
    path: Annotated[
        Path, typer.Argument(help="HSDS JSON file, a directory of them, or a datapackage.")
    ],
    stale_days: Annotated[
        float, typer.Option(min=0, help="Ignore capacity last updated longer ago than this.")
    ] = 30.0,
    taxonomy_map: TaxonomyMap = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import an HSDS feed: organisations, services (as programs), locations,
    eligibility, taxonomy terms and capacity. Re-importing the same feed changes nothing.
    Services whose terms map to no service type are kept with their terms, never
    matched, and counted. Exits 0 when everything came in, 1 when some services were
    skipped, 2 when the feed cannot be read (nothing is written)."""
    from matcher.interop.geocode import GeocoderSettingsInvalid, default_locator
    from matcher.interop.hsds import HsdsUnreadable
    from matcher.interop.hsds import import_hsds as run
    from matcher.store.engine import session_scope, upgrade

    terms = taxonomy_with_site_map(taxonomy_map)
    try:
        locator = default_locator()
    except GeocoderSettingsInvalid as error:
        say(f"geocoder: {error}")
        raise typer.Exit(2) from None
    engine = store_engine(database_url)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            report = run(
                session,
                path,
                datetime.now(UTC),
                locator=locator,
                terms=terms,
                stale_after=timedelta(days=stale_days),
            )
    except HsdsUnreadable as error:
        say(f"import-hsds: {error} ({error.rule}); nothing was imported")
        raise typer.Exit(2) from None
    for problem in report.problems:
        say(f"  {problem}")
    for service_id, why in sorted(report.skipped.items()):
        say(f"skipped {service_id}: {why}")
    for program_id in report.unlocated:
        say(f"unlocated {program_id}: kept, not matched until located")
    if report.not_read:
        say(f"tables not read: {', '.join(sorted(report.not_read))}")
    for label, count in report.top_unmapped():
        say(f"unmapped term ({count} program(s)): {label}")
    say(f"import-hsds ({report.format}, HSDS {report.version}): {report.summary()}")
    raise typer.Exit(report.exit_code())


def export_hsds(
    directory: Annotated[Path, typer.Argument(help="Write datapackage.json and CSVs here.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Write the store's programs, now, as an HSDS 3.1 tabular datapackage with the LEAD
    profile's attributes (waitlist, barriers, LEAD-funded places)."""
    from matcher.interop.hsds.export import write_datapackage
    from matcher.store.engine import session_scope

    with session_scope(store_engine(database_url), read_only=True) as session:
        counts = write_datapackage(session, datetime.now(UTC), directory)
    say(
        f"export-hsds: wrote {directory}: "
        + ", ".join(f"{n} {table}" for table, n in counts.items() if n)
    )
