"""HTTP concerns every answer shares: errors, negotiation, language, security headers,
the access log, fair sharing, and the RSGI front that reads bodies without a thread."""
