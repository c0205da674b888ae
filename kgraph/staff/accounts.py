"""Who may use the staff area: the operator token, and named staff tokens, hashed at rest.

The operator's token is ``KGRAPH_UPDATE_TOKEN`` (it also authorises SPARQL Update);
its account is ``operator``.  Staff tokens live in a file the operator keeps
(``KGRAPH_STAFF_ACCOUNTS`` / ``--staff-accounts``), one line per person, made by
``kgraph staff-token NAME``::

    # name:id:scrypt:N:r:p:salt:hash
    alice:3f2a9c1b:scrypt:16384:8:1:9yq…==:Jm2…==

The token handed to the person is ``kgs_<id>_<secret>``: the ``id`` finds the line
(so a sign-in costs one scrypt, not one per account), the secret (256 random bits)
is checked against the line's salted scrypt hash in constant time.  The file holds
no secret: a copy of it signs nobody in.  Removing a line (or giving the person a
new token) ends their sessions at their next request.  Lines that cannot be read
are skipped with a warning in the server log, naming the line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("kgraph.staff")
_UNREAD = object()

#: scrypt's cost: about 50 ms and 16 MB per check (OWASP's minimum is N=2^17 with
#: r=8 for passwords; a token has 256 random bits, so no guessing is at stake).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
PREFIX = "kgs_"
#: What a staff name may be: letters (any script), digits, ``.``, ``_``, ``-``.
NAME = re.compile(r"[\w.-]{1,64}")
ID = re.compile(r"[0-9a-f]{8}")
#: The operator's account name (no staff line may take it).
OPERATOR = "operator"


class AccountError(ValueError):
    """A name or line that cannot be used."""


@dataclass(frozen=True)
class Account:
    """A signed-in person: ``kind`` operator or staff; ``fingerprint`` changes when
    their token does (a session made with the old one then ends)."""

    name: str
    kind: str
    fingerprint: str


@dataclass(frozen=True)
class _Line:
    name: str
    id: str
    n: int
    r: int
    p: int
    salt: bytes
    hash: bytes


def _hash(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=256 * r * n + (1 << 20))


def make_line(name: str) -> tuple[str, str]:
    """A new line for the tokens file and the token it accepts: ``(line, token)``."""
    check_name(name)
    token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    salt = os.urandom(16)
    digest = _hash(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    line = f"{name}:{token_id}:scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{b64(salt)}:{b64(digest)}"
    return line, f"{PREFIX}{token_id}_{secret}"


def check_name(name: str) -> None:
    if not NAME.fullmatch(name or ""):
        raise AccountError(f"{name!r}: a name is 1-64 letters, digits, '.', '_' or '-'")
    if name == OPERATOR:
        raise AccountError(f"{name!r} is the operator's account")


def parse_line(text: str) -> _Line:
    parts = text.strip().split(":")
    if len(parts) != 8 or parts[2] != "scrypt":
        raise AccountError("expected name:id:scrypt:N:r:p:salt:hash")
    name, token_id, _, n, r, p, salt, digest = parts
    check_name(name)
    if not ID.fullmatch(token_id):
        raise AccountError(f"{token_id!r} is not an id (8 hexadecimal digits)")
    try:
        cost = int(n), int(r), int(p)
        raw_salt, raw_hash = base64.b64decode(salt, validate=True), \
            base64.b64decode(digest, validate=True)
    except ValueError as error:
        raise AccountError(f"unreadable cost, salt or hash: {error}") from None
    if not (2 <= cost[0] <= 1 << 20 and 1 <= cost[1] <= 32 and 1 <= cost[2] <= 16) or \
            len(raw_hash) != 32 or len(raw_salt) < 8:
        raise AccountError("cost, salt or hash out of range")
    return _Line(name, token_id, *cost, raw_salt, raw_hash)


def merge_line(path: Path, line: str) -> None:
    """Put ``line`` into the tokens file at ``path`` (made with mode 0600), replacing
    that person's old line; written aside, then renamed into place."""
    name = line.split(":", 1)[0]
    try:
        old = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        old = ["# kgraph staff tokens: name:id:scrypt:N:r:p:salt:hash "
               "(made by `kgraph staff-token NAME`; docs/staff.md)"]
    kept = [x for x in old if x.split(":", 1)[0].strip() != name]
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(aside, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join([*kept, line]) + "\n")
    os.replace(aside, path)


