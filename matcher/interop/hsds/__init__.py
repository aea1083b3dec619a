"""Open Referral HSDS 3.1: import a feed into the store, the LEAD profile, export.

- ``read``: JSON (service, list, page; file or directory) or the tabular datapackage,
  each record checked against the vendored schemas.
- ``mapping``: services -> programs (program id = HSDS service id), taxonomy terms ->
  service types, locations, eligibility, capacity.
- ``profile``: the LEAD extension (waitlist, barriers, LEAD-funded places) as
  ``attribute`` records.
- ``load`` / ``importer``: idempotent writes; capacity only through the ledger.
- ``export``: the store as HSDS records, a datapackage, and the read API's objects.

``docs/hsds.md`` describes the mapping and how each problem in a feed is handled.
"""

from matcher.interop.hsds.importer import import_hsds
from matcher.interop.hsds.problems import HsdsUnreadable, Problem
from matcher.interop.summary import ImportSummary

__all__ = ["HsdsUnreadable", "ImportSummary", "Problem", "import_hsds"]
