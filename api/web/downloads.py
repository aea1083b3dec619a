"""CSV downloads from the pages: cells a spreadsheet opens as data, never as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from fastapi.responses import StreamingResponse


def cell(value: object) -> object:
    """A CSV cell: times in ISO 8601, and text a spreadsheet would run as a formula
    (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) quoted."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The rows as CSV text, in pieces of about 64 kB."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    for row in rows:
        out.writerow(cell(v) for v in row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_download(filename: str, rows: Iterable[Sequence[object]]) -> StreamingResponse:
    """A CSV attachment named ``filename`` (never cached: it may hold what only this
    account may see)."""
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
