"""Namespaces and the patterns instance IRIs are minted by.

Vocabulary terms live in fixed namespaces that do not move with a deployment.
Instance IRIs are relative paths resolved against the configured base (see
``docs/iri-patterns.md``); data files are written with relative IRIs so that no
host name appears in them.
"""

from __future__ import annotations

import re
import unicodedata

#: The kgraph ontology (classes, properties, code lists).
KGO = "https://w3id.org/kgraph/ontology#"
ONTOLOGY_IRI = "https://w3id.org/kgraph/ontology"
ONTOLOGY_VERSION = "1.1.0"
ONTOLOGY_VERSION_IRI = f"{ONTOLOGY_IRI}/{ONTOLOGY_VERSION}"
#: The kgraph SHACL shapes.
KGS = "https://w3id.org/kgraph/shapes#"
SHAPES_IRI = "https://w3id.org/kgraph/shapes"

#: Prefixes declared for queries, pages and serialisations.
PREFIXES: dict[str, str] = {
    "kgo": KGO,
    "kgs": KGS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "schema": "https://schema.org/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "sh": "http://www.w3.org/ns/shacl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "time": "http://www.w3.org/2006/time#",
}

#: Where each kind of instance lives, relative to the base.
INSTANCE_ROOT = "id/"
GRAPH_ROOT = "graph/"


def graph_iri(base: str, area: str) -> str:
    """The named graph holding one source area (``ontology``, ``entries``, ...)."""
    return f"{base}{GRAPH_ROOT}{area}"


def plan_iri(base: str, plan: str) -> str:
    return f"{base}{INSTANCE_ROOT}plan/{plan}"


def direction_iri(base: str, plan: str, number: int) -> str:
    return f"{plan_iri(base, plan)}/direction/{number}"


def policy_iri(base: str, plan: str, number: int) -> str:
    return f"{plan_iri(base, plan)}/policy/{number}"


def entry_iri(base: str, plan: str, number: str) -> str:
    """Entries are keyed by their number zero-padded to three digits ("055")."""
    return f"{plan_iri(base, plan)}/entry/{int(number):03d}"


def activity_iri(base: str, plan: str, entry_number: str, position: int) -> str:
    return f"{entry_iri(base, plan, entry_number)}/activity/{position}"


def sub_activity_iri(
    base: str, plan: str, entry_number: str, activity: int, position: int
) -> str:
    return f"{activity_iri(base, plan, entry_number, activity)}/sub/{position}"


def leading_project_iri(base: str, plan: str, code: str) -> str:
    return f"{plan_iri(base, plan)}/leading-project/{code}"


def flag_iri(base: str, plan: str, slug: str) -> str:
    return f"{plan_iri(base, plan)}/flag/{slug}"


def programme_iri(base: str, municipality: str, slug: str) -> str:
    return f"{base}{INSTANCE_ROOT}programme/{municipality}/{slug}"


def slugify(text: str) -> str:
    """A lower-case ASCII slug: "Hydrogen Strategy & CN" -> "hydrogen-strategy-cn"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make an ASCII slug from {text!r}")
    return slug


def is_instance_iri(base: str, iri: str) -> bool:
    """Whether an IRI is one of ours, i.e. dereferenceable on this server."""
    return iri.startswith(base + INSTANCE_ROOT)
