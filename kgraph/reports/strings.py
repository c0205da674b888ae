"""The words of the reports, in Japanese and English.

Kept apart from the renderers so that every format (text, table, JSON, HTML, the
web page) says the same thing in the same words.
"""

from __future__ import annotations

LANGS = ("ja", "en")

STRINGS: dict[str, dict[str, str]] = {
    "title": {"ja": "SHACL 検証レポート", "en": "SHACL validation report"},
    "conforms": {"ja": "適合しています（違反なし）", "en": "conforms (no violations)"},
    "not_conforms": {"ja": "適合していません（違反あり）", "en": "does not conform (violations)"},
    "Violation": {"ja": "違反", "en": "Violation"},
    "Warning": {"ja": "警告", "en": "Warning"},
    "Info": {"ja": "情報", "en": "Info"},
    "Violation_plural": {"ja": "違反", "en": "violations"},
    "Warning_plural": {"ja": "警告", "en": "warnings"},
    "Info_plural": {"ja": "情報", "en": "infos"},
    "results_on": {
        "ja": "{n} 件の結果（対象ノード {m} 件）",
        "en": "{n} result(s) on {m} focus node(s)",
    },
    "no_results": {"ja": "指摘はありません。", "en": "Nothing to report."},
    "focus": {"ja": "対象", "en": "focus node"},
    "focus_label": {"ja": "対象の名称", "en": "focus label"},
    "focus_iri": {"ja": "対象の IRI", "en": "focus IRI"},
    "severity": {"ja": "重大度", "en": "severity"},
    "path": {"ja": "プロパティ", "en": "property path"},
    "value": {"ja": "値", "en": "value"},
    "message": {"ja": "メッセージ", "en": "message"},
    "shape": {"ja": "シェイプ", "en": "shape"},
    "constraint": {"ja": "制約", "en": "constraint"},
    "summary": {"ja": "集計", "en": "Summary"},
    "by_severity": {"ja": "重大度別", "en": "by severity"},
    "by_shape": {"ja": "シェイプ別", "en": "by shape"},
    "total": {"ja": "合計", "en": "total"},
    "unnamed_node": {"ja": "（名前のないノード）", "en": "(unnamed node)"},
    "unnamed_shape": {"ja": "（名前のないシェイプ）", "en": "(unnamed shape)"},
    "none": {"ja": "（なし）", "en": "(none)"},
    "generated": {"ja": "作成", "en": "generated"},
    "language": {"ja": "言語", "en": "language"},
    "other_language": {"ja": "English", "en": "日本語"},
    "page_served": {
        "ja": "公開中のデータを SHACL シェイプで検証した結果です。"
        "対象の名称から各資源のページへ移動できます。",
        "en": "The served data checked against the SHACL shapes. Each focus node links to "
        "its page.",
    },
    "page_upload": {
        "ja": "公開中のデータを「{name}」で置き換えた場合の検証結果です。"
        "公開中のデータは変更していません。",
        "en": "The report for the served data with {name!r} in place. The served data has "
        "not been changed.",
    },
    "upload_label": {
        "ja": "ファイルを検証する"
        "（Turtle・JSON-LD・TriG・N-Quads、または事業一覧表の CSV・XLSX）",
        "en": "Check a file (Turtle, JSON-LD, TriG, N-Quads, or a plan spreadsheet in CSV or XLSX)",
    },
    "upload_button": {"ja": "検証する", "en": "Check"},
    "upload_help": {
        "ja": "ファイル名の付いたグラフ（例：entries.ttl は entries グラフ）、"
        "表は事業のグラフを置き換えて検証します。公開はしません。上限 {mb} MB。",
        "en": "A file replaces the graph named after it (entries.ttl: the entries graph); "
        "a spreadsheet replaces the entries graph. Nothing is published. Limit {mb} MB.",
    },
    "upload_problems": {
        "ja": "ファイルを読めません（{n} 件）",
        "en": "The file cannot be read ({n} problem(s))",
    },
    "results_omitted": {
        "ja": "結果が多すぎるため、深刻なものから順に一部だけを表示しています"
        "（表示していない結果 {n} 件も件数には含みます）。",
        "en": "There are too many results: only the most severe are shown ({n} more are counted "
        "but not listed).",
    },
    "served_unchanged": {
        "ja": "公開中のデータは変更していません。",
        "en": "The served data has not been changed.",
    },
}

#: Plain words for the SHACL constraint components people meet most often.
CONSTRAINTS: dict[str, dict[str, str]] = {
    "MinCountConstraintComponent": {"ja": "値が足りない", "en": "too few values"},
    "MaxCountConstraintComponent": {"ja": "値が多すぎる", "en": "too many values"},
    "ClassConstraintComponent": {"ja": "種類が違う", "en": "wrong kind of resource"},
    "DatatypeConstraintComponent": {"ja": "データ型が違う", "en": "wrong datatype"},
    "NodeKindConstraintComponent": {"ja": "ノードの種類が違う", "en": "wrong node kind"},
    "PatternConstraintComponent": {"ja": "書式が違う", "en": "wrong format"},
    "LanguageInConstraintComponent": {"ja": "言語が違う", "en": "wrong language"},
    "UniqueLangConstraintComponent": {"ja": "同じ言語が重複", "en": "language repeated"},
    "InConstraintComponent": {"ja": "許される値にない", "en": "not an allowed value"},
    "HasValueConstraintComponent": {"ja": "必要な値がない", "en": "required value missing"},
    "NodeConstraintComponent": {"ja": "参照先が形に合わない", "en": "target does not fit"},
    "SPARQLConstraintComponent": {"ja": "規則に反する", "en": "rule broken"},
    "ClosedConstraintComponent": {"ja": "想定外のプロパティ", "en": "unexpected property"},
    "MinInclusiveConstraintComponent": {"ja": "値が小さすぎる", "en": "value too small"},
    "MaxInclusiveConstraintComponent": {"ja": "値が大きすぎる", "en": "value too large"},
    "MinLengthConstraintComponent": {"ja": "短すぎる", "en": "too short"},
    "MaxLengthConstraintComponent": {"ja": "長すぎる", "en": "too long"},
}


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang`` (English if the language is unknown)."""
    entry = STRINGS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def constraint_words(component: str, lang: str) -> str:
    """Plain words for a constraint component IRI, or its local name."""
    local = component.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    words = CONSTRAINTS.get(local)
    return (words.get(lang) or words["en"]) if words else local


def check_lang(lang: str | None) -> str:
    """``ja`` or ``en``; anything else is a programming error."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r} (known: ja, en)")
    return lang
