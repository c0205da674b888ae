"""The ontology is one others can reuse: OWL 2 DL reasoners accept it, and the data obeys it.

- HermiT (an OWL 2 DL reasoner, run through owlready2 on Java) classifies ``ontology/kgo.ttl``
  alone as it is, and the ontology together with all the shipped data: consistent, no
  unsatisfiable class.  HermiT refuses every literal whose datatype is outside the OWL 2
  datatype map, declared or not, so the data's exact dates (xsd:date, xsd:gYearMonth) are
  given to it once as plain strings of the same lexical form (an "OWL 2 view": the properties
  that carry dates range over rdfs:Literal, so nothing the reasoner checks is lost) and once as
  shipped with HermiT's ``ignoreUnsupportedDatatypes`` option (docs/data-model.md,
  "Datatypes and OWL 2 DL").  A planted contradiction shows that the reasoner sees the data.
- owlrl (OWL 2 RL, pure Python) materialises ontology and data without a contradiction.
- Every own property has a domain and a range, and the data obeys them by its asserted types.
- Vocabulary lint: every class and property IRI used in ``data/*.ttl`` and ``ontology/kgo.ttl``
  is declared in kgo.ttl or is a term that exists in one of the reused vocabularies (lists
  below, written from each vocabulary's specification).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import owlready2
import owlrl
import pytest
import rdflib
from owlrl.Namespaces import ERRNS
from rdflib.namespace import OWL, RDF, RDFS

from kgraph.dataset import parse_sources, to_rdflib
from kgraph.sources import shipped_sources

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "kgo.ttl"
BASE = "http://kgraph.test/data/"
KGO = "https://w3id.org/kgraph/ontology#"
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")

#: The OWL 2 datatype map (OWL 2 Structural Specification, section 4), plus rdf:langString,
#: the RDF 1.1 name of language-tagged strings, which OWL 2 tools accept.
OWL2_DATATYPES = {
    str(RDF.PlainLiteral), str(RDF.XMLLiteral), str(RDFS.Literal), str(RDF.langString),
    *(str(OWL[n]) for n in ("real", "rational")),
    *(str(XSD[n]) for n in (
        "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
        "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString",
        "token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary",
        "base64Binary", "anyURI", "dateTime", "dateTimeStamp",
    )),
}
#: Exact dates at the text's precision: outside the OWL 2 datatype map, declared in kgo.ttl.
DATE_TYPES = {str(XSD.date), str(XSD.gYearMonth), str(XSD.gYear)}


def java_missing() -> bool:
    import shutil

    return shutil.which(owlready2.JAVA_EXE) is None and shutil.which("java") is None


needs_java = pytest.mark.skipif(java_missing(), reason="HermiT needs a Java runtime")


@cache
def ontology_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@cache
def shipped_graph() -> rdflib.Graph:
    """Ontology and data, as the server loads them (union of the named graphs)."""
    return to_rdflib(parse_sources(shipped_sources(BASE), BASE))


def data_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle", publicID=BASE)
    return graph


def owl2_view(graph: rdflib.Graph) -> rdflib.Graph:
    """The graph with every date literal as a plain string of the same lexical form."""
    view = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and str(o.datatype) in DATE_TYPES:
            o = rdflib.Literal(str(o))
        view.add((s, p, o))
    return view


def hermit(graph: rdflib.Graph, tmp_path: Path, ignore_unsupported: bool = False) -> list:
    """Classify ``graph`` with HermiT; the unsatisfiable classes (raises if inconsistent)."""
    path = tmp_path / "kgraph.owl"
    graph.serialize(path, format="xml")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    owlready2.sync_reasoner_hermit(
        world, infer_property_values=False, debug=0,
        ignore_unsupported_datatypes=ignore_unsupported,
    )
    return [c for c in world.inconsistent_classes() if c is not owlready2.Nothing]


def planted_contradiction() -> rdflib.Graph:
    """Entry 055 typed also as a policy: plan entries and policies are disjoint."""
    graph = rdflib.Graph()
    graph.add((rdflib.URIRef(BASE + "id/plan/kawasaki-2022/entry/055"), RDF.type,
               rdflib.URIRef(KGO + "Policy")))
    return graph


# ---------------------------------------------------------------------------
# HermiT (OWL 2 DL)
# ---------------------------------------------------------------------------


@needs_java
def test_hermit_accepts_the_ontology_as_it_is(tmp_path: Path) -> None:
    assert hermit(ontology_graph(), tmp_path) == []


@needs_java
def test_hermit_finds_ontology_and_data_consistent(tmp_path: Path) -> None:
    assert hermit(owl2_view(shipped_graph()), tmp_path) == []


@needs_java
def test_hermit_finds_the_shipped_data_consistent_ignoring_date_literals(tmp_path: Path) -> None:
    assert hermit(shipped_graph(), tmp_path, ignore_unsupported=True) == []


@needs_java
def test_hermit_sees_the_data(tmp_path: Path) -> None:
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit(owl2_view(shipped_graph()) + planted_contradiction(), tmp_path)


def test_only_declared_date_types_lie_outside_the_owl2_datatype_map() -> None:
    ontology = ontology_graph()
    declared = {str(d) for d in ontology.subjects(RDF.type, RDFS.Datatype)}
    assert declared == DATE_TYPES
    used = {str(o.datatype) for o in shipped_graph().objects()
            if isinstance(o, rdflib.Literal) and o.datatype is not None}
    assert used - OWL2_DATATYPES <= DATE_TYPES
    # No axiom of the ontology names a datatype outside the map (HermiT refuses those).
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        for rng in ontology.objects(prop, RDFS.range):
            assert str(rng) in OWL2_DATATYPES, (prop, rng)
    # Fiscal years are numbers of fiscal years, not calendar years.
    for name in ("startFiscalYear", "endFiscalYear", "targetFiscalYear"):
        assert ontology.value(rdflib.URIRef(KGO + name), RDFS.range) == XSD.integer


# ---------------------------------------------------------------------------
# owlrl (OWL 2 RL materialisation)
# ---------------------------------------------------------------------------


def owl_rl_errors(graph: rdflib.Graph) -> list[str]:
    closure = rdflib.Graph()
    for triple in graph:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    return sorted(str(closure.value(m, ERRNS.error))
                  for m in closure.subjects(RDF.type, ERRNS.ErrorMessage))


def test_owl_rl_materialisation_gives_no_contradiction() -> None:
    assert owl_rl_errors(shipped_graph()) == []


def test_owl_rl_finds_a_planted_contradiction() -> None:
    errors = owl_rl_errors(shipped_graph() + planted_contradiction())
    assert any("Disjoint classes" in e and "entry/055" in e for e in errors), errors


# ---------------------------------------------------------------------------
# Domains and ranges
# ---------------------------------------------------------------------------


def own_properties() -> list[rdflib.URIRef]:
    ontology = ontology_graph()
    return sorted(
        p for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in ontology.subjects(RDF.type, kind) if str(p).startswith(KGO)
    )


def test_every_own_property_has_one_domain_and_one_range() -> None:
    ontology = ontology_graph()
    properties = own_properties()
    assert len(properties) >= 61
    for prop in properties:
        assert len(list(ontology.objects(prop, RDFS.domain))) == 1, prop
        assert len(list(ontology.objects(prop, RDFS.range))) == 1, prop
        assert (prop, RDFS.label, None) in ontology and (prop, rdflib.URIRef(
            "http://www.w3.org/2004/02/skos/core#definition"), None) in ontology, prop


def test_plan_component_is_the_superclass_of_the_plan_parts_and_is_used() -> None:
    ontology = ontology_graph()
    component = rdflib.URIRef(KGO + "PlanComponent")
    parts = {rdflib.URIRef(KGO + n)
             for n in ("BasicDirection", "Policy", "PlanEntry", "Activity", "SubActivity")}
    assert set(ontology.subjects(RDFS.subClassOf, component)) == parts
    assert len(list(ontology.subjects(RDFS.domain, component))) >= 5
    # The kinds of plan part are pairwise disjoint.
    for a in parts:
        for b in parts - {a}:
            assert (a, OWL.disjointWith, b) in ontology or (b, OWL.disjointWith, a) in ontology


#: Subclass axioms of the reused vocabularies that the data relies on (W3C ORG; schema.org's
#: type hierarchy; ELI, where a subdivision is a legal resource; FOAF; vCard).
REUSED_SUPERCLASSES = {
    "http://www.w3.org/ns/org#FormalOrganization": "http://www.w3.org/ns/org#Organization",
    "http://www.w3.org/ns/org#OrganizationalUnit": "http://www.w3.org/ns/org#Organization",
    "https://schema.org/City": "https://schema.org/AdministrativeArea",
    "https://schema.org/Country": "https://schema.org/AdministrativeArea",
    "https://schema.org/AdministrativeArea": "https://schema.org/Place",
    "https://schema.org/VideoObject": "https://schema.org/MediaObject",
    "https://schema.org/MediaObject": "https://schema.org/CreativeWork",
    "https://schema.org/QuantitativeValue": "https://schema.org/StructuredValue",
    "https://schema.org/MonetaryAmount": "https://schema.org/StructuredValue",
    "http://data.europa.eu/eli/ontology#LegalResourceSubdivision":
        "http://data.europa.eu/eli/ontology#LegalResource",
    "http://xmlns.com/foaf/0.1/Organization": "http://xmlns.com/foaf/0.1/Agent",
}


def superclasses(cls: str) -> set[str]:
    ontology = ontology_graph()
    found, todo = set(), [cls]
    while todo:
        c = todo.pop()
        if c in found:
            continue
        found.add(c)
        todo += [str(s) for s in ontology.objects(rdflib.URIRef(c), RDFS.subClassOf)]
        if c in REUSED_SUPERCLASSES:
            todo.append(REUSED_SUPERCLASSES[c])
    return found


def test_the_data_obeys_every_domain_and_range() -> None:
    """By asserted types (and subclass axioms), not by what the axioms would infer."""
    ontology, data = ontology_graph(), shipped_graph()
    problems = []

    def types(node) -> set[str]:
        return {t for c in data.objects(node, RDF.type) for t in superclasses(str(c))}

    for prop in own_properties():
        domain = str(ontology.value(prop, RDFS.domain))
        rng = str(ontology.value(prop, RDFS.range))
        for s, o in data.subject_objects(prop):
            if domain != str(OWL.Thing) and domain not in types(s):
                problems.append(("domain", prop, s))
            if rng == str(RDFS.Literal):
                ok = isinstance(o, rdflib.Literal)
            elif rng == str(RDF.langString):
                ok = isinstance(o, rdflib.Literal) and bool(o.language)
            elif rng == str(XSD.string):
                ok = isinstance(o, rdflib.Literal) and not o.language and (
                    o.datatype is None or o.datatype == XSD.string)
            elif rng in OWL2_DATATYPES:
                ok = isinstance(o, rdflib.Literal) and str(o.datatype) == rng
            elif rng == str(OWL.Thing):
                ok = isinstance(o, rdflib.URIRef)
            elif not isinstance(o, rdflib.URIRef):
                ok = False
            elif (o, RDF.type, None) in data:
                ok = rng in types(o)
            else:  # described nowhere here: only outside resources, typed by the range alone
                ok = not str(o).startswith(BASE)
            if not ok:
                problems.append(("range", prop, o))
    assert problems == []


# ---------------------------------------------------------------------------
# Vocabulary lint
# ---------------------------------------------------------------------------

#: Terms that exist in each reused vocabulary (from its specification; not exhaustive, but
#: every term listed is real, so a misspelt or invented term is caught).
VOCABULARIES: dict[str, set[str]] = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": {
        "type", "Property", "Statement", "subject", "predicate", "object", "first", "rest",
        "nil", "List", "value", "langString", "PlainLiteral", "XMLLiteral", "HTML", "JSON",
        "Alt", "Bag", "Seq",
    },
    "http://www.w3.org/2000/01/rdf-schema#": {
        "Resource", "Class", "Literal", "Datatype", "Container", "ContainerMembershipProperty",
        "subClassOf", "subPropertyOf", "domain", "range", "label", "comment", "seeAlso",
        "isDefinedBy", "member",
    },
    "http://www.w3.org/2002/07/owl#": {
        "Class", "Thing", "Nothing", "ObjectProperty", "DatatypeProperty", "AnnotationProperty",
        "FunctionalProperty", "InverseFunctionalProperty", "TransitiveProperty",
        "SymmetricProperty", "Ontology", "NamedIndividual", "Restriction", "AllDisjointClasses",
        "sameAs", "differentFrom", "equivalentClass", "equivalentProperty", "disjointWith",
        "inverseOf", "unionOf", "intersectionOf", "complementOf", "oneOf", "onProperty",
        "someValuesFrom", "allValuesFrom", "hasValue", "imports", "versionIRI", "versionInfo",
        "priorVersion", "backwardCompatibleWith", "incompatibleWith", "deprecated", "members",
    },
    "http://www.w3.org/2001/XMLSchema#": {
        "string", "boolean", "integer", "decimal", "double", "float", "date", "dateTime",
        "dateTimeStamp", "time", "duration", "gYear", "gYearMonth", "gMonth", "gDay",
        "gMonthDay", "anyURI", "positiveInteger", "nonNegativeInteger", "language", "token",
        "normalizedString",
    },
    "http://www.w3.org/2004/02/skos/core#": {
        "Concept", "ConceptScheme", "Collection", "OrderedCollection", "inScheme",
        "hasTopConcept", "topConceptOf", "prefLabel", "altLabel", "hiddenLabel", "notation",
        "note", "changeNote", "definition", "editorialNote", "example", "historyNote",
        "scopeNote", "broader", "narrower", "related", "broaderTransitive",
        "narrowerTransitive", "semanticRelation", "mappingRelation", "closeMatch",
        "exactMatch", "broadMatch", "narrowMatch", "relatedMatch", "member", "memberList",
    },
    "http://purl.org/dc/terms/": {
        "title", "alternative", "description", "abstract", "creator", "contributor",
        "publisher", "date", "created", "issued", "modified", "available", "valid",
        "identifier", "source", "isPartOf", "hasPart", "language", "license", "rights",
        "rightsHolder", "accessRights", "spatial", "temporal", "type", "conformsTo", "subject",
        "references", "isReferencedBy", "relation", "requires", "replaces", "isReplacedBy",
        "format", "bibliographicCitation", "audience", "PeriodOfTime", "LicenseDocument",
        "Location", "Agent", "AgentClass", "Standard", "RightsStatement", "MediaType",
        "LinguisticSystem", "Jurisdiction", "Frequency", "FileFormat", "ProvenanceStatement",
        "BibliographicResource", "PolicyDocument",
    },
    "http://www.w3.org/ns/prov#": {
        "Entity", "Activity", "Agent", "Organization", "Person", "SoftwareAgent", "Plan",
        "Location", "Collection", "wasDerivedFrom", "wasGeneratedBy", "wasAttributedTo",
        "used", "wasAssociatedWith", "value", "generatedAtTime", "startedAtTime",
        "endedAtTime", "hadPrimarySource", "wasQuotedFrom", "wasRevisionOf", "actedOnBehalfOf",
        "atLocation", "wasInformedBy", "specializationOf", "alternateOf", "hadMember",
    },
    "http://www.w3.org/ns/org#": {
        "Organization", "FormalOrganization", "OrganizationalUnit",
        "OrganizationalCollaboration", "Site", "Membership", "Post", "Role", "ChangeEvent",
        "subOrganizationOf", "hasSubOrganization", "transitiveSubOrganizationOf", "unitOf",
        "hasUnit", "memberOf", "hasMember", "identifier", "classification", "purpose",
        "hasSite", "siteOf", "hasPrimarySite", "hasRegisteredSite", "headOf", "linkedTo",
        "role", "member", "organization", "resultedFrom", "changedBy",
    },
    "http://data.europa.eu/eli/ontology#": {
        "LegalResource", "LegalResourceSubdivision", "LegalExpression", "Format", "Work",
        "id_local", "number", "is_part_of", "has_part", "changes", "changed_by", "amends",
        "amended_by", "date_publication", "date_document", "date_applicability", "in_force",
        "is_about", "title", "title_short", "type_document", "passed_by", "cites", "cited_by",
        "based_on", "basis_for", "is_realized_by", "realizes", "is_embodied_by", "embodies",
        "repeals", "repealed_by", "first_date_entry_in_force", "date_no_longer_in_force",
        "language", "jurisdiction", "transposes", "consolidates", "consolidated_by",
        "version", "version_date", "publisher", "publisher_agent", "rightsholder", "licence",
        "media_type", "description", "implements", "implemented_by",
    },
    "https://schema.org/": {
        "Thing", "Place", "City", "Country", "State", "AdministrativeArea", "Event",
        "CreativeWork", "MediaObject", "VideoObject", "WebPage", "Dataset", "Organization",
        "GovernmentOrganization", "CollegeOrUniversity", "Person", "Intangible",
        "StructuredValue", "QuantitativeValue", "MonetaryAmount", "Legislation", "name",
        "description", "alternateName", "identifier", "url", "sameAs", "position", "value",
        "minValue", "maxValue", "currency", "unitText", "unitCode", "containedInPlace",
        "containsPlace", "foundingDate", "dissolutionDate", "startDate", "endDate", "about",
        "publisher", "author", "dateCreated", "datePublished", "location", "address", "geo",
    },
    "http://www.w3.org/2006/time#": {
        "TemporalEntity", "Instant", "Interval", "ProperInterval", "DateTimeDescription",
        "GeneralDateTimeDescription", "hasBeginning", "hasEnd", "inXSDDate",
        "inXSDDateTimeStamp", "inXSDgYear", "inXSDgYearMonth", "year", "month", "day",
        "before", "after", "hasDuration",
    },
    "http://www.w3.org/ns/dcat#": {
        "Catalog", "Dataset", "Distribution", "DataService", "Resource", "CatalogRecord",
        "DatasetSeries", "Relationship", "Role", "contactPoint", "keyword", "theme",
        "themeTaxonomy", "distribution", "accessURL", "downloadURL", "mediaType",
        "compressFormat", "packageFormat", "byteSize", "startDate", "endDate", "landingPage",
        "dataset", "service", "catalog", "record", "endpointURL", "endpointDescription",
        "servesDataset", "temporalResolution", "spatialResolutionInMeters", "bbox",
        "centroid", "hasVersion", "inSeries", "version", "qualifiedRelation", "hadRole",
    },
    "http://rdfs.org/ns/void#": {
        "Dataset", "Linkset", "DatasetDescription", "sparqlEndpoint", "dataDump", "triples",
        "entities", "classes", "properties", "distinctSubjects", "distinctObjects",
        "vocabulary", "uriSpace", "uriRegexPattern", "classPartition", "propertyPartition",
        "class", "property", "exampleResource", "rootResource", "subset", "linkPredicate",
        "objectsTarget", "subjectsTarget", "target", "feature", "uriLookupEndpoint",
        "openSearchDescription", "inDataset",
    },
    "http://xmlns.com/foaf/0.1/": {
        "Agent", "Person", "Organization", "Group", "Document", "Image", "OnlineAccount",
        "Project", "page", "homepage", "name", "isPrimaryTopicOf", "primaryTopic", "topic",
        "made", "maker", "depiction", "mbox", "logo", "based_near", "knows", "member",
        "account", "nick", "title",
    },
    "http://www.w3.org/ns/shacl#": {
        "NodeShape", "PropertyShape", "Shape", "path", "targetClass", "targetNode",
        "targetSubjectsOf", "targetObjectsOf", "property", "node", "class", "datatype",
        "nodeKind", "minCount", "maxCount", "pattern", "in", "or", "and", "not", "message",
        "severity", "Violation", "Warning", "Info", "sparql", "select", "prefixes",
    },
    # The contact point of a DCAT dataset is a vCard (DCAT 3, dcat:contactPoint).
    "http://www.w3.org/2006/vcard/ns#": {
        "Kind", "Individual", "Organization", "Group", "Location", "Address", "fn", "hasURL",
        "hasEmail", "hasTelephone", "hasAddress", "organization-name", "hasName",
    },
    # The ontology's preferred prefix and namespace (VANN).
    "http://purl.org/vocab/vann/": {
        "preferredNamespacePrefix", "preferredNamespaceUri", "example", "changes",
        "usageNote", "termGroup",
    },
}

CLASS_POSITIONS = (RDFS.subClassOf, OWL.disjointWith, RDFS.domain, RDFS.range)
PROPERTY_POSITIONS = (RDFS.subPropertyOf,)
DECLARATIONS = (OWL.Class, RDFS.Class, RDFS.Datatype, OWL.ObjectProperty,
                OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def used_terms(graph: rdflib.Graph) -> set[str]:
    """Every class and property IRI a graph uses."""
    terms = set()
    for s, p, o in graph:
        terms.add(str(p))
        if p == RDF.type:
            terms.add(str(o))
            if o in DECLARATIONS:
                terms.add(str(s))
        if p in CLASS_POSITIONS or p in PROPERTY_POSITIONS:
            terms |= {str(x) for x in (s, o) if isinstance(x, rdflib.URIRef)}
    return terms


def split(term: str) -> tuple[str, str]:
    match = re.match(r"(.*[#/])([^#/]+)$", term)
    assert match, term
    return match.group(1), match.group(2)


def test_every_class_and_property_used_is_declared_or_a_real_reused_term() -> None:
    ontology = ontology_graph()
    declared = {str(s) for kind in DECLARATIONS for s in ontology.subjects(RDF.type, kind)}
    used = used_terms(ontology) | used_terms(data_graph())
    unknown = []
    for term in sorted(used):
        if term.startswith(KGO):
            if term not in declared:
                unknown.append(term)
            continue
        namespace, name = split(term)
        if name not in VOCABULARIES.get(namespace, set()):
            unknown.append(term)
    assert unknown == []


def test_every_own_term_used_is_declared_with_labels_and_definitions() -> None:
    ontology = ontology_graph()
    skos_definition = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")
    for term in sorted(t for t in used_terms(data_graph()) if t.startswith(KGO)):
        node = rdflib.URIRef(term)
        for prop in (RDFS.label, skos_definition):
            langs = {o.language for o in ontology.objects(node, prop)}
            assert {"ja", "en"} <= langs, (term, prop)


def test_the_lint_catches_a_misspelt_term() -> None:
    bad = rdflib.Graph()
    bad.add((rdflib.URIRef(BASE + "id/x"), rdflib.URIRef("https://schema.org/fundingDate"),
             rdflib.Literal("2020")))
    namespace, name = split(next(t for t in used_terms(bad) if "schema.org" in t))
    assert name not in VOCABULARIES[namespace]
