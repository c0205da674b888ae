"""The pages people and harvesters read: resources, the catalogue and dumps, the
ontology and shapes, the query and search pages, the plan picture, validation."""
