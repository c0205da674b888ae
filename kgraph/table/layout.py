"""The columns of the plan table, in the order the plan prints them.

The printed table (施策別事業一覧) has 事業No., 事務事業名, 事業概要, the activities
for the plan period with ● and ・ items, PJ and the flag columns.  The spreadsheet
puts the policy before them and, after them, what else the entries graph holds
(re-listing, responsible department, provenance), then the English texts, then two
technical columns.  Row 1 holds the Japanese headers, row 2 the English ones; data
starts on row 3.  The flag columns come from the plan's ``kgo:TableFlag`` resources.
"""

from __future__ import annotations

from dataclasses import dataclass

from .context import PlanContext

#: The sheet that holds the table (a CSV file is one sheet named after the file).
SHEET = "事業一覧"
#: The sheet that explains the columns; ignored on import.
GUIDE_SHEET = "説明 Guide"
HEADER_ROWS = 2
FIRST_DATA_ROW = HEADER_ROWS + 1

MAIN, SUB = "●", "・"
FLAG_MARK = "●"


@dataclass(frozen=True)
class Column:
    key: str
    ja: str
    en: str
    help_ja: str
    help_en: str
    width: int = 14
    wrap: bool = False

    def headers(self) -> tuple[str, str]:
        return self.ja, self.en


def _c(key, ja, en, help_ja, help_en, width=14, wrap=False) -> Column:
    return Column(key, ja, en, help_ja, help_en, width, wrap)


def columns(context: PlanContext) -> list[Column]:
    """All columns for a plan, flag columns included."""
    start, end = context.period or ("2022", "2025")
    cols = [
        _c(
            "policy",
            "施策No.",
            "Policy No.",
            "施策番号（数字）。計画にある施策でなければなりません。",
            "Policy number; must be a policy of the plan.",
            8,
        ),
        _c(
            "policy_name",
            "施策名（参照用）",
            "Policy (for reference)",
            "施策の名称。参照用で、変えても取り込まれません（施策は data/plan.ttl で編集）。",
            "The policy's name, for reference; edit policies in data/plan.ttl, not here.",
            24,
            True,
        ),
        _c(
            "number",
            "事業No.",
            "Entry No.",
            "事業番号（3桁、例：055）。空欄や重複は不可。",
            "Entry number (three digits, e.g. 055); required and unique.",
            8,
        ),
        _c(
            "programme",
            "事務事業名",
            "Programme (ja)",
            "事務事業の名称（日本語）。",
            "The administrative programme's name in Japanese.",
            24,
            True,
        ),
        _c(
            "overview",
            "事業概要",
            "Overview (ja)",
            "事業概要（日本語）。段落はセル内改行で区切ります。",
            "The overview in Japanese; paragraphs separated by line breaks in the cell.",
            50,
            True,
        ),
        _c(
            "activities",
            f"{start}～{end}年度の事業内容",
            f"Activities FY{start}–{end} (ja)",
            "1行に1項目。●で主な事業内容、・でその細目（直前の●に属する）。",
            "One item per line: ● opens an activity, ・ a sub-item of the activity above.",
            50,
            True,
        ),
        _c(
            "pj",
            "PJ",
            "PJ",
            "リーディングプロジェクトの記号（例：PJ2）。複数は改行で区切ります。",
            "Leading project code such as PJ2; several on separate lines.",
            6,
        ),
    ]
    for flag in context.flags:
        cols.append(
            _c(
                f"flag:{flag.slug}",
                flag.label("ja") or flag.slug,
                flag.label("en") or flag.slug,
                f"該当する事業に {FLAG_MARK} を付けます（区分列「{flag.label('ja')}」）。",
                f"Put {FLAG_MARK} in the rows this flag column marks ({flag.label('en')}).",
                6,
            )
        )
    cols += [
        _c(
            "relisting",
            "再掲元の事業No.",
            "Re-listing of entry No.",
            "再掲の場合、元の事業番号（例：038）。",
            "For a re-listed entry, the original's number.",
            10,
        ),
        _c(
            "departments",
            "所管部署",
            "Responsible department",
            "所管部署の名称（組織データにある名称）。複数は改行で区切ります。",
            "The department's name as in the organisation data; several on separate lines.",
            24,
            True,
        ),
        _c(
            "sources",
            "出典箇所",
            "Source passages",
            "出典箇所（例：kawasaki-2022-direction-2/L17-17）。複数は改行で区切ります。",
            "Source passages (e.g. kawasaki-2022-direction-2/L17-17), one per line.",
            30,
            True,
        ),
        _c(
            "normalisations",
            "正規化",
            "Normalisations",
            "適用した正規化の識別子（例：co2-subscript）。複数は改行で区切ります。",
            "Identifiers of the normalisations applied, one per line.",
            20,
            True,
        ),
        _c(
            "item_normalisations",
            "事業内容の正規化",
            "Normalisations of activities",
            "事業内容（●・の各項目）すべてに適用した正規化の識別子。複数は改行で区切ります。",
            "Normalisations applied to every activity and sub-item of the row, one per line.",
            20,
            True,
        ),
        _c(
            "external",
            "外部出典",
            "External sources",
            "本文にない記述の根拠となる公開資料の URL。複数は改行で区切ります。",
            "URLs of public sources for statements the plan text does not make; one per line.",
            30,
            True,
        ),
        _c(
            "label",
            "名称",
            "Label (ja)",
            "事業の名称（日本語）。",
            "The entry's label in Japanese.",
            30,
            True,
        ),
        _c(
            "label_en",
            "名称（英語）",
            "Label",
            "事業の名称（英語）。",
            "The entry's label in English.",
            30,
            True,
        ),
        _c(
            "programme_en",
            "事務事業名（英語）",
            "Programme",
            "事務事業の名称（英語）。",
            "The administrative programme's name in English.",
            30,
            True,
        ),
        _c(
            "overview_en",
            "事業概要（英語）",
            "Overview",
            "事業概要（英語）。",
            "The overview in English.",
            50,
            True,
        ),
        _c(
            "activities_en",
            "事業内容（英語）",
            f"Activities FY{start}–{end}",
            "事業内容の英訳。日本語の列と同じ●・の並びにします。",
            "The activities in English, with the same ● and ・ items as the Japanese column.",
            50,
            True,
        ),
        _c(
            "programme_id",
            "事務事業ID",
            "Programme ID",
            "事務事業の IRI の末尾（例：kawasaki/global-warming-countermeasures-programme）。"
            "空欄なら英語名から作ります。",
            "The end of the programme's IRI; if empty, it is made from the English name.",
            30,
        ),
        _c(
            "other",
            "その他の記述（Turtle）",
            "Other statements (Turtle)",
            "表の列にない記述。1行に1文の Turtle"
            "（接頭辞 kgo: などは宣言済み、IRI は id/… の相対形）。",
            "Statements no column holds: one Turtle triple per line (prefixes such as kgo: "
            "are declared; IRIs relative, id/…).",
            40,
            True,
        ),
    ]
    return cols
