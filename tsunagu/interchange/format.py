"""The interchange format v1 (DESIGN §3): columns, reading and writing the files.

Two CSV files (`cases.csv`, `events.csv`; UTF-8 with or without a BOM, or
Shift_JIS/cp932 as Excel on a Japanese desktop writes it; any line ends; a header
row; columns in any order; extra columns ignored) or one XLSX workbook with
sheets `cases` and `events`. Rows are streamed, never loaded whole.

Optional third file `assessments.csv` (sheet `assessments`): the risk
assessments of the cases, one row per assessment, without item answers or any
text (docs/risk.md).

Extension beyond DESIGN §3 (documented in the README): the personal columns
`victim_workplace`, `offender_address` and `offender_phone`, after the others,
so that an export with personal columns keeps every field of the first victim
and the offender's contact; and `extra_victims`, the case's further victims as
a JSON list of objects (sex and age; with personal columns also name, address,
phone and workplace), so that a case with several victims survives the round
trip.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tsunagu.core.spreadsheet import csv_escape, csv_unescape_row

CASE_COLUMNS: tuple[str, ...] = (
    "case_ref",
    "prefecture",
    "station",
    "opened_on",
    "relationship",
    "offender_sex",
    "offender_age",
    "offender_name",
    "victim_sex",
    "victim_age",
    "victim_name",
    "victim_address",
    "victim_phone",
    "victim_workplace",
    "offender_address",
    "offender_phone",
    "extra_victims",
)
CASE_REQUIRED: tuple[str, ...] = ("case_ref", "prefecture", "opened_on")
EVENT_COLUMNS: tuple[str, ...] = ("case_ref", "prefecture", "date", "type", "detail")
EVENT_REQUIRED: tuple[str, ...] = ("case_ref", "prefecture", "date", "type")
ASSESSMENT_COLUMNS: tuple[str, ...] = (
    "case_ref",
    "prefecture",
    "date",
    "instrument",
    "version",
    "level",
    "assessed_by_role",
)
ASSESSMENT_REQUIRED: tuple[str, ...] = ASSESSMENT_COLUMNS[:6]
# Encrypted at rest; exported only to those who may see them, when asked for.
PERSONAL_COLUMNS: tuple[str, ...] = (
    "offender_name",
    "victim_name",
    "victim_address",
    "victim_phone",
    "victim_workplace",
    "offender_address",
    "offender_phone",
)
PUBLIC_CASE_COLUMNS: tuple[str, ...] = tuple(c for c in CASE_COLUMNS if c not in PERSONAL_COLUMNS)

CASES_FILE = "cases.csv"
EVENTS_FILE = "events.csv"
ASSESSMENTS_FILE = "assessments.csv"
CASES_SHEET = "cases"
EVENTS_SHEET = "events"
ASSESSMENTS_SHEET = "assessments"

MAX_REF = 64
MAX_STATION = 100


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in the input: where it is and why.

    `reason` is an English msgid with %(name)s placeholders filled from `params`;
    `message` is it translated to the active language.
    """

    file: str
    line: int
    column: str
    reason: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.reason) % dict(self.params) if self.params else gettext(self.reason)

    def __str__(self) -> str:
        col = f" [{self.column}]" if self.column else ""
        text = self.reason % dict(self.params) if self.params else self.reason
        return f"{self.file}:{self.line}{col}: {text}"


class FormatError(ValueError):
    """The files cannot be read at all (missing file, sheet or required column)."""


