"""Human labels for IRIs, in the reader's language.

A label comes from the data (``rdfs:label``, else ``skos:prefLabel``, ``dcterms:title``
or ``foaf:name``), so that kgo terms are shown with the ontology's own labels.  Terms
of reused vocabularies that the data does not label (``rdf:type``, ``prov:wasDerivedFrom``,
...) get a label from :data:`TERM_LABELS`; anything else is shown as a prefixed name.
"""

from __future__ import annotations

import pyoxigraph as ox

from ...iris import PREFIXES
from ...terms import compact

P = PREFIXES
RDF_TYPE = ox.NamedNode(P["rdf"] + "type")
RDFS_LABEL = ox.NamedNode(P["rdfs"] + "label")
SKOS_PREF = ox.NamedNode(P["skos"] + "prefLabel")
DCT_TITLE = ox.NamedNode(P["dcterms"] + "title")
FOAF_NAME = ox.NamedNode(P["foaf"] + "name")
LABEL_PROPERTIES = (RDFS_LABEL, SKOS_PREF, DCT_TITLE, FOAF_NAME)

#: Labels for terms of reused vocabularies (the ontology labels only its own terms).
TERM_LABELS: dict[str, tuple[str, str]] = {
    P["rdf"] + "type": ("種類", "type"),
    P["rdfs"] + "label": ("名称", "label"),
    P["rdfs"] + "comment": ("説明", "comment"),
    P["rdfs"] + "seeAlso": ("関連資料", "see also"),
    P["rdfs"] + "subClassOf": ("上位クラス", "subclass of"),
    P["rdfs"] + "subPropertyOf": ("上位プロパティ", "subproperty of"),
    P["rdfs"] + "domain": ("定義域", "domain"),
    P["rdfs"] + "range": ("値域", "range"),
    P["owl"] + "sameAs": ("同一の資源", "same as"),
    P["skos"] + "prefLabel": ("優先名称", "preferred label"),
    P["skos"] + "altLabel": ("別名", "alternative label"),
    P["skos"] + "hiddenLabel": ("検索用の表記", "hidden label"),
    P["skos"] + "definition": ("定義", "definition"),
    P["skos"] + "note": ("注記", "note"),
    P["skos"] + "scopeNote": ("適用上の注記", "scope note"),
    P["skos"] + "editorialNote": ("編集上の注記", "editorial note"),
    P["skos"] + "notation": ("記号", "notation"),
    P["skos"] + "inScheme": ("所属する体系", "in scheme"),
    P["skos"] + "topConceptOf": ("最上位概念として属する体系", "top concept of"),
    P["skos"] + "hasTopConcept": ("最上位概念", "has top concept"),
    P["skos"] + "broader": ("上位概念", "broader"),
    P["skos"] + "narrower": ("下位概念", "narrower"),
    P["skos"] + "exactMatch": ("完全一致", "exact match"),
    P["skos"] + "closeMatch": ("近似一致", "close match"),
    P["skos"] + "related": ("関連", "related"),
    P["dcterms"] + "title": ("タイトル", "title"),
    P["dcterms"] + "description": ("説明", "description"),
    P["dcterms"] + "identifier": ("識別子", "identifier"),
    P["dcterms"] + "issued": ("公開日", "issued"),
    P["dcterms"] + "modified": ("更新日", "modified"),
    P["dcterms"] + "created": ("作成日", "created"),
    P["dcterms"] + "date": ("日付", "date"),
    P["dcterms"] + "publisher": ("公開者", "publisher"),
    P["dcterms"] + "creator": ("作成者", "creator"),
    P["dcterms"] + "source": ("出典", "source"),
    P["dcterms"] + "license": ("ライセンス", "licence"),
    P["dcterms"] + "rights": ("権利", "rights"),
    P["dcterms"] + "isPartOf": ("上位の資源", "is part of"),
    P["dcterms"] + "hasPart": ("構成部分", "has part"),
    P["dcterms"] + "references": ("参照", "references"),
    P["dcterms"] + "temporal": ("対象期間", "temporal coverage"),
    P["dcterms"] + "spatial": ("対象地域", "spatial coverage"),
    P["dcterms"] + "language": ("言語", "language"),
    P["dcterms"] + "type": ("種別", "type"),
    P["dcterms"] + "conformsTo": ("準拠する規格", "conforms to"),
    P["dcterms"] + "format": ("形式", "format"),
    P["dcterms"] + "alternative": ("別名", "alternative title"),
    P["dcterms"] + "bibliographicCitation": ("書誌情報", "bibliographic citation"),
    P["prov"] + "wasDerivedFrom": ("出典箇所", "derived from"),
    P["prov"] + "value": ("抽出テキスト", "value"),
    P["prov"] + "wasAttributedTo": ("帰属先", "attributed to"),
    P["prov"] + "generatedAtTime": ("作成日時", "generated at"),
    P["prov"] + "hadPrimarySource": ("一次資料", "primary source"),
    P["org"] + "unitOf": ("所属する組織", "unit of"),
    P["org"] + "hasUnit": ("部署", "has unit"),
    P["org"] + "subOrganizationOf": ("上位組織", "sub-organisation of"),
    P["org"] + "hasSubOrganization": ("下位組織", "has sub-organisation"),
    P["org"] + "memberOf": ("所属", "member of"),
    P["org"] + "hasMember": ("構成員", "has member"),
    P["org"] + "identifier": ("識別子", "identifier"),
    P["org"] + "classification": ("分類", "classification"),
    P["org"] + "purpose": ("目的", "purpose"),
    P["eli"] + "is_part_of": ("上位の法令", "is part of"),
    P["eli"] + "has_part": ("構成部分", "has part"),
    P["eli"] + "title": ("題名", "title"),
    P["eli"] + "title_short": ("略称", "short title"),
    P["eli"] + "id_local": ("法令番号", "local identifier"),
    P["eli"] + "number": ("番号", "number"),
    P["eli"] + "date_document": ("公布日", "date of document"),
    P["eli"] + "date_publication": ("公布日", "date of publication"),
    P["eli"] + "first_date_entry_in_force": ("施行日", "first entry into force"),
    P["eli"] + "changes": ("改正対象", "changes"),
    P["eli"] + "changed_by": ("改正", "changed by"),
    P["eli"] + "type_document": ("法令の種類", "type of document"),
    P["eli"] + "passed_by": ("制定者", "passed by"),
    P["eli"] + "jurisdiction": ("管轄", "jurisdiction"),
    P["schema"] + "position": ("順序", "position"),
    P["schema"] + "name": ("名称", "name"),
    P["schema"] + "url": ("URL", "URL"),
    P["schema"] + "value": ("値", "value"),
    P["schema"] + "minValue": ("下限", "minimum"),
    P["schema"] + "maxValue": ("上限", "maximum"),
    P["schema"] + "unitText": ("単位", "unit"),
    P["schema"] + "unitCode": ("単位コード", "unit code"),
    P["schema"] + "currency": ("通貨", "currency"),
    P["schema"] + "containedInPlace": ("所在地", "contained in place"),
    P["schema"] + "address": ("住所", "address"),
    P["schema"] + "startDate": ("開始日", "start date"),
    P["schema"] + "endDate": ("終了日", "end date"),
    P["schema"] + "organizer": ("主催", "organiser"),
    P["schema"] + "publisher": ("発行者", "publisher"),
    P["schema"] + "author": ("作成者", "author"),
    P["schema"] + "datePublished": ("公開日", "date published"),
    P["schema"] + "alternateName": ("別名", "alternate name"),
    P["schema"] + "sameAs": ("同一の資源", "same as"),
    P["dcat"] + "keyword": ("キーワード", "keyword"),
    P["dcat"] + "contactPoint": ("問い合わせ先", "contact point"),
    P["dcat"] + "startDate": ("開始日", "start date"),
    P["dcat"] + "endDate": ("終了日", "end date"),
    P["dcat"] + "theme": ("テーマ", "theme"),
    P["dcat"] + "landingPage": ("ランディングページ", "landing page"),
    P["foaf"] + "name": ("名称", "name"),
    P["foaf"] + "homepage": ("ホームページ", "homepage"),
    P["foaf"] + "page": ("関連ページ", "page"),
    "http://www.w3.org/2006/vcard/ns#fn": ("名称", "formatted name"),
    "http://www.w3.org/2006/vcard/ns#hasURL": ("URL", "URL"),
    "http://www.w3.org/2006/vcard/ns#hasEmail": ("メール", "email"),
    "http://www.w3.org/2006/vcard/ns#organization-name": ("組織名", "organisation name"),
}


