"""The reader's language (Japanese or English) and the UI strings in both.

The language is chosen, in this order, by a ``?lang=ja|en`` query parameter (which
also sets a cookie, so that the switch sticks), by the ``lang`` cookie, and by the
``Accept-Language`` header (Werkzeug's parser).  Every page template gets ``lang``,
``t`` (look up a UI string), ``switch_url`` and ``LANGS`` from the context processor
registered here, so that all helpers' pages share one switch.

UI strings live in :data:`MESSAGES`; add a key with both languages, never one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request

LANGS: tuple[str, ...] = ("ja", "en")
#: When nothing says otherwise: the plan is a Japanese document.
DEFAULT_LANG = "ja"
COOKIE = "lang"
PARAM = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

#: UI strings, by key, in every language of :data:`LANGS`.
MESSAGES: dict[str, dict[str, str]] = {
    "site.name": {"ja": "川崎市地球温暖化対策推進基本計画 ナレッジグラフ",
                  "en": "Kawasaki City Climate Plan Knowledge Graph"},
    "site.short": {"ja": "川崎市 気候計画 LOD", "en": "Kawasaki Climate Plan LOD"},
    "nav.home": {"ja": "ホーム", "en": "Home"},
    "nav.query": {"ja": "SPARQL検索", "en": "SPARQL query"},
    "nav.catalog": {"ja": "データカタログ", "en": "Data catalogue"},
    "nav.void": {"ja": "VoID", "en": "VoID"},
    "nav.ontology": {"ja": "オントロジー", "en": "Ontology"},
    "nav.shapes": {"ja": "SHACLシェイプ", "en": "SHACL shapes"},
    "nav.validation": {"ja": "検証レポート", "en": "Validation report"},
    "nav.dumps": {"ja": "ダウンロード", "en": "Downloads"},
    "nav.main": {"ja": "メインメニュー", "en": "Main menu"},
    "lang.switch": {"ja": "言語", "en": "Language"},
    "lang.ja": {"ja": "日本語", "en": "日本語"},
    "lang.en": {"ja": "English", "en": "English"},
    "page.skip": {"ja": "本文へ移動", "en": "Skip to content"},
    # Resource pages
    "res.iri": {"ja": "IRI", "en": "IRI"},
    "res.types": {"ja": "種類", "en": "Type"},
    "res.properties": {"ja": "記述", "en": "Description"},
    "res.property": {"ja": "プロパティ", "en": "Property"},
    "res.value": {"ja": "値", "en": "Value"},
    "res.referred_by": {"ja": "この資源を参照しているもの", "en": "Referred to by"},
    "res.referred_none": {"ja": "この資源を参照しているものはありません。",
                          "en": "Nothing refers to this resource."},
    "res.source": {"ja": "出典箇所", "en": "Source passage"},
    "res.source_lines": {"ja": "{start}～{end}行目", "en": "lines {start}–{end}"},
    "res.source_note": {"ja": "抽出されたままのテキスト（正規化前）",
                        "en": "Text exactly as extracted (before normalisation)"},
    "res.formats": {"ja": "このデータの機械可読形式", "en": "This description as data"},
    "res.no_label": {"ja": "（名称なし）", "en": "(no label)"},
    "res.sub_items": {"ja": "細目", "en": "Sub-items"},
    "res.in_sparql": {"ja": "SPARQLで調べる", "en": "Explore with SPARQL"},
    # Errors
    "err.404.title": {"ja": "見つかりません", "en": "Not found"},
    "err.404.body": {"ja": "このアドレスに該当する資源はありません。",
                     "en": "There is no resource at this address."},
    "err.404.home": {"ja": "ホームへ戻る", "en": "Back to the home page"},
    # Landing page
    "home.intro": {
        "ja": "川崎市地球温暖化対策推進基本計画（2022年3月改定）の基本的方向Ⅱ"
              "「グリーンイノベーションで世界の脱炭素化に貢献するまち」の施策・事業と、"
              "それらが参照する組織・法令・戦略・区域指定を、"
              "出典付きの Linked Open Data として公開しています。",
        "en": "The policies and plan entries of basic direction II, \"a city contributing to "
              "global decarbonisation through green innovation\", of Kawasaki City's climate "
              "plan (revised March 2022), with the organisations, laws, strategies and zone "
              "designations they refer to, published as Linked Open Data with the source "
              "passage of every statement.",
    },
    "home.counts": {"ja": "データの規模", "en": "Size of the data"},
    "home.triples": {"ja": "トリプル数", "en": "Triples"},
    "home.entities": {"ja": "資源数", "en": "Resources"},
    "home.classes": {"ja": "クラス数", "en": "Classes"},
    "home.properties": {"ja": "プロパティ数", "en": "Properties"},
    "home.graphs": {"ja": "名前付きグラフ", "en": "Named graphs"},
    "home.start": {"ja": "ここから読む", "en": "Start reading"},
    "home.access": {"ja": "データの利用", "en": "Using the data"},
    "home.query": {"ja": "SPARQLエンドポイントと検索画面", "en": "SPARQL endpoint and query page"},
    "home.catalog": {"ja": "DCATデータカタログ（DCAT-AP 3.0.1）",
                     "en": "DCAT data catalogue (DCAT-AP 3.0.1)"},
    "home.void": {"ja": "VoIDによるデータセット記述", "en": "VoID dataset description"},
    "home.dumps": {"ja": "一括ダウンロード", "en": "Bulk download"},
    "home.ontology": {"ja": "オントロジー（語彙）の説明",
                      "en": "Ontology (vocabulary) documentation"},
    "home.shapes": {"ja": "データの制約（SHACL）", "en": "Data constraints (SHACL)"},
    "home.validation": {"ja": "検証レポート", "en": "Validation report"},
    "home.sitemap": {"ja": "サイトマップ", "en": "Sitemap"},
    "home.licence": {"ja": "利用条件", "en": "Terms of use"},
    "home.conneg": {
        "ja": "すべての資源IRIはこのサーバーで解決できます。ブラウザにはHTML、プログラムには "
              "Accept ヘッダーに応じて Turtle・JSON-LD・RDF/XML・N-Triples を返します。",
        "en": "Every resource IRI resolves on this server: browsers get HTML, programs get "
              "Turtle, JSON-LD, RDF/XML or N-Triples according to their Accept header.",
    },
    # Catalogue / dumps
    "cat.title": {"ja": "データカタログ", "en": "Data catalogue"},
    "cat.dataset": {"ja": "データセット", "en": "Dataset"},
    "cat.distributions": {"ja": "配布形式", "en": "Distributions"},
    "cat.service": {"ja": "データサービス", "en": "Data service"},
    "cat.licence": {"ja": "ライセンス", "en": "Licence"},
    "cat.publisher": {"ja": "公開者", "en": "Publisher"},
    "cat.contact": {"ja": "問い合わせ先", "en": "Contact point"},
    "cat.temporal": {"ja": "対象期間", "en": "Temporal coverage"},
    "cat.spatial": {"ja": "対象地域", "en": "Spatial coverage"},
    "cat.keywords": {"ja": "キーワード", "en": "Keywords"},
    "cat.issued": {"ja": "公開日", "en": "Issued"},
    "cat.modified": {"ja": "更新日", "en": "Modified"},
    "cat.classes": {"ja": "クラス別の資源数", "en": "Resources per class"},
    "cat.props": {"ja": "プロパティ別のトリプル数", "en": "Triples per property"},
    "cat.vocabularies": {"ja": "使用している語彙", "en": "Vocabularies used"},
    "cat.count": {"ja": "件数", "en": "Count"},
    "cat.as_rdf": {"ja": "RDFで取得", "en": "Get as RDF"},
    "void.title": {"ja": "VoIDによるデータセット記述", "en": "VoID dataset description"},
    "dumps.title": {"ja": "一括ダウンロード", "en": "Bulk download"},
    "dumps.intro": {
        "ja": "データセット全体をgzip圧縮したファイルです。N-Quadsは名前付きグラフを保持し、"
              "Turtleはすべてのグラフの和です。",
        "en": "The whole dataset, gzip-compressed. N-Quads keeps the named graphs; Turtle "
              "is the union of all graphs.",
    },
    "dumps.format": {"ja": "形式", "en": "Format"},
    "dumps.file": {"ja": "ファイル", "en": "File"},
    # Ontology / shapes docs
    "onto.classes": {"ja": "クラス", "en": "Classes"},
    "onto.object_properties": {"ja": "オブジェクトプロパティ", "en": "Object properties"},
    "onto.datatype_properties": {"ja": "データ型プロパティ", "en": "Datatype properties"},
    "onto.schemes": {"ja": "コードリスト（概念体系）", "en": "Code lists (concept schemes)"},
    "onto.concepts": {"ja": "概念", "en": "Concepts"},
    "onto.metadata": {"ja": "メタデータ", "en": "Metadata"},
    "onto.version": {"ja": "バージョン", "en": "Version"},
    "onto.version_iri": {"ja": "バージョンIRI", "en": "Version IRI"},
    "onto.prefix": {"ja": "推奨接頭辞", "en": "Preferred prefix"},
    "onto.namespace": {"ja": "名前空間", "en": "Namespace"},
    "onto.definition": {"ja": "定義", "en": "Definition"},
    "onto.subclass_of": {"ja": "上位クラス", "en": "Subclass of"},
    "onto.subproperty_of": {"ja": "上位プロパティ", "en": "Subproperty of"},
    "onto.domain": {"ja": "定義域", "en": "Domain"},
    "onto.range": {"ja": "値域", "en": "Range"},
    "onto.in_scheme": {"ja": "所属する体系", "en": "In scheme"},
    "onto.notation": {"ja": "記号", "en": "Notation"},
    "onto.other_label": {"ja": "他言語の名称", "en": "Label in the other language"},
    "onto.contents": {"ja": "目次", "en": "Contents"},
    "onto.created": {"ja": "作成日", "en": "Created"},
    "onto.modified": {"ja": "更新日", "en": "Modified"},
    "onto.see_also": {"ja": "関連資料", "en": "See also"},
    "shapes.title": {"ja": "SHACLシェイプ", "en": "SHACL shapes"},
    "shapes.intro": {
        "ja": "公開前にデータを検証する制約です。"
              "違反（Violation）が一つでもあるデータは公開されません。",
        "en": "The constraints data is validated against before publication; data with any "
              "Violation is not published.",
    },
    "shapes.target": {"ja": "対象", "en": "Target"},
    "shapes.path": {"ja": "パス", "en": "Path"},
    "shapes.constraints": {"ja": "制約", "en": "Constraints"},
    "shapes.severity": {"ja": "重大度", "en": "Severity"},
    "shapes.message": {"ja": "メッセージ", "en": "Message"},
    "shapes.none": {"ja": "シェイプはまだありません。", "en": "There are no shapes yet."},
}


def get_lang() -> str:
    """The reader's language for this request (computed once per request)."""
    lang = getattr(g, "kgraph_lang", None)
    if lang is None:
        lang = _choose(request.args.get(PARAM), request.cookies.get(COOKIE))
        g.kgraph_lang = lang
    return lang


