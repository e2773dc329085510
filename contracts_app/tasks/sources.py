"""Reading exports as the ticketing tools write them: CSV or XLSX, into header and rows.

CSV comes as UTF-8 with or without a byte order mark, or as Windows-1252 when it is
not UTF-8 (the table says so, for the report); the delimiter is a comma or a
semicolon, whichever the header line uses. XLSX is read with openpyxl (which parses
its XML through defusedxml); before a cell is read, the sizes the archive declares are
added up, so a small compressed file cannot expand past ``MAX_XLSX_BYTES``, and reading
stops past ``MAX_ROWS``. Header names keep their case and repeats: Jira repeats a
column's name once per value of a multi-value field.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal

from contracts_app.errors import ValidationFailed

MAX_ROWS = 200_000
MAX_XLSX_BYTES = 200 * 1024 * 1024  # uncompressed, all parts of the archive together
MAX_XLSX_RATIO = 200  # uncompressed / compressed, per part: beyond it a part is a bomb
ZIP_MAGIC = b"PK\x03\x04"


@dataclasses.dataclass
class Table:
    """A file's header (names as written, repeats kept) and its rows with line numbers."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    kind: str  # "csv" or "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    notes: list[str] = dataclasses.field(default_factory=list)


def decode(raw: bytes) -> tuple[str, str, list[str]]:
    """The text of a CSV file, the encoding it was read in, and what the report says."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": ["The file is neither UTF-8 nor Windows-1252 text."]}
        ) from None
    return text, "cp1252", ["The file is not UTF-8; it was read as Windows-1252."]


def sniff_delimiter(text: str) -> str:
    """A semicolon when the header line has more of them than commas (GLPI), else a comma."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read_table(raw: bytes) -> Table:
    """The header and rows of an uploaded export, CSV or XLSX (told apart by content)."""
    if raw.startswith(ZIP_MAGIC):
        return _read_xlsx(raw)
    text, encoding, notes = decode(raw)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise ValidationFailed({"file": [f"The header row cannot be read: {exc}."]}) from None
    if not any(header):
        raise ValidationFailed({"file": ["The file is empty or has no header row."]})
    if delimiter == ";":
        notes.append("Semicolon-separated.")
    return Table(header, _csv_rows(reader), "csv", encoding, delimiter, notes)


class RowError(Exception):
    """A record the reader refuses; the import names its line and goes on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _csv_rows(reader: csv.reader) -> Iterator[tuple[int, list[str]]]:  # type: ignore[valid-type]
    records = iter(reader)
    count = 0
    while True:
        start = reader.line_num + 1  # type: ignore[attr-defined]
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = f"A field is longer than {csv.field_size_limit():,} characters."
            yield start, RowError(start, message)  # type: ignore[misc]
            continue
        if not any(cell.strip() for cell in record):
            continue
        count += 1
        if count > MAX_ROWS:
            yield start, RowError(start, f"More than {MAX_ROWS:,} rows; split the file.")  # type: ignore[misc]
            return
        yield start, record


def _check_archive(raw: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise ValidationFailed({"file": ["The file is neither CSV nor a readable XLSX."]}) from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_XLSX_BYTES or (info.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO):
            raise ValidationFailed(
                {
                    "file": [
                        "The workbook expands beyond what an export holds "
                        f"(at most {MAX_XLSX_BYTES // (1024 * 1024)} MiB uncompressed)."
                    ]
                }
            )
    if "xl/workbook.xml" not in archive.namelist():
        raise ValidationFailed({"file": ["The archive is not an XLSX workbook."]})
    return archive


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps numbers as binary floats: print the shortest text that reads back
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _read_xlsx(raw: bytes) -> Table:
    import openpyxl  # a heavy import, only for workbooks

    _check_archive(raw)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise ValidationFailed({"file": [f"The workbook cannot be read: {exc}."]}) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(v).strip() for v in next(rows)]
    except StopIteration:
        header = []
    while header and not header[-1]:
        header.pop()
    if not any(header):
        book.close()
        raise ValidationFailed({"file": ["The workbook's first sheet has no header row."]})

    def records() -> Iterator[tuple[int, list[str]]]:
        count = 0
        try:
            for line, values in enumerate(rows, start=2):
                cells = [_cell_text(v) for v in values]
                if not any(cell.strip() for cell in cells):
                    continue
                count += 1
                if count > MAX_ROWS:
                    yield line, RowError(line, f"More than {MAX_ROWS:,} rows; split the file.")  # type: ignore[misc]
                    return
                yield line, cells[: len(header)] + [""] * (len(header) - len(cells))
        finally:
            book.close()

    return Table(header, records(), "xlsx", "xlsx", ",", ["Read from the workbook's first sheet."])
