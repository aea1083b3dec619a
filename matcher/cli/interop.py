"""Commands that read other systems' vocabularies and exports: ``taxonomy`` (the shipped
service taxonomy and its map to service types) and ``import-hmis`` (facilities and bed
counts from a HUD HMIS CSV export). Bad input exits with code 2 and the problem, naming
the file, row and field, on stderr."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.cli.common import DatabaseUrl, TaxonomyMap, say, store_engine, taxonomy_with_site_map
from matcher.cli.common import taxonomy as loaded
from matcher.interop.taxonomy import Taxonomy, Term


def _term_json(tax: Taxonomy, term: Term) -> dict[str, Any]:
    return {
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "parent_id": term.parent_id,
        "taxonomy": term.taxonomy,
        "facet": term.facet,
        "service_types": tax.service_types_for_term(term.id),
    }


def _tree(tax: Taxonomy, facet: str) -> list[str]:
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for term in tax.children(parent):
            if term.facet != facet:
                continue
            mapped = tax.service_types_for_term(term.id)
            suffix = f"  -> {', '.join(mapped)}" if mapped else ""
            mark = " [lead]" if term.taxonomy == "lead-extension" else ""
            lines.append(f"{'  ' * depth}{term.id:<8} {term.name}{mark}{suffix}")
            walk(term.id, depth + 1)

    walk(None, 0)
    return lines


def taxonomy(
    ctx: typer.Context,
    service_type: Annotated[
        str | None, typer.Option("--service-type", help="Show the terms this service type maps to.")
    ] = None,
    term: Annotated[
        str | None,
        typer.Option("--term", help="Show the service types a term (id or name) means."),
    ] = None,
    situations: Annotated[
        bool, typer.Option("--situations", help="List the human situations, not the services.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a tree.")] = False,
) -> None:
    """List the service taxonomy (Open Eligibility plus the LEAD extension, marked [lead])
    as a tree, each term with the service types it means; ``unmapped`` and ``remap``
    look at the terms of the programs in the store."""
    if ctx.invoked_subcommand is not None:
        return
    tax = loaded()
    for note in tax.notes:
        say(f"note: {note}")
    if service_type is not None:
        if service_type not in tax.service_types:
            say(f"--service-type: unknown service type {service_type!r} (data/service_types.csv)")
            raise typer.Exit(2)
        chosen = tax.terms_for_service_type(service_type)
        if as_json:
            typer.echo(json.dumps([_term_json(tax, t) for t in chosen], indent=2))
            return
        for t in chosen:
            path = " > ".join(a.name for a in reversed(tax.ancestors(t.id)))
            typer.echo(f"{t.id:<8} {t.name}  ({t.taxonomy}{': ' + path if path else ''})")
        return
    if term is not None:
        found = tax.term(term)
        if found is None:
            say(f"--term: no term with id or name {term!r}")
            raise typer.Exit(2)
        codes = tax.service_types_for_term(term)
        if as_json:
            typer.echo(json.dumps({**_term_json(tax, found), "service_types": codes}, indent=2))
            return
        typer.echo(f"{found.id} {found.name}: {', '.join(codes) or 'no service type'}")
        return
    facet = "situation" if situations else "service"
    if as_json:
        rows = [_term_json(tax, t) for t in tax.terms if t.facet == facet]
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo("\n".join(_tree(tax, facet)))


def taxonomy_unmapped(
    top: Annotated[int, typer.Option(min=1, help="How many terms to list.")] = 25,
    database_url: DatabaseUrl = None,
) -> None:
    """List the taxonomy terms of stored programs that map to no service type, most
    frequent first (such programs are kept but never matched)."""
    from matcher.interop.taxonomy_store import unmapped_terms
    from matcher.store.engine import session_scope

    with session_scope(store_engine(database_url), read_only=True) as session:
        programs, terms = unmapped_terms(session)
    for label, count in terms[:top]:
        typer.echo(f"{count:>6}  {label}")
    say(f"taxonomy unmapped: {programs} program(s) without a service type, {len(terms)} term(s)")


def taxonomy_remap(
    taxonomy_map: TaxonomyMap = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Map the stored programs' taxonomy terms again with the current crosswalk (and
    ``--taxonomy-map``), without re-importing: changed programs are listed."""
    from matcher.interop.taxonomy_store import remap
    from matcher.store.engine import session_scope, upgrade

    tax = taxonomy_with_site_map(taxonomy_map)
    engine = store_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        result = remap(session, tax)
    for program_id, (before, after) in sorted(result.changed.items()):
        say(f"{program_id}: {', '.join(before) or '(none)'} -> {', '.join(after) or '(none)'}")
    say(
        f"taxonomy remap: {len(result.changed)} program(s) changed, "
        f"{len(result.unmapped)} without a service type"
    )


def import_hmis(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder of the HMIS CSV export (Client.csv, if there, is never read).",
            file_okay=False,
        ),
    ],
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Count open beds on this day (default: the last day of the export period); "
            "the report is dated then.",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import facilities and open beds from a HUD HMIS CSV export, in one transaction:
    one program per project, household type and dedicated population, capacity
    reported through the ledger. Importing the same export again changes nothing.
    Exits 0 when every project came in, 1 when some were skipped (listed with why),
    2 when the export cannot be read (nothing is written)."""
    from matcher.interop.geocode import GeocoderSettingsInvalid, default_locator
    from matcher.interop.hmis import HmisInvalid, read_export
    from matcher.interop.hmis_store import import_export
    from matcher.store.engine import session_scope, upgrade

    try:
        locator = default_locator()
        export = read_export(directory, None if as_of is None else as_of.date())
    except (HmisInvalid, GeocoderSettingsInvalid) as error:
        say(f"import-hmis: {error}")
        raise typer.Exit(2) from None
    at = datetime.combine(export.day, time.min, UTC)
    engine = store_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        summary = import_export(session, export, locator=locator, at=at)
    if export.info is not None:
        info = export.info
        say(f"export {info.export_id}: FY{info.csv_version} format, {info.start} to {info.end}")
    for problem in summary.problems:
        say(str(problem))
    for program_id in summary.unlocated:
        say(f"unlocated (kept, not matched until it has a location): {program_id}")
    for program_id in summary.fallback:
        say(f"placed at its CoC's area (address could not be placed): {program_id}")
    for program_id in summary.capacity_unknown:
        say(f"capacity unknown (no bed count to report, never matched to a place): {program_id}")
    for program_id in summary.stale:
        say(f"left to a newer capacity report: {program_id}")
    say(f"import-hmis: {summary.summary()} (open beds on {export.day})")
    raise typer.Exit(summary.exit_code())
