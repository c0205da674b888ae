"""Rendering an HTML page with the headers every page carries.

Pages are Jinja2 templates extending ``base.html`` (autoescaped).  They load no
script and no inline style, so they work under the strict Content-Security-Policy
set here; JSON-LD in ``<script type="application/ld+json">`` is data, not script.
Other blueprints may use :func:`html_page` for their own pages.
"""

from __future__ import annotations

from flask import Response, make_response, render_template

#: No inline script anywhere; styles and images from this server only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def html_page(template: str, status: int = 200, **context: object) -> Response:
    """A rendered page with the security headers (a page may set a different CSP)."""
    response = make_response(render_template(template, **context), status)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
