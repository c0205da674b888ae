"""Links to the world's data (the fifth star), and only from identifiers read in a public source.

Every link from the dataset to another dataset (owl:sameAs, skos:exactMatch, skos:closeMatch,
foaf:page) and every national local government code is something the source text does not
say, so its subject names where it was read (kgo:externalSource).  Every target is a
well-formed IRI of a known authority: a Wikidata item, a ROR ID (with its check digits), an
e-Gov law page (for the law's own e-Gov law ID).
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from support.shipped import select, shipped_store

from kgraph.iris import PREFIXES

BASE = "http://kgraph.test/data/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF_PAGE = "http://xmlns.com/foaf/0.1/page"
LINKS = (OWL_SAME_AS, SKOS + "exactMatch", SKOS + "closeMatch", FOAF_PAGE)
WD = "http://www.wikidata.org/entity/"

#: Known authorities: the pattern of a well-formed target IRI.
AUTHORITIES = {
    "wikidata": re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$"),
    "ror": re.compile(r"^https://ror\.org/0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$"),
    "e-gov": re.compile(r"^https://laws\.e-gov\.go\.jp/law/[0-9]{3}[A-Z]{2}[0-9]{10}$"),
}
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return shipped_store(BASE)


def links(store: ox.Store) -> list[tuple[str, str, str]]:
    values = " ".join(f"<{p}>" for p in LINKS)
    return select(store, f"""
        SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }}""")


def authority(target: str) -> str | None:
    return next((name for name, rx in AUTHORITIES.items() if rx.match(target)), None)


def ror_checksum_ok(target: str) -> bool:
    """ROR IDs end in an ISO/IEC 7064 MOD 97-10 checksum of their Crockford base32 body."""
    ident = target.rsplit("/", 1)[-1]
    number = 0
    for char in ident[1:7]:
        number = number * 32 + CROCKFORD.index(char)
    return 98 - (number * 100) % 97 == int(ident[7:])


def local_government_check_digit(code: str) -> int | None:
    """The check digit of a 全国地方公共団体コード: 11 minus the weighted sum mod 11."""
    remainder = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True)) % 11
    return 11 - remainder if remainder > 1 else None


def test_there_are_links_to_the_world(store: ox.Store) -> None:
    found = links(store)
    assert len(found) >= 15
    assert {authority(o) for _, _, o in found} == set(AUTHORITIES)


def test_every_link_leaving_the_dataset_names_its_public_source(store: ox.Store) -> None:
    for s, p, o in links(store):
        if o.startswith(BASE):
            continue
        sources = select(store, f"SELECT ?u WHERE {{ <{s}> kgo:externalSource ?u }}")
        assert sources, (s, p, o)
        assert all(re.match(r"^https?://[^\s<>\"]+$", u) for (u,) in sources), (s, sources)


def test_every_link_target_is_a_well_formed_iri_of_a_known_authority(store: ox.Store) -> None:
    for s, p, o in links(store):
        kind = authority(o)
        assert kind is not None, (s, p, o)
        if kind == "ror":
            assert ror_checksum_ok(o), o
        if kind == "e-gov":
            # The page of the law's own e-Gov law ID.
            assert select(store, f"SELECT ?id WHERE {{ <{s}> eli:id_local ?id }}") == [
                (o.rsplit("/", 1)[-1],)], (s, o)
            assert p == FOAF_PAGE


def test_identity_is_claimed_only_for_places(store: ox.Store) -> None:
    """owl:sameAs for places and countries; organisations are matched (skos:exactMatch)."""
    for s, p, o in links(store):
        types = {t for (t,) in select(store, f"SELECT ?t WHERE {{ <{s}> a ?t }}")}
        if p == OWL_SAME_AS:
            assert PREFIXES["schema"] + "Place" in types, (s, o)
        if p == SKOS + "exactMatch":
            assert PREFIXES["org"] + "Organization" in types, (s, o)
    # No two resources of the dataset are claimed identical to the same thing.
    same = [(s, o) for s, p, o in links(store) if p == OWL_SAME_AS]
    targets = [o for _, o in same]
    assert len(targets) == len(set(targets))


def test_the_city_links_to_wikidata(store: ox.Store) -> None:
    assert select(store, f"""
        SELECT ?p WHERE {{ <{BASE}id/org/kawasaki-city> ?p <{WD}Q164234> }}""") == [
        (SKOS + "exactMatch",)]
    assert select(store, f"""
        SELECT ?p WHERE {{ <{BASE}id/place/kawasaki> ?p <{WD}Q164234> }}""") == [
        (OWL_SAME_AS,)]


@pytest.mark.parametrize(("place", "code", "item"), [
    ("kawasaki", "141305", "Q164234"),
    ("takatsu-ward", "141348", "Q1076736"),
])
def test_local_government_codes(store: ox.Store, place: str, code: str, item: str) -> None:
    iri = f"{BASE}id/place/{place}"
    assert select(store, f"SELECT ?c WHERE {{ <{iri}> kgo:localGovernmentCode ?c }}") == [(code,)]
    assert local_government_check_digit(code) == int(code[-1])
    assert select(store, f"SELECT ?x WHERE {{ <{iri}> owl:sameAs ?x }}") == [(WD + item,)]
    assert select(store, f"SELECT ?u WHERE {{ <{iri}> kgo:externalSource ?u }}")


def test_organisations_and_places_the_text_names_are_linked(store: ox.Store) -> None:
    expected = {
        "org/unep": {WD + "Q182016", "https://ror.org/015z29x25"},
        "org/jica": {WD + "Q958590", "https://ror.org/022es3t03"},
        "org/nedo": {WD + "Q1047780", "https://ror.org/0055k7a87"},
        "org/keio-university": {WD + "Q815432", "https://ror.org/02kn6nx58"},
        "org/iges": {"https://ror.org/01sdhz737"},
        "place/shenyang": {WD + "Q11720"},
        "place/bandung": {WD + "Q10389"},
        "place/china": {WD + "Q148"},
        "place/indonesia": {WD + "Q252"},
        "law/410AC0000000117": {"https://laws.e-gov.go.jp/law/410AC0000000117"},
    }
    found: dict[str, set[str]] = {}
    for s, _, o in links(store):
        found.setdefault(s.removeprefix(BASE + "id/"), set()).add(o)
    for resource, targets in expected.items():
        assert found.get(resource) == targets, resource
