"""What several command groups share: option bounds that keep every number inside
what the engine computes with (checked before any work starts), the database option,
reading a scenario, writing an answer, and the exit code 2 with the problem on stderr.

Only group modules and the app that assembles them import this one; it imports none
of them.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from matcher.errors import ScenarioInvalid
from matcher.inputs import InputInvalid, write_atomic
from matcher.scenario import MAX_AMOUNT, Scenario, load_scenario
from matcher.settings import InsecureSettings, get_settings
from matcher.store.crypto import KeysMissing

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from matcher.interop.taxonomy import Taxonomy
    from matcher.service.audit import Entry

MAX_SECONDS = 86_400.0
"""The longest solver time limit accepted (a day)."""


def finite(value: float | None) -> float | None:
    """Refuse NaN for a number option (click's ranges let it through)."""
    if value is not None and math.isnan(value):
        raise typer.BadParameter("must be a number, not NaN")
    return value


def money(help: str, *, least: float = 0, argument: bool = False) -> Any:
    """A dollar amount's option (or ``argument``): from ``least`` to the largest amount
    the store holds, never NaN; the one rule for every command that takes money."""
    if argument:
        return typer.Argument(min=least, max=MAX_AMOUNT, callback=finite, help=help)
    return typer.Option(min=least, max=MAX_AMOUNT, callback=finite, help=help)


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: MATCHER_DATABASE_URL or sqlite:///matcher.db).",
    ),
]

LiveOrFile = Annotated[
    str | None,
    typer.Argument(
        help="Scenario JSON file, or - for stdin (default: the live store, --database-url).",
        show_default=False,
    ),
]

TaxonomyMap = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy-map",
        exists=True,
        dir_okay=False,
        help="A site's own crosswalk (CSV: term,service_type), applied before the shipped one.",
    ),
]


def say(message: str) -> None:
    """Progress, summaries and problems go to stderr; stdout carries only the answer."""
    typer.echo(message, err=True)


class Commands(TyperGroup):
    """The command line's commands: a data key missing (none configured, or none that
    opens the store's rows) or a setting unsafe outside development ends any of them
    with exit 2 and the message naming the setting and what to do, instead of a
    traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click context: its type is private
        """Run the command, turning ``KeysMissing`` and ``InsecureSettings`` into exit 2."""
        try:
            return super().invoke(ctx)
        except (KeysMissing, InsecureSettings) as error:
            say(str(error))
            raise typer.Exit(2) from None


def database_url(given: str | None) -> str:
    """The database a store command works on: ``--database-url`` or the settings'."""
    return given or get_settings().database_url


def store_engine(given: str | None) -> Engine:
    """An engine on the store, or exit 2 naming the option (a malformed URL, no driver)."""
    from matcher.store.engine import make_engine

    try:
        return make_engine(database_url(given))
    except (KeysMissing, InsecureSettings):  # not the URL's fault: said by ``Commands``
        raise
    except Exception as error:  # a malformed URL or a missing driver
        say(f"--database-url: {error}")
        raise typer.Exit(2) from None


def masked(url: str) -> str:
    """A database URL fit to print: any password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: print only its scheme
        return url.split(":", 1)[0] + ":..."


def listen_url(host: str, port: int) -> str:
    """The URL a server listening on ``host``:``port`` is reached at."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def live_or_file(source: str | None, given_url: str | None) -> Scenario:
    """The scenario a funder's command reads: the file ``source`` when given, else the
    live store now (``--database-url`` or the configured database), as the funders'
    pages read it. An empty or unmigrated store exits 2 saying what to do."""
    if source is not None:
        if given_url is not None:
            say("--database-url: give a scenario file or a database, not both")
            raise typer.Exit(2)
        return load(source)
    from matcher.service.funding import live_scenario
    from matcher.store.engine import session_scope

    engine = open_store(given_url, file_too=True)
    where = masked(database_url(given_url))
    with session_scope(engine, read_only=True) as session:
        scenario = live_scenario(session, datetime.now(UTC))
    if not scenario.programs:
        say(f"--database-url: the store at {where} holds no program; or give a scenario file")
        raise typer.Exit(2)
    say(f"reading the live store at {where}")
    return scenario


def open_store(given_url: str | None, *, file_too: bool = False) -> Engine:
    """An engine on an existing, migrated store, or exit 2 saying what to do (``file_too``:
    the command also reads a scenario file instead)."""
    from matcher.store.engine import current_revision, head_revision

    url = database_url(given_url)
    where = masked(url)
    if _missing_sqlite_file(url):
        instead = "a scenario file or a database" if file_too else "an existing database"
        say(f"--database-url: no database at {where}; give {instead}")
        raise typer.Exit(2)
    engine = store_engine(given_url)
    if current_revision(engine) != head_revision():
        say(
            f"--database-url: the store at {where} is not migrated (run `matcher db upgrade`)"
            + ("; or give a scenario file" if file_too else "")
        )
        raise typer.Exit(2)
    return engine