def _choose(param: str | None, cookie: str | None) -> str:
    for candidate in (param, cookie):
        if candidate in LANGS:
            return candidate
    return request.accept_languages.best_match(LANGS, default=DEFAULT_LANG) or DEFAULT_LANG


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The UI string ``key`` in ``lang`` (default: the reader's language)."""
    lang = lang or get_lang()
    text = MESSAGES[key].get(lang) or MESSAGES[key][DEFAULT_LANG]
    return text.format(**values) if values else text


def switch_url(lang: str) -> str:
    """This page's URL with ``?lang=`` set, for the language switch."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM]
    args.append((PARAM, lang))
    return f"{request.script_root}{request.path}?{urlencode(args)}"


T = TypeVar("T")


def prefer(items: Iterable[T], lang_of, lang: str | None = None) -> list[T]:
    """Items sorted so that the reader's language comes first, then untagged, then others."""
    lang = lang or get_lang()

    def rank(item: T) -> int:
        tag = (lang_of(item) or "").lower()
        if tag == lang or tag.startswith(lang + "-"):
            return 0
        if not tag:
            return 1
        return 2 if tag in LANGS else 3

    return sorted(items, key=rank)


bp = Blueprint("i18n", __name__)


@bp.app_context_processor
def _template_globals() -> dict[str, object]:
    lang = get_lang()
    return {"lang": lang, "t": t, "switch_url": switch_url, "LANGS": LANGS}


@bp.after_app_request
def _remember_choice(response: Response) -> Response:
    """Make an explicit ``?lang=`` stick, and tell caches that HTML varies by language."""
    chosen = request.args.get(PARAM)
    if chosen in LANGS and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        response.headers.setdefault("Content-Language", get_lang())
    return response
