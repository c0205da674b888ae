"""Errors in a plan spreadsheet, each naming the sheet, row and column, in ja and en.

A staff member fixes a spreadsheet in a spreadsheet application, so every message
says where to look the way the application shows it (sheet name, row number,
column letter and header) and what belongs there.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Where:
    """A place in a spreadsheet: sheet name, 1-based row, 1-based column and its header."""

    sheet: str
    row: int | None = None
    column: int | None = None
    header: str | None = None
    header_en: str | None = None

    @property
    def column_letter(self) -> str | None:
        if not self.column:
            return None
        # openpyxl only here, when a column is named: importing it costs ~80 ms, and
        # every upload's sandbox (a fresh process) imports this module.
        from openpyxl.utils import get_column_letter

        return get_column_letter(self.column)

    def text(self, lang: str) -> str:
        parts = []
        if lang == "ja":
            parts.append(f"シート「{self.sheet}」")
            if self.row:
                parts.append(f"{self.row}行目")
            if self.column:
                header = f"（{self.header}）" if self.header else ""
                parts.append(f"{self.column_letter}列{header}")
            return " ".join(parts)
        parts.append(f"sheet {self.sheet!r}")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            name = self.header_en or self.header
            header = f" ({name})" if name else ""
            parts.append(f"column {self.column_letter}{header}")
        return ", ".join(parts)


@dataclass(frozen=True)
class CellError:
    """One problem at one place, said in Japanese and English."""

    where: Where
    ja: str
    en: str

    def message(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en

    def text(self, lang: str) -> str:
        separator = "：" if lang == "ja" else ": "
        return f"{self.where.text(lang)}{separator}{self.message(lang)}"

    def to_json(self) -> dict:
        return {
            "sheet": self.where.sheet,
            "row": self.where.row,
            "column": self.where.column_letter,
            "header": self.where.header,
            "message": {"ja": self.ja, "en": self.en},
        }


@dataclass
class TableError(Exception):
    """A spreadsheet that was refused, with every problem found in it."""

    errors: list[CellError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary("en"))

    def summary(self, lang: str = "en", limit: int = 50) -> str:
        lines = [e.text(lang) for e in self.errors[:limit]]
        more = len(self.errors) - limit
        if more > 0:
            lines.append(f"… 他 {more} 件" if lang == "ja" else f"… and {more} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary("en")


class ExportError(Exception):
    """The entries graph holds something the table layout cannot carry exactly."""
