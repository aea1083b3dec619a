"""Generate an HSDS 1.x tabular datapackage the size of a county 211 feed, to time
``matcher import-hsds`` on (``docs/benchmarks.md``).

Run: ``python -m benchmarks.hsds_feed OUT_DIR [--services 4000] [--seed 1]``. The
package has the shape of a real 1.x export: organisations, services (a few inactive,
some with a blank status), locations with coordinates or only a street address or
only a ZIP code, physical addresses, AIRS-style taxonomy codes (a share of them
outside the shipped crosswalk, as in real feeds), eligibility, languages and phones.
Seeded: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

CODES = (
    "BH-1800.8500",
    "BH-1800.1500-100",
    "BH-8600",
    "BD-1800.2000",
    "BD-5000.8300",
    "RX-8450.8000",
    "RX-1700.1700",
    "RP-1400.8000-050",
    "FT-3200",
    "ND-1500",
    "DT-8800.9300",
    "BM-6500.1500",
    "LV-1600.2400",
    "BT-4500.4700",
    "TC-5500.4000",
)
ZIPS = ("98101", "98103", "98104", "98109", "98118", "98122", "98125", "98133", "98144")
LANGUAGES = ("English", "Spanish", "Vietnamese", "Somali", "Tagalog", "Chinese")


def _write(
    folder: Path, name: str, header: list[str], rows: list[dict[str, str]]
) -> dict[str, object]:
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    fields = [{"name": h, "type": "string"} for h in header]
    return {"name": name[:-4], "path": name, "format": "csv", "schema": {"fields": fields}}


def write_feed(folder: Path, services: int, seed: int = 1) -> None:
    """Write a ``services``-service HSDS 1.x package into ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    orgs = max(1, services // 4)
    tables: dict[str, list[dict[str, str]]] = {
        k: [] for k in ("org", "svc", "loc", "sal", "adr", "tax", "stax", "elig", "lang", "phone")
    }
    for o in range(orgs):
        tables["org"].append(
            {"id": f"o{o}", "name": f"Agency {o}", "url": f"https://a{o}.example.org"}
        )
    tables["tax"] = [{"id": c, "name": f"term {c}", "vocabulary": "AIRS"} for c in CODES]
    for s in range(services):
        org = f"o{s % orgs}"
        status = rng.choice(("active", "active", "active", "", "Active", "inactive"))
        tables["svc"].append(
            {
                "id": f"s{s}",
                "organization_id": org,
                "name": f"Service {s}",
                "status": status,
                "description": "generated",
            }
        )
        tables["loc"].append(
            {"id": f"l{s}", "organization_id": org, "name": f"Site {s}"}
            | (
                {
                    "latitude": f"{47.5 + rng.random() * 0.2:.5f}",
                    "longitude": f"{-122.4 + rng.random() * 0.2:.5f}",
                }
                if rng.random() < 0.5
                else {}
            )
        )
        tables["sal"].append({"id": f"sal{s}", "service_id": f"s{s}", "location_id": f"l{s}"})
        zip_only = rng.random() < 0.2
        tables["adr"].append(
            {
                "id": f"a{s}",
                "location_id": f"l{s}",
                "city": "" if zip_only else "Seattle",
                "state_province": "WA",
                "postal_code": rng.choice(ZIPS),
                "country": "US",
            }
            | ({} if zip_only else {"address_1": f"{s} Example Ave"})
        )
        for k, code in enumerate(rng.sample(CODES, rng.randint(1, 3))):
            tables["stax"].append({"id": f"st{s}-{k}", "service_id": f"s{s}", "taxonomy_id": code})
        if rng.random() < 0.3:
            tables["elig"].append({"id": f"e{s}", "service_id": f"s{s}", "eligibility": "adults"})
        for k, language in enumerate(rng.sample(LANGUAGES, rng.randint(1, 2))):
            tables["lang"].append({"id": f"g{s}-{k}", "service_id": f"s{s}", "language": language})
        tables["phone"].append({"id": f"p{s}", "service_id": f"s{s}", "number": "555-0100"})
    resources = [
        _write(
            folder,
            "organizations.csv",
            ["id", "name", "description", "email", "url"],
            tables["org"],
        ),
        _write(
            folder,
            "services.csv",
            ["id", "organization_id", "program_id", "name", "description", "status"],
            tables["svc"],
        ),
        _write(
            folder,
            "locations.csv",
            ["id", "organization_id", "name", "latitude", "longitude"],
            tables["loc"],
        ),
        _write(
            folder, "services_at_location.csv", ["id", "service_id", "location_id"], tables["sal"]
        ),
        _write(
            folder,
            "physical_addresses.csv",
            ["id", "location_id", "address_1", "city", "state_province", "postal_code", "country"],
            tables["adr"],
        ),
        _write(folder, "taxonomy.csv", ["id", "name", "parent_id", "vocabulary"], tables["tax"]),
        _write(folder, "service_taxonomy.csv", ["id", "service_id", "taxonomy_id"], tables["stax"]),
        _write(folder, "eligibility.csv", ["id", "service_id", "eligibility"], tables["elig"]),
        _write(
            folder, "languages.csv", ["id", "service_id", "location_id", "language"], tables["lang"]
        ),
        _write(folder, "phones.csv", ["id", "service_id", "number"], tables["phone"]),
    ]
    package = {
        "name": "generated-211-feed",
        "profile": "tabular-data-package",
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(json.dumps(package, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--services", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_feed(args.out, args.services, args.seed)


if __name__ == "__main__":
    main()
