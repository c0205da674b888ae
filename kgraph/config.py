"""The settings table: every setting once, with its variable, its flag and its meaning.

Each field of :class:`Config` is a setting; its metadata says which ``KGRAPH_*``
environment variable sets it, which ``server.py`` flag (if any) overrides that, and
what it means.  :meth:`Config.from_env`, the server's ``--help``
(:func:`add_flags`) and the README's configuration table (compared by
``tests/test_settings.py``) are all made from this one table.

>>> Config.from_env({"KGRAPH_PORT": "8001"}).base
'http://localhost:8001/'
>>> Config.from_env({"KGRAPH_BASE": "https://data.example.jp/kawasaki"}).base
'https://data.example.jp/kawasaki/'
>>> Config.from_env({"KGRAPH_BASE": "http://localhost:8000/"}).replace(port=8001).base
'http://localhost:8000/'
>>> Config.from_env({}).replace(port=8001).base
'http://localhost:8001/'
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path

#: The project checkout (ontology/, data/, shapes/ live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The base of ``python server.py`` with no settings.
DEFAULT_BASE = "http://localhost:8000/"


def setting(default: object, help: str, *, flag: bool = True, metavar: str | None = None,
            env: str | None = None, many: bool = False) -> object:
    """A field of the settings table."""
    meta = {"help": help, "flag": flag, "metavar": metavar, "env": env, "many": many}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)  # type: ignore[arg-type]
    return field(default=default, metadata=meta)


@dataclass
class Config:
    """Settings shared by every entry point (see the module docstring)."""

    base: str = setting(
        None, "base of every instance IRI, set once per deployment (default: "
        "http://localhost:PORT/, following --port)", metavar="IRI")
    host: str = setting("127.0.0.1", "address to listen on", metavar="ADDRESS")
    port: int = setting(8000, "port to listen on", metavar="PORT")
    data: list[str] = setting(
        [], "serve these RDF files instead of the shipped sources (Turtle, N-Triples, "
        "N-Quads, TriG, RDF/XML, JSON-LD; named graphs are kept)", metavar="FILE", many=True)
    store: str | None = setting(
        None, "serve an on-disk snapshot store made by `kgraph load --store DIR`, read-only; "
        "newly published snapshots are followed (default: a temporary one)", metavar="DIR")
    sparql_backend: str | None = setting(
        None, "serve from this remote SPARQL 1.1 query endpoint instead of a local store",
        metavar="URL")
    query_timeout: float = setting(
        30.0, "time budget of every query, seconds (a request may ask for less: timeout=)",
        metavar="SECONDS")
    query_memory_mb: int = setting(
        512, "memory allowance of one query; its sandbox is stopped beyond it (503)",
        metavar="MB")
    workers: int = setting(1, "server worker processes", metavar="N")
    threads: int = setting(
        32, "request threads per worker process (a quarter is kept for pages and short "
        "answers while the rest wait for sandboxes)", metavar="N")
    connections: int = setting(
        4096, "connections one worker process holds at once, waiting heads and bodies "
        "included (more wait in the listen queue; per-address limits belong to a "
        "reverse proxy)", metavar="N")
    executors: int = setting(2, "query sandboxes per worker process", metavar="N")
    validators: int = setting(1, "validation sandboxes per worker process", metavar="N")
    validation_timeout: float = setting(
        60.0, "time budget of validating one upload, seconds", metavar="SECONDS")
    validation_memory_mb: int = setting(
        1024, "memory allowance of validating one upload", metavar="MB")
    client_queries: int = setting(
        2, "queries and updates one client may run at a time (one more: 429)", metavar="N")
    proxy_hops: int = setting(
        0, "reverse proxies in front of the server whose X-Forwarded-For is trusted "
        "(to tell clients apart)", metavar="N")
    header_timeout: float = setting(
        10.0, "a client must send its whole request head within this many seconds",
        metavar="SECONDS")
    body_timeout: float = setting(
        30.0, "a client must send its whole request body within this many seconds (408)",
        metavar="SECONDS")
    min_read_rate: int = setting(
        65_536, "a client must take a large answer at this many bytes a second or better "
        "(at least twice --body-timeout is allowed); past that the answer is cut",
        metavar="BYTES")
    max_body_bytes: int = setting(
        1_000_000, "request body limit at /sparql (413 beyond)", metavar="BYTES")
    max_upload_bytes: int = setting(
        10_000_000, "upload limit of /validation (413 beyond)", metavar="BYTES")
    max_rows: int = setting(
        10_000, "result row cap (a cut result carries X-SPARQL-MaxRows)", metavar="N")
    max_result_bytes: int = setting(
        32_000_000, "result size cap: an answer is cut at the rows that fit (it carries "
        "X-SPARQL-MaxRows)", metavar="BYTES")
    cors_origins: str = setting("*", "CORS origins for /sparql, space- or comma-separated",
                                metavar="ORIGINS")
    allowed_hosts: list[str] = setting(
        [], "hosts SPARQL SERVICE and LOAD may reach (none by default)", metavar="HOST",
        many=True)
    update_token: str | None = setting(
        None, "operator token for SPARQL Update (Authorization: Bearer …); unset: updates "
        "are off. Environment only, so that it never shows in a process list", flag=False)
    staff_accounts: str | None = setting(
        None, "file of the staff area's accounts (/staff): one line per person with a "
        "hashed token, made by `kgraph staff-token NAME` (docs/staff.md); the operator "
        "token signs in too", metavar="FILE")
    cache_dir: str | None = setting(
        None, "where validation reports are cached by content hash (default: "
        "$XDG_CACHE_HOME/kgraph or ~/.cache/kgraph)", flag=False)
    cache_max_mb: int = setting(
        256, "size cap of the validation report cache; the least recently used reports "
        "are evicted beyond it", flag=False)
    run_dir: str | None = setting(
        None, "where the server keeps its run-time files, such as the per-client slots "
        "(default: a temporary directory)", flag=False)
    shacl_engine: str = setting(
        "pyshacl", "SHACL engine: pyshacl, or turbo (pyshacl-turbo, the opt-in extra "
        "kgraph[turbo]: the same reports, 10-100x faster on large data)", flag=False)
    network_isolation: str = setting(
        "auto", "how sandboxes are cut off from the network: auto (network namespace and "
        "seccomp, whichever work), seccomp (seccomp only), off (act as if nothing worked: "
        "SERVICE and LOAD are then refused); for tests and diagnosis", flag=False)
    log_level: str = setting("INFO", "log level (DEBUG, INFO, WARNING, ERROR)", metavar="LEVEL")
    vendor_dir: str | None = setting(
        None, "where the query editor's npm assets are served from (default: "
        "kgraph/static/vendor)", flag=False)

    def __post_init__(self) -> None:
        # Whether the base follows host and port (it was not set): not a setting.
        object.__setattr__(self, "_base_follows", not self.base)
        if not self.base:
            self.base = default_base(self.host, self.port)
        elif not self.base.endswith(("/", "#")):
            self.base += "/"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read ``KGRAPH_*`` variables over the defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for item in settings():
            raw = environ.get(env_name(item))
            if raw not in (None, ""):
                values[item.name] = convert(item, raw)
        if "cache_dir" not in values:
            values["cache_dir"] = default_cache_dir(environ)
        return cls(**values)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Config:
        """A copy with the given fields changed; ``None`` values are ignored.  The
        base follows a new host or port unless it was set."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown config fields: {sorted(unknown)}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in changes.items() if v is not None})
        if getattr(self, "_base_follows", False) and changes.get("base") is None:
            values["base"] = None
        return Config(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The ``KGRAPH_*`` variables that reproduce this config in a child process."""
        env = {}
        for item in settings():
            value = getattr(self, item.name)
            if value is None or value == []:
                continue
            env[env_name(item)] = " ".join(value) if isinstance(value, list) else str(value)
        return env


def settings() -> Iterator[Field]:
    """The rows of the settings table, in order."""
    yield from fields(Config)


def env_name(item: Field) -> str:
    return item.metadata.get("env") or f"KGRAPH_{item.name.upper()}"


def flag_name(item: Field) -> str | None:
    return "--" + item.name.replace("_", "-") if item.metadata.get("flag") else None


def default_of(item: Field) -> object:
    if item.default is not MISSING:
        return item.default
    return item.default_factory()  # type: ignore[misc]


def convert(item: Field, raw: str) -> object:
    """A setting's value from its text (an environment variable)."""
    if item.metadata.get("many"):
        return [part for part in raw.replace(",", " ").split() if part]
    kind = type(default_of(item)) if default_of(item) is not None else str
    try:
        return kind(raw) if kind in (int, float) else raw
    except ValueError:
        raise SettingError(f"{env_name(item)}={raw!r}: not a number") from None


class SettingError(ValueError):
    """A setting whose value cannot be used."""


def default_base(host: str, port: int) -> str:
    """The base a local server is reachable at: loopback and any-address listeners
    are reached as ``localhost``."""
    name = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "::1", "") else host
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}/"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    root = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "kgraph")