def _missing_sqlite_file(url: str) -> bool:
    """A SQLite URL naming a file that does not exist (opening it would create it)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return False
    name = parsed.database or ""
    in_memory = name in ("", ":memory:") or name.startswith("file:")
    return parsed.get_backend_name() == "sqlite" and not in_memory and not Path(name).exists()


def load(source: str) -> Scenario:
    """Read and check a scenario file (or ``-``), or exit 2 listing every problem."""
    try:
        return load_scenario(source)
    except ScenarioInvalid as error:
        say(f"invalid scenario ({len(error.issues)} problem(s)):")
        for issue in error.issues:
            say(f"  {issue}")
        raise typer.Exit(2) from None
    except OSError as error:
        say(f"cannot read {source}: {error.strerror or error}")
        raise typer.Exit(2) from None


def refuse(error: InputInvalid) -> typer.Exit:
    """Say what is wrong with an input and give the exit to raise (code 2)."""
    say(str(error))
    return typer.Exit(2)


def write_text(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` whole or not at all (exit 2 on failure,
    leaving no empty or partial file)."""
    try:
        if output is None:
            text.encode("utf-8")
            sys.stdout.write(text)
        else:
            write_atomic(output, text)
    except UnicodeEncodeError:
        fault = InputInvalid("output", "lone_surrogate", "would hold invalid Unicode")
        raise refuse(fault) from None
    except InputInvalid as error:
        raise refuse(error) from None
    except OSError as error:
        say(f"cannot write {output}: {error.strerror or error}")
        raise typer.Exit(2) from None


def json_text(data: dict[str, Any], indent: int | None = None) -> str:
    """``data`` as one JSON document, compact unless ``indent``, non-ASCII kept as is."""
    # Without indentation the standard library's C encoder writes large answers ~10x faster.
    return json.dumps(data, indent=indent, ensure_ascii=False)


def write_json(data: dict[str, Any], output: Path | None, indent: int | None = None) -> None:
    """Write ``data`` as one JSON document (compact unless ``indent``)."""
    write_text(json_text(data, indent) + "\n", output)


def taxonomy() -> Taxonomy:
    """The shipped service taxonomy, or exit 2 saying why it cannot be read."""
    from matcher.interop.taxonomy import TaxonomyInvalid, load_taxonomy

    try:
        return load_taxonomy()
    except TaxonomyInvalid as error:
        say(f"taxonomy: {error}")
        raise typer.Exit(2) from None


def taxonomy_with_site_map(site_map: Path | None) -> Taxonomy:
    """The shipped taxonomy with the site's crosswalk, or exit 2 naming the bad row."""
    from matcher.interop.taxonomy import TaxonomyInvalid

    tax = taxonomy()
    if site_map is None:
        return tax
    try:
        return tax.with_site_map(site_map)
    except TaxonomyInvalid as error:
        say(f"--taxonomy-map: {error}")
        raise typer.Exit(2) from None


def operator() -> str:
    """Who runs the command: the operating system's user name."""
    import getpass

    try:
        return getpass.getuser()[:200]
    except (KeyError, OSError):
        return "unknown"


def run_use_case(database_url: str | None, use_case, missing: str = ""):  # type: ignore[no-untyped-def]
    """Run a use case in one transaction; a use case that names itself for the audit
    log (``audit.note``) is recorded in the same transaction, by the ``cli`` actor.
    A refusal exits 2 naming the option; ``missing`` is added when something named
    does not exist (what to do about it)."""
    from matcher.service import audit
    from matcher.service.errors import NotFound, ServiceError
    from matcher.store.engine import session_scope

    try:
        with session_scope(store_engine(database_url)) as session:
            result = use_case(session)
            noted = audit.noted(session)
            if noted is not None:
                audit.record(session, cli_entry(noted))
            return result
    except ServiceError as error:
        option = {"subject_id": "subject", "to_username": "to"}.get(
            error.field or "", error.field or ""
        )
        where = f"--{option.replace('_', '-')}: " if option else ""
        extra = missing if isinstance(error, NotFound) else ""
        typer.echo(f"{where}{error.message}{extra}", err=True)
        raise typer.Exit(2) from None


def cli_entry(noted: dict[str, Any]) -> Entry:
    from matcher.service import audit

    return audit.Entry(
        at=datetime.now(UTC),
        actor="cli",
        role="cli",
        action=str(noted["action"]),
        object_type="collection",
        object_id=None,
        outcome="allowed",
        status=0,
        username=operator(),
        route="cli",
        participant_id=noted.get("participant_id"),
        program_id=noted.get("program_id"),
        referral_id=noted.get("referral_id"),
    )
