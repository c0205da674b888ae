"""kgraph: Kawasaki City's climate plan as Linked Open Data.

The library parses the ontology, data and shapes, validates the candidate dataset
with SHACL, and only then loads it into an Oxigraph store that the web application
serves.  ``server.py`` and the ``kgraph`` command are thin entry points over it.
"""

__version__ = "0.1.0"