class Labeller:
    """Looks labels up in a store, remembering them for the life of the object.

    Make one per request (or per snapshot, for labels that do not change).
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._cache: dict[str, list[ox.Literal]] = {}

    def literals(self, iri: str) -> list[ox.Literal]:
        """The label literals the data gives an IRI (all languages)."""
        found = self._cache.get(iri)
        if found is None:
            node = ox.NamedNode(iri)
            found = []
            for prop in LABEL_PROPERTIES:
                found = list(
                    dict.fromkeys(
                        q.object
                        for q in self.store.quads_for_pattern(node, prop, None)
                        if isinstance(q.object, ox.Literal)
                    )
                )
                if found:
                    break
            self._cache[iri] = found
        return found

    def label(self, iri: str, lang: str) -> str:
        """The best label of an IRI in ``lang``; a prefixed name when there is none."""
        literal = pick(self.literals(iri), lang)
        if literal is not None:
            return literal.value
        known = TERM_LABELS.get(iri)
        if known:
            return known[0] if lang == "ja" else known[1]
        return compact(iri)

    def other_labels(self, iri: str, lang: str) -> list[ox.Literal]:
        """Labels in languages other than ``lang`` (shown as a subtitle)."""
        best = pick(self.literals(iri), lang)
        return [lit for lit in self.literals(iri) if lit != best]


def pick(literals: list[ox.Literal], lang: str) -> ox.Literal | None:
    """The literal in ``lang``, else an untagged one, else English, else any."""
    if not literals:
        return None
    for wanted in (lang, "", "en"):
        for lit in literals:
            tag = (lit.language or "").lower()
            if tag == wanted or (wanted and tag.startswith(wanted + "-")):
                return lit
    return literals[0]
