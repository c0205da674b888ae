"""UI strings of the researchers' pages (query page, search, plan picture), ja and en.

They are added to the shared :data:`kgraph.web.http.language.MESSAGES` when this module is
imported, so that templates look them up with the same ``t()`` as every other page.
The query page's script gets the ``query.js.*`` strings of the page language as JSON.
"""

from __future__ import annotations

from ..http.language import MESSAGES

FRONTDOOR_MESSAGES: dict[str, dict[str, str]] = {
    # Navigation between the three pages
    "front.query": {"ja": "SPARQL検索", "en": "SPARQL query"},
    "front.search": {"ja": "キーワード検索", "en": "Keyword search"},
    "front.plan": {"ja": "計画の全体図", "en": "Picture of the plan"},
    "front.related": {"ja": "関連ページ", "en": "Related pages"},
    # Query page
    "query.title": {"ja": "SPARQLクエリ", "en": "SPARQL query"},
    "query.intro": {
        "ja": "SPARQLでデータを検索できます。下の例から選ぶか、クエリを書いて「実行」"
              "（Ctrl+Enter）を押してください。結果のIRIは各資源のページにリンクしています。",
        "en": "Query the data with SPARQL. Pick one of the examples below or write a query, "
              "then press Run (Ctrl+Enter). IRIs in the results link to each resource's page.",
    },
    "query.editor": {"ja": "クエリ", "en": "Query"},
    "query.run": {"ja": "実行", "en": "Run"},
    "query.shortcut": {"ja": "Ctrl+Enter（Macは⌘+Enter）でも実行できます。",
                       "en": "Ctrl+Enter (⌘+Enter on a Mac) runs the query too."},
    "query.prefixes": {"ja": "宣言済みの接頭辞", "en": "Predeclared prefixes"},
    "query.prefixes_note": {
        "ja": "これらの接頭辞はPREFIX宣言なしで使えます。",
        "en": "These prefixes can be used without PREFIX declarations.",
    },
    "query.examples": {"ja": "クエリの例", "en": "Example queries"},
    "query.examples_note": {
        "ja": "クリックするとエディタに読み込みます。コマンドラインでは "
              "kgraph query --example 名前 で実行できます。",
        "en": "Click one to load it into the editor. On the command line, "
              "kgraph query --example NAME runs it.",
    },
    "query.results": {"ja": "結果", "en": "Results"},
    "query.download": {"ja": "結果をダウンロード", "en": "Download the results"},
    "query.share": {"ja": "このクエリへのリンク", "en": "Link to this query"},
    "query.endpoint": {"ja": "SPARQLエンドポイント", "en": "SPARQL endpoint"},
    "query.editor_plain": {
        "ja": "エディタの構文強調表示は利用できません"
              "（フロントエンドのライブラリが未インストール）。通常のテキスト欄として使えます。",
        "en": "Syntax highlighting is not available (the front-end library is not "
              "installed); the editor is a plain text box.",
    },
    "query.noscript": {
        "ja": "クエリをこのページで実行するにはJavaScriptが必要です。"
              "エンドポイント /sparql に直接送ることもできます。",
        "en": "Running queries on this page needs JavaScript. You can also send them to the "
              "endpoint /sparql directly.",
    },
    "query.js.running": {"ja": "実行中…", "en": "Running…"},
    "query.js.count": {"ja": "{n}件", "en": "{n} results"},
    "query.js.count_one": {"ja": "1件", "en": "1 result"},
    "query.js.time": {"ja": "（{ms} ミリ秒）", "en": " in {ms} ms"},
    "query.js.truncated": {"ja": "サーバーの上限（{n}行）で打ち切られています。",
                           "en": "Cut off at the server's limit of {n} rows."},
    "query.js.true": {"ja": "結果：真（true）", "en": "Result: true"},
    "query.js.false": {"ja": "結果：偽（false）", "en": "Result: false"},
    "query.js.empty": {"ja": "クエリが空です。", "en": "The query is empty."},
    "query.js.error": {"ja": "クエリを実行できませんでした", "en": "The query could not be run"},
    "query.js.syntax": {"ja": "構文エラー：{line}行目 {col}文字目",
                        "en": "Syntax error at line {line}, column {col}"},
    "query.js.full_message": {"ja": "メッセージ全体", "en": "Whole message"},
    "query.js.network": {"ja": "サーバーに接続できませんでした。",
                         "en": "Could not reach the server."},
    "query.js.no_rows": {"ja": "該当する結果はありません。", "en": "No results."},
    "query.js.graph": {"ja": "RDFグラフ（Turtle）", "en": "RDF graph (Turtle)"},
    "query.js.copied": {"ja": "リンクをコピーしました", "en": "Link copied"},
    "query.js.loaded": {"ja": "例を読み込みました：{title}", "en": "Loaded the example: {title}"},
    # Search page
    "search.title": {"ja": "キーワード検索", "en": "Keyword search"},
    "search.intro": {
        "ja": "名称と本文（日本語・英語）を部分一致で検索します。"
              "空白で区切った語はすべてを含むものを探します。名称に一致するものを先に示します。",
        "en": "Searches names and texts in Japanese and English by substring. Words separated "
              "by spaces must all occur. Matches in names are listed first.",
    },
    "search.label": {"ja": "検索語", "en": "Search terms"},
    "search.button": {"ja": "検索", "en": "Search"},
    "search.count": {"ja": "「{q}」の検索結果：{n}件", "en": "{n} results for “{q}”"},
    "search.none": {"ja": "「{q}」に一致するものはありません。", "en": "Nothing matches “{q}”."},
    "search.shown": {"ja": "上位{n}件を表示しています。", "en": "Showing the first {n}."},
    "search.in_name": {"ja": "名称に一致", "en": "name match"},
    "search.in_text": {"ja": "本文に一致", "en": "text match"},
    "search.in_raw": {"ja": "抽出テキストに一致", "en": "match in the extracted text"},
    "search.part_of": {"ja": "所属", "en": "part of"},
    "search.json": {"ja": "この結果をJSONで", "en": "These results as JSON"},
    "search.too_long": {"ja": "検索語が長すぎます（{n}文字まで）。",
                        "en": "The search terms are too long (at most {n} characters)."},
    "search.missing": {"ja": "検索語（q）を指定してください。",
                       "en": "Give the search terms as the parameter q."},
    "search.bad_limit": {"ja": "limit は1以上{n}以下の整数で指定してください。",
                         "en": "limit must be a whole number from 1 to {n}."},
    # Plan picture
    "plan.title": {"ja": "計画の全体図", "en": "Picture of the plan"},
    "plan.intro": {
        "ja": "基本的方向から施策、事業へのつながりを図にしたものです。"
              "各事業のリーディングプロジェクト（PJ）、区分列の●印、再掲の元を示します。"
              "図の中の名称をクリックすると各資源のページを開きます。",
        "en": "How the basic direction leads to its policies and their plan entries, with each "
              "entry's leading project (PJ), the flag columns its row is marked in, and what it "
              "re-lists. Click a name in the picture to open that resource's page.",
    },
    "plan.figure": {"ja": "基本的方向・施策・事業の構成図",
                    "en": "Directions, policies and entries"},
    "plan.legend": {"ja": "凡例", "en": "Legend"},
    "plan.legend.pj": {"ja": "リーディングプロジェクト（表のPJ列）",
                       "en": "Leading project (the table's PJ column)"},
    "plan.legend.flag": {"ja": "区分列の●印", "en": "● in a flag column"},
    "plan.legend.relisting": {"ja": "再掲（→ 再掲元の事業・施策。他の箇所に記載）",
                              "en": "Re-listing (→ the original, described elsewhere)"},
    "plan.entries": {"ja": "{n}事業", "en": "{n} entries"},
    "plan.entry_one": {"ja": "1事業", "en": "1 entry"},
    "plan.relists": {"ja": "再掲元", "en": "re-lists"},
    "plan.described_elsewhere": {"ja": "他の箇所に記載", "en": "described elsewhere"},
    "plan.table": {"ja": "同じ内容の表", "en": "The same as a table"},
    "plan.col.direction": {"ja": "基本的方向", "en": "Basic direction"},
    "plan.col.policy": {"ja": "施策", "en": "Policies"},
    "plan.col.entry": {"ja": "事業（事務事業名）", "en": "Entries (programme names)"},
    "plan.col.marks": {"ja": "PJ・区分列", "en": "PJ and flags"},
    "plan.policy_no": {"ja": "施策No.{n}", "en": "Policy {n}"},
    "plan.entry_no": {"ja": "事業No.{n}", "en": "Entry {n}"},
    "plan.direction_no": {"ja": "基本的方向{n}", "en": "Basic direction {n}"},
    "plan.col.pj": {"ja": "PJ", "en": "PJ"},
    "plan.col.flags": {"ja": "区分列", "en": "Flags"},
    "plan.col.relisting": {"ja": "再掲元", "en": "Re-lists"},
    "plan.col.number": {"ja": "事業No.", "en": "Entry No."},
    "plan.col.programme": {"ja": "事務事業名", "en": "Administrative programme"},
    "plan.empty": {"ja": "表示できる計画の構造がありません（データが読み込まれていません）。",
                   "en": "There is no plan structure to show (no data is loaded)."},
}

for _key, _texts in FRONTDOOR_MESSAGES.items():
    MESSAGES.setdefault(_key, _texts)


def script_messages(lang: str) -> dict[str, str]:
    """The query page script's strings in one language (keys without ``query.js.``)."""
    prefix = "query.js."
    return {
        key[len(prefix):]: texts.get(lang) or texts["ja"]
        for key, texts in FRONTDOOR_MESSAGES.items()
        if key.startswith(prefix)
    }