# --- reading -------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM) if the whole file decodes as such, else cp932.

    Decoded incrementally, so a large file is never held in memory.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8-sig"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def count_lines(path: Path) -> int:
    """Approximate number of rows (for the progress bar)."""
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text the CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Table:
    """One table of the input (a CSV file or an XLSX sheet), read row by row.

    `rows()` yields (line number, list of cell texts) with the header's column
    positions in `index`; it can be called again for a second pass.
    """

    def __init__(
        self,
        name: str,
        path: Path,
        sheet: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.sheet = sheet
        self.encoding = encoding
        self.index: dict[str, int] = {}
        if sheet is None and self.encoding is None:
            self.encoding = detect_encoding(path)
        header = next(self._raw(), None)
        if header is None:
            raise FormatError(f"{name}: the file is empty (a header row is required)")
        for pos, col in enumerate(header[1]):
            col = col.strip().lstrip("\ufeff").lower()
            if col and col not in self.index:
                self.index[col] = pos

    def require(self, columns: Sequence[str]) -> None:
        missing = [c for c in columns if c not in self.index]
        if missing:
            raise FormatError(f"{self.name}: missing column(s) {', '.join(missing)}")

    def _raw(self) -> Iterator[tuple[int, list[str]]]:
        if self.sheet is not None:
            yield from _xlsx_rows(self.path, self.sheet)
            return
        assert self.encoding is not None
        with self.path.open(encoding=self.encoding, newline="") as fh:
            reader = csv.reader(fh)
            try:
                for row in reader:
                    yield reader.line_num, csv_unescape_row(row)
            except csv.Error as exc:
                raise FormatError(f"{self.name}: line {reader.line_num}: {exc}") from exc

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows (after the header), skipping wholly empty ones."""
        it = self._raw()
        next(it, None)
        for line, row in it:
            if any(cell.strip() for cell in row):
                yield line, row


# A workbook is refused before parsing when it would unpack to more than this, or
# when a part is compressed more than MAX_RATIO times (a "zip bomb"): real sheets
# of this format compress 5 to 20 times.
XLSX_MAX_UNCOMPRESSED = 4 * 1024**3
XLSX_MAX_RATIO = 100
XLSX_MAX_PARTS = 1000


def check_workbook(path: Path) -> None:
    """Refuse a workbook that is not a zip, or would unpack too large, before parsing."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FormatError("the workbook is not a valid .xlsx file") from exc
    if len(infos) > XLSX_MAX_PARTS:
        raise FormatError("the workbook has too many parts to be a spreadsheet")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > XLSX_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise FormatError(
                "the workbook is compressed more than any spreadsheet is (refused unread)"
            )
    if total > XLSX_MAX_UNCOMPRESSED:
        raise FormatError("the workbook would unpack to more than 4 GB (refused unread)")


def _open_workbook(path: Path) -> Any:
    """A workbook opened for reading, after `check_workbook`."""
    from openpyxl import load_workbook

    check_workbook(path)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any damage in the zip or its XML
        raise FormatError("the workbook cannot be read (damaged or not an .xlsx file)") from exc


def _xlsx_rows(path: Path, sheet: str) -> Iterator[tuple[int, list[str]]]:
    wb = _open_workbook(path)
    try:
        if sheet not in wb.sheetnames:
            raise FormatError(f"the workbook has no sheet named {sheet!r}")
        rows = wb[sheet].iter_rows(values_only=True)
        line = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception as exc:  # a truncated or malformed sheet
                raise FormatError(
                    f"sheet {sheet!r}: the workbook is damaged after row {line}"
                ) from exc
            line += 1
            yield line, [cell_text(v) for v in values]
    finally:
        wb.close()


def open_input(path: Path, encoding: str | None = None) -> tuple[Table, Table, list[Path]]:
    """The cases and events tables of a folder (two CSVs) or of one XLSX file."""
    if path.is_dir():
        cases_path, events_path = path / CASES_FILE, path / EVENTS_FILE
        for p in (cases_path, events_path):
            if not p.exists():
                raise FormatError(f"{p.name} not found in {path}")
        return (
            Table(CASES_FILE, cases_path, encoding=encoding),
            Table(EVENTS_FILE, events_path, encoding=encoding),
            [cases_path, events_path],
        )
    if path.suffix.lower() == ".xlsx":
        return (
            Table(CASES_SHEET, path, sheet=CASES_SHEET),
            Table(EVENTS_SHEET, path, sheet=EVENTS_SHEET),
            [path],
        )
    raise FormatError(f"{path}: give a folder with cases.csv and events.csv, or an .xlsx file")


def has_sheet(path: Path, sheet: str) -> bool:
    """Whether a workbook has a sheet of this name (checked as `Table` reads it)."""
    wb = _open_workbook(path)
    try:
        return sheet in wb.sheetnames
    finally:
        wb.close()


def open_assessments(path: Path, encoding: str | None = None) -> Table | None:
    """The optional assessments table of a folder (`assessments.csv`) or of a
    workbook (sheet `assessments`), or None when there is none."""
    if path.is_dir():
        found = path / ASSESSMENTS_FILE
        return Table(ASSESSMENTS_FILE, found, encoding=encoding) if found.exists() else None
    if path.suffix.lower() == ".xlsx" and has_sheet(path, ASSESSMENTS_SHEET):
        return Table(ASSESSMENTS_SHEET, path, sheet=ASSESSMENTS_SHEET)
    return None


def open_pair(
    cases_path: Path, events_path: Path, encoding: str | None = None
) -> tuple[Table, Table, list[Path]]:
    """Two CSV files given separately (an upload)."""
    return (
        Table(CASES_FILE, cases_path, encoding=encoding),
        Table(EVENTS_FILE, events_path, encoding=encoding),
        [cases_path, events_path],
    )


# --- parsing cells ------------------------------------------------------------------


def parse_date(text: str) -> dt.date | None:
    """An ISO date YYYY-MM-DD (strictly that shape), or None."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def normalise_prefecture(text: str) -> str:
    """ "13" stays "13"; "1" (Excel dropped the zero) becomes "01"."""
    text = text.strip()
    if text.isdigit() and len(text) == 1:
        return "0" + text
    return text


# --- writing -------------------------------------------------------------------------


class CsvSink:
    """A CSV file in UTF-8 with a BOM (so Excel on a Japanese desktop reads it).

    Cells that a spreadsheet would read as a formula are escaped (see
    `tsunagu.core.spreadsheet`); `Table` reverses it on import.
    """

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._fh: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\r\n")
        self._writer.writerow(columns)

    def write(self, row: Sequence[str]) -> None:
        self._writer.writerow([csv_escape(cell) for cell in row])

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.write(row)

    def close(self) -> None:
        self._fh.close()