def add_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting that has one, its help naming the variable and default."""
    for item in settings():
        flag = flag_name(item)
        if flag is None:
            continue
        default = default_of(item)
        kind = type(default) if isinstance(default, int | float) else str
        shown = "" if default in (None, []) else f"; default {default}"
        parser.add_argument(
            flag,
            dest=item.name,
            type=kind,
            nargs="+" if item.metadata.get("many") else None,
            metavar=item.metadata.get("metavar"),
            help=f"{item.metadata['help']} (env {env_name(item)}{shown})",
        )


def from_flags(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    """The environment's config with the flags that were given on top."""
    config = Config.from_env(environ)
    return config.replace(**{item.name: getattr(args, item.name, None)
                             for item in settings() if flag_name(item)})


def markdown_table() -> str:
    """The settings table as the README shows it (``tests/test_settings.py`` compares)."""
    rows = ["| variable | flag | default | meaning |", "|---|---|---|---|"]
    for item in settings():
        flag = flag_name(item)
        default = default_of(item)
        shown = "none" if default in (None, []) else f"`{default}`"
        meaning = str(item.metadata["help"]).replace("|", "\\|")
        rows.append(f"| `{env_name(item)}` | {f'`{flag}`' if flag else '(environment only)'} "
                    f"| {shown} | {meaning} |")
    return "\n".join(rows) + "\n"
