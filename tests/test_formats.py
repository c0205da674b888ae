"""The formats kgraph offers are pyoxigraph's (kgraph/formats.py), with its doctests."""

from __future__ import annotations

import doctest

import pyoxigraph as ox

from kgraph import formats
from kgraph.sources import FORMATS


def test_doctests() -> None:
    assert doctest.testmod(formats).failed == 0


def test_every_suffix_we_read_is_a_format_pyoxigraph_parses() -> None:
    assert FORMATS[".ttl"] == ox.RdfFormat.TURTLE and FORMATS[".owl"] == ox.RdfFormat.RDF_XML
    for suffix, format in FORMATS.items():
        assert format in formats.RDF_FORMATS, suffix
        quad = ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o"))
        data = ox.serialize([quad] if format.supports_datasets else [quad.triple], format=format)
        assert len(list(ox.parse(data, format=format))) == 1


def test_service_description_names_registry_iris() -> None:
    iris = {formats.format_iri(f) for f in (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)}
    assert all(i.startswith("http://www.w3.org/ns/formats/") for i in iris)
    assert "http://www.w3.org/ns/formats/JSON-LD" in iris
