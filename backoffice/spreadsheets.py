"""A streamed CSV or XLSX of rows: the one place the back office writes a spreadsheet.

Rows come from an iterator (a selector reading its query in chunks), so neither format
holds the whole export in memory:

- CSV is written a line at a time into a ``StreamingHttpResponse``: at most one chunk
  of database rows is in memory while it is sent.
- XLSX is written by openpyxl in write-only mode (rows go to a worksheet file on disk as
  they are appended) and zipped into an anonymous temporary file, which a
  ``FileResponse`` sends in blocks and which disappears when the response is closed.

Every text cell that a spreadsheet would run as a formula is neutralised, in both formats.
"""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from marketplace.core.text import spreadsheet_safe

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """A cell value safe to open: text a spreadsheet would run as a formula gets a leading apostrophe;
    a moment becomes its UTC ISO text; numbers (amounts as Decimal, counts) and empty cells are left as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    return spreadsheet_safe(value)


class _Echo:
    """A file-like object whose write returns the line: csv.writer into a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_response(*, header: Sequence[str], rows: Iterable[Sequence], filename: str) -> StreamingHttpResponse:
    """``header`` then every row, neutralised, sent line by line as ``filename``."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([neutralise(cell) for cell in row]) for row in itertools.chain([header], rows))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(*, header: Sequence[str], rows: Iterable[Sequence], filename: str, sheet: str) -> FileResponse:
    """``header`` then every row, neutralised, in one worksheet named ``sheet``, sent from a temporary file."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])  # Excel's limit on a sheet's name
    worksheet.append(list(header))
    for row in rows:
        worksheet.append([_xlsx_cell(cell) for cell in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it (and the OS deletes it) when sent
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def _xlsx_cell(value):
    cell = neutralise(value)
    # XML cannot hold most control characters: openpyxl refuses them rather than write a broken file.
    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell
