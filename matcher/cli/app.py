"""The ``matcher`` command line assembled from its command groups.

Bad input exits with code 2 and every problem on stderr, each naming its field,
option or JSON path. Progress and summaries go to stderr so that stdout carries
only the answer and can be piped.

Imports run one way: this module imports the group modules, each group module
imports only ``matcher.cli.common`` (never another group, never this module). A data
key missing ends any command with exit 2 and where keys come from (``Commands``).
"""

from __future__ import annotations

import typer

from matcher.cli import accounts, core, funding, hsds, interop, simulate, store, webhooks
from matcher.cli.common import Commands

app = typer.Typer(
    name="matcher",
    help="Match LEAD participants' needs to unused or fund-paid places, never bumping anyone "
    "down a waitlist.",
    no_args_is_help=True,
    add_completion=False,
    cls=Commands,
    # A crash's traceback would otherwise print each frame's variables: participants.
    pretty_exceptions_show_locals=False,
)

for command in (core.solve, core.generate, core.explain, core.validate, core.demo, core.report):
    app.command()(command)

app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.keys_app, name="keys")
app.add_typer(accounts.teams_app, name="teams")
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.command("audit")(accounts.audit)
app.command("rotate-keys")(accounts.rotate_keys)
app.command("retention")(accounts.retention)

app.command("plan-purchases")(funding.plan_purchases)
app.command("impact")(funding.impact)
app.add_typer(funding.fund_app, name="fund")
app.command("simulate")(simulate.simulate)

app.add_typer(store.db_app, name="db")
app.command("export-scenario")(store.export_scenario)
app.command("import-scenario")(store.import_scenario)
app.command("serve")(store.serve)
app.command("worker")(store.worker)

app.command("import-hsds")(hsds.import_hsds)
app.command("export-hsds")(hsds.export_hsds)
taxonomy_app = typer.Typer(no_args_is_help=False)
taxonomy_app.callback(invoke_without_command=True)(interop.taxonomy)
taxonomy_app.command("unmapped")(interop.taxonomy_unmapped)
taxonomy_app.command("remap")(interop.taxonomy_remap)
app.add_typer(taxonomy_app, name="taxonomy")
app.command("import-hmis")(interop.import_hmis)


def main() -> None:
    """Entry point for ``python -m matcher``."""
    app()
