"""An uploaded file as a stream of rows (CSV, XLSX, GeoJSON), read a piece at a time: never the whole file.

Each row is (row_number, {column: text}) with the columns' names normalised (`names`), so a header written
" Código Delito " or "codigo_delito" is one column. Row numbers are the file's: the header is row 1 of a CSV
or sheet, the first feature is row 1 of a GeoJSON file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

FORMATS = ("csv", "xlsx", "geojson")


class ByteStream(Protocol):
    """What the readers need of an upload: read(n) and its lines (an open file, vigia.datasets.ingestion's
    hashing reader)."""

    def read(self, n: int = -1, /) -> bytes: ...

    def __iter__(self) -> Iterator[bytes]: ...


Row = tuple[int, dict[str, str]]


class UnreadableFile(ValueError):
    """The file is not the format its manifest says, or has no header: the whole dataset is refused."""

    def __init__(self, why: str, *, row: int = 0, column: str = "") -> None:
        super().__init__(why)
        self.why, self.row, self.column = why, row, column


def name(raw: object) -> str:
    """A column's name as readers know it: no accents, lower case, words joined by "_" (" Año " → "ano")."""
    text = unicodedata.normalize("NFKD", str(raw or "")).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def rows(stream: ByteStream, file_format: str) -> Iterator[Row]:
    if file_format == "csv":
        return csv_rows(stream)
    if file_format == "xlsx":
        return xlsx_rows(stream)
    if file_format == "geojson":
        return geojson_rows(stream)
    raise UnreadableFile(f"the format {file_format!r} is not one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------- CSV
def _lines(stream: ByteStream) -> Iterator[str]:
    """The file's lines as text: UTF-8 (its byte-order mark dropped), a line that is not UTF-8 read as
    Windows-1252 (open data exported from a spreadsheet on Windows often is)."""
    first = True
    for raw in stream:
        if first:
            raw = raw.removeprefix(codecs.BOM_UTF8)
            first = False
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")


def _delimiter(header: str) -> str:
    """`;` or `,`, whichever splits the header more (a `;` file's names never hold a `;`)."""
    return ";" if header.count(";") > header.count(",") else ","


def csv_rows(stream: ByteStream) -> Iterator[Row]:
    lines = _lines(stream)
    header_line = next(lines, None)
    while header_line is not None and not header_line.strip():
        header_line = next(lines, None)
    if header_line is None:
        raise UnreadableFile("the file is empty: no header row", row=1)
    delimiter = _delimiter(header_line)
    header = [name(h) for h in next(csv.reader([header_line], delimiter=delimiter))]
    _check_header(header)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for cells in reader:
            row_number = reader.line_num + 1  # the header was line 1
            if not any(c.strip() for c in cells):
                continue  # a blank line (a trailing one is common) is no row
            yield row_number, _zip(header, cells)
    except csv.Error as error:
        raise UnreadableFile(f"not CSV past this row: {error}", row=reader.line_num + 1) from None


def _check_header(header: list[str]) -> None:
    if not any(header):
        raise UnreadableFile("the header row names no column", row=1)
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise UnreadableFile(f"the column {column!r} is named twice in the header", row=1, column=column)
        seen.add(column)


def _zip(header: list[str], cells: Iterable[Any]) -> dict[str, str]:
    values = ["" if c is None else str(c) for c in cells]
    # a short row (trailing empty cells left out, as spreadsheets export them) has its columns, empty
    row = {h: values[i] if i < len(values) else "" for i, h in enumerate(header) if h}
    if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
        row["#extra"] = "; ".join(v for v in values[len(header) :] if v.strip())
    return row


# ---------------------------------------------------------------- XLSX
def xlsx_rows(stream: ByteStream) -> Iterator[Row]:
    """The first sheet, read with openpyxl's read-only reader (it parses the sheet's XML as it goes)."""
    import shutil
    import tempfile
    import zipfile

    try:
        from openpyxl import load_workbook  # the lake zip carries it (requirements-lake.txt)
    except ImportError:
        raise UnreadableFile(
            "XLSX is not read by this deployment: openpyxl is not in its zip", row=1
        ) from None

    # A workbook is a zip, read from its end: it is copied to local disk first (memory holds 1 MB of it).
    local = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 (closed below, or by the GC)
    shutil.copyfileobj(stream, local, 256 * 1024)
    local.seek(0)
    try:
        book = load_workbook(local, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        local.close()
        raise UnreadableFile(f"not an XLSX workbook ({error})", row=1) from None
    try:
        sheet = book.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        header_cells = next(cells, None)
        if header_cells is None:
            raise UnreadableFile("the sheet is empty: no header row", row=1)
        header = [name(h) for h in header_cells]
        _check_header(header)
        for index, values in enumerate(cells, start=2):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            yield index, _zip(header, (_cell_text(v) for v in values))
    finally:
        book.close()
        local.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number (50021.0) is the code
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    return str(value)


# ---------------------------------------------------------------- GeoJSON
_CHUNK = 64 * 1024
MAX_FEATURE_CHARS = 8_000_000  # a school's point is a few hundred: a larger feature is not a row of the file


def geojson_rows(stream: ByteStream) -> Iterator[Row]:
    """A FeatureCollection's features one at a time: each feature's properties, and `lat`/`lon` from a
    Point geometry. Only the text of the feature being read is held (plus one chunk)."""
    decoder = json.JSONDecoder()
    text = _Text(stream)
    if not text.seek_to('"features"'):
        raise UnreadableFile("not a GeoJSON FeatureCollection: no features", row=1)
    if not text.skip_to("["):
        raise UnreadableFile("not a GeoJSON FeatureCollection: features is not a list", row=1)
    number = 0
    while True:
        char = text.next_significant()
        if char is None:
            raise UnreadableFile("the file ends inside its features", row=number + 1)
        if char == "]":
            return
        if char == ",":
            text.advance(1)
            continue
        number += 1
        feature = text.decode_value(decoder, number)
        yield number, _feature_row(feature)


def _feature_row(feature: Any) -> dict[str, str]:
    if not isinstance(feature, dict):
        return {"#invalid": "a feature is not an object"}
    properties = feature.get("properties") or {}
    row = (
        {name(k): "" if v is None else str(v) for k, v in properties.items()}
        if isinstance(properties, dict)
        else {}
    )
    geometry = feature.get("geometry") or {}
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates") or []
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            row["lon"], row["lat"] = str(coordinates[0]), str(coordinates[1])  # GeoJSON is lon, lat
    return row


class _Text:
    """A window on the file's text that grows by chunks and forgets what was read."""

    def __init__(self, stream: ByteStream) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._stream, self._buffer, self._pos, self._ended = stream, "", 0, False

    def _more(self) -> bool:
        if self._ended:
            return False
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            self._ended = True
            self._buffer = self._buffer[self._pos :] + self._decoder.decode(b"", final=True)
            self._pos = 0
            return False
        self._buffer = self._buffer[self._pos :] + self._decoder.decode(chunk)
        self._pos = 0
        if len(self._buffer) > MAX_FEATURE_CHARS:  # one feature (or what is before the features) held whole
            raise UnreadableFile(f"a feature runs past {MAX_FEATURE_CHARS // 1_000_000} million characters")
        return True

    def seek_to(self, marker: str) -> bool:
        while True:
            found = self._buffer.find(marker, self._pos)
            if found >= 0:
                self._pos = found + len(marker)
                return True
            self._pos = max(self._pos, len(self._buffer) - len(marker))
            if not self._more():
                return False

    def skip_to(self, char: str) -> bool:
        significant = self.next_significant()
        if significant == ":":
            self.advance(1)
            significant = self.next_significant()
        if significant != char:
            return False
        self.advance(1)
        return True

    def next_significant(self) -> str | None:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos].isspace():
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return None

    def advance(self, n: int) -> None:
        self._pos += n

    def decode_value(self, decoder: json.JSONDecoder, number: int) -> Any:
        while True:
            try:
                value, end = decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                if self._more():
                    continue  # the value runs past the window: read on
                raise UnreadableFile(f"feature {number} is not JSON ({error.msg})", row=number) from None
            self._pos = end
            return value
