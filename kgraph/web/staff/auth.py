"""Signing in to the staff area: a Bearer token for programs, a session for browsers.

* **Programs** send ``Authorization: Bearer <token>`` on every request (the
  operator token or a staff token, :mod:`kgraph.staff.accounts`).  No cookie is
  read then, and no CSRF token is needed: a browser never adds that header to a
  request another site makes.
* **Browsers** sign in once (``POST /staff/login`` with the token) and get a
  session cookie: signed with a secret made once per store (itsdangerous, as
  Flask's own sessions), ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the
  base is ``https``, limited to ``/staff``, valid for :data:`SESSION_SECONDS`.
  It names the account and the token's fingerprint, so removing a person's line
  (or giving them a new token) ends the session at its next request.  It also
  holds a CSRF token that every form posts back (``csrf``) and that is compared
  in constant time; a form without it is refused (403).

No credentials: 401 (with ``WWW-Authenticate``); a token or session that does
not sign anyone in: 403; messages in the reader's language.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...messages import Group
from ...staff.accounts import Account, Accounts
from ...staff.changes import Changes
from ..http.errors import ApiError
from ..http.fairness import _secret
from ..state import AppState, current_state

MSG = Group("staff")
COOKIE = "kgraph_staff"
SESSION_SECONDS = 8 * 3600
REALM = 'Bearer realm="kgraph staff area"'

_lock = threading.Lock()


@dataclass
class Staff:
    """What the staff area keeps per application: accounts, pending changes, the
    session signer."""

    accounts: Accounts
    folder: Path
    changes: Changes
    signer: URLSafeTimedSerializer


def staff() -> Staff:
    """This application's staff area (made on first use)."""
    found = current_app.extensions.get("kgraph.staff")
    if found is None:
        with _lock:
            found = current_app.extensions.get("kgraph.staff")
            if found is None:
                found = _make(current_state())
                current_app.extensions["kgraph.staff"] = found
    return found


def _make(state: AppState) -> Staff:
    """Pending changes and the session secret live beside the snapshots (a restarted
    server, and every worker process, finds them); without a local store, in the
    server's run directory."""
    folder = None
    if state.store_root:
        try:
            folder = Path(state.store_root) / "staff"
            folder.mkdir(exist_ok=True)
        except OSError:
            folder = None
    if folder is None:
        folder = Path(state.run_dir()) / "staff"
        folder.mkdir(exist_ok=True)
    config = state.config
    signer = URLSafeTimedSerializer(_secret(folder / "session-key"), salt="kgraph.staff.session")
    return Staff(Accounts(config.staff_accounts, config.update_token), folder,
                 Changes(folder / "changes"), signer)


# ---------------------------------------------------------------------------
# Who is asking
# ---------------------------------------------------------------------------


def account(required: bool = True) -> Account | None:
    """The signed-in account (Bearer first, else the session), or ``None`` when
    ``required`` is false; raises 401/403 otherwise.  Remembered for the request."""
    if "staff_account" in g:
        found = g.staff_account
    else:
        g.staff_account = None  # a refusal below stands for the whole request
        found = _identify()
        g.staff_account = found
    if found is None and required:
        if not staff().accounts.enabled():
            raise ApiError(403, MSG["off"])
        raise ApiError(401, MSG["credentials_missing"], headers={"WWW-Authenticate": REALM})
    return found


def _identify() -> Account | None:
    header = request.headers.get("Authorization")
    accounts = staff().accounts
    if header is not None:
        g.staff_via = "bearer"
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, MSG["credentials_missing"], headers={"WWW-Authenticate": REALM})
        found = accounts.verify(token)
        if found is None:
            raise ApiError(403, MSG["credentials_wrong"],
                           headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
        return found
    session = read_session()
    if session is None:
        return None
    found = accounts.current(str(session.get("n")), str(session.get("k")),
                             str(session.get("f")))
    if found is None:  # revoked, or a new token since: the session ends
        g.staff_clear_cookie = True
        return None
    g.staff_via = "session"
    g.staff_csrf = str(session.get("c", ""))
    return found


def read_session() -> dict | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = staff().signer.loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:  # forged, or expired (SignatureExpired is one)
        g.staff_clear_cookie = True
        return None
    return data if isinstance(data, dict) else None


def csrf_token() -> str:
    """The session's CSRF token, for forms ('' for Bearer requests)."""
    account(required=False)
    return str(getattr(g, "staff_csrf", ""))


def check_csrf() -> None:
    """A form posted with a session must carry the session's CSRF token."""
    if getattr(g, "staff_via", None) != "session":
        return
    sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token") or ""
    expected = str(getattr(g, "staff_csrf", ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(403, MSG["csrf"])


def signed_in(found: Account) -> None:
    """Start a session for ``found`` (the cookie is set on the response)."""
    g.staff_new_session = {"n": found.name, "k": found.kind, "f": found.fingerprint,
                           "c": secrets.token_urlsafe(32)}


def signed_out() -> None:
    g.staff_clear_cookie = True


def set_cookie(response: Response) -> Response:
    """Write or clear the session cookie as the request decided."""
    path = (request.script_root or "") + "/staff"
    secure = current_state().config.base.startswith("https:")
    new = getattr(g, "staff_new_session", None)
    if new is not None:
        response.set_cookie(COOKIE, staff().signer.dumps(new), max_age=SESSION_SECONDS,
                            path=path, secure=secure, httponly=True, samesite="Strict")
    elif getattr(g, "staff_clear_cookie", False):
        response.delete_cookie(COOKIE, path=path, secure=secure, httponly=True,
                               samesite="Strict")
    return response
