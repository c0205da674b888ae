INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> "café" } }