class Accounts:
    """The accounts of one server: the operator token and the tokens file, re-read
    when the file changes."""

    def __init__(self, tokens_file: str | None, operator_token: str | None) -> None:
        self.path = Path(tokens_file) if tokens_file else None
        self._operator = operator_token or None
        self._lock = threading.Lock()
        self._seen: object = _UNREAD
        self._lines: dict[str, _Line] = {}
        self._by_name: dict[str, _Line] = {}
        #: Tokens checked once (by their SHA-256): the next check costs no scrypt.
        self._known: dict[bytes, Account] = {}

    def _load(self) -> None:
        """Read the file again if it changed since the last read."""
        if self.path is None:
            return
        try:
            stat = self.path.stat()
            seen = (stat.st_mtime, stat.st_size)
        except OSError:
            seen = None
        with self._lock:
            if seen == self._seen:
                return
            lines: dict[str, _Line] = {}
            by_name: dict[str, _Line] = {}
            if seen is None:
                log.warning("staff tokens file %s cannot be read: no staff accounts", self.path)
            else:
                text = self.path.read_text(encoding="utf-8", errors="replace")
                for number, raw in enumerate(text.splitlines(), 1):
                    if not raw.strip() or raw.lstrip().startswith("#"):
                        continue
                    try:
                        line = parse_line(raw)
                    except AccountError as error:
                        log.warning("%s line %d skipped: %s", self.path, number, error)
                        continue
                    if line.name in by_name or line.id in lines:
                        log.warning("%s line %d skipped: %s is given twice", self.path,
                                    number, line.name)
                        continue
                    lines[line.id], by_name[line.name] = line, line
            self._seen, self._lines, self._by_name, self._known = seen, lines, by_name, {}

    def enabled(self) -> bool:
        """Whether anyone can sign in at all."""
        self._load()
        return bool(self._operator or self._by_name)

    def verify(self, token: str) -> Account | None:
        """The account a token signs in, or ``None`` (compared in constant time)."""
        token = (token or "").strip()
        if not token or len(token) > 200:
            return None
        if self._operator and hmac.compare_digest(token.encode(), self._operator.encode()):
            return self.operator()
        self._load()
        key = hashlib.sha256(token.encode()).digest()
        found = self._known.get(key)
        if found is not None:
            return found
        match = re.fullmatch(rf"{PREFIX}([0-9a-f]{{8}})_([A-Za-z0-9_-]{{20,100}})", token)
        line = self._lines.get(match.group(1)) if match else None
        if line is None or match is None:
            return None
        digest = _hash(match.group(2), line.salt, line.n, line.r, line.p)
        if not hmac.compare_digest(digest, line.hash):
            return None
        account = Account(line.name, "staff", _fingerprint(line))
        with self._lock:
            if len(self._known) > 1000:
                self._known.clear()
            self._known[key] = account
        return account

    def operator(self) -> Account:
        digest = hashlib.sha256((self._operator or "").encode()).hexdigest()[:16]
        return Account(OPERATOR, OPERATOR, digest)

    def current(self, name: str, kind: str, fingerprint: str) -> Account | None:
        """The account a session names, if it still exists with the same token."""
        if kind == OPERATOR:
            account = self.operator() if self._operator else None
        else:
            self._load()
            line = self._by_name.get(name)
            account = Account(line.name, "staff", _fingerprint(line)) if line else None
        if account is None or not hmac.compare_digest(account.fingerprint, fingerprint):
            return None
        return account


def _fingerprint(line: _Line) -> str:
    return hashlib.sha256(line.hash + line.salt).hexdigest()[:16]
