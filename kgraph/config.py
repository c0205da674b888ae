"""One configuration object for the library, the CLI and the web application.

Environment variables (``KGRAPH_*``) give the defaults; command-line flags override
them.  Everything that a deployment may want to change lives here and nowhere else,
so that no host name or limit is hard-coded in the code that uses it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

#: The instance base used when a deployment sets none.  It matches the default
#: address of ``python server.py`` so that a local run is dereferenceable as is.
DEFAULT_BASE = "http://localhost:8000/"

#: The project checkout (ontology/, data/, shapes/ live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"KGRAPH_{name}")
    return value if value not in (None, "") else default


def _env_list(name: str) -> list[str]:
    value = _env(name)
    if value is None:
        return []
    return [part for part in (p.strip() for p in value.replace(",", " ").split()) if part]


@dataclass
class Config:
    """Settings shared by every entry point.

    Use :meth:`from_env` to read ``KGRAPH_*`` variables; then override fields from
    command-line flags with :meth:`replace`.
    """

    base: str = DEFAULT_BASE
    host: str = "127.0.0.1"
    port: int = 8000
    #: RDF files to serve instead of the shipped sources (empty: the shipped sources).
    data: list[str] = field(default_factory=list)
    #: Directory of the on-disk store; ``None`` keeps the store in memory.
    store: str | None = None
    #: A remote SPARQL 1.1 query endpoint to serve from instead of a local store.
    sparql_backend: str | None = None
    query_timeout: float = 30.0
    workers: int = 1
    #: Query executor processes per web worker (each runs one query at a time).
    executors: int = 2
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 10_000_000
    max_rows: int = 10_000
    update_token: str | None = None
    cors_origins: str = "*"
    #: Hosts SPARQL SERVICE / LOAD may reach; empty means none.
    allowed_hosts: list[str] = field(default_factory=list)
    #: Where validation results are cached by content hash; ``None`` disables the cache.
    cache_dir: str | None = None
    log_level: str = "INFO"
    #: Where the query editor's npm assets were copied (``None``: kgraph/static/vendor).
    vendor_dir: str | None = None

    @classmethod
    def from_env(cls) -> Config:
        """Read ``KGRAPH_*`` environment variables over the defaults."""
        base = _env("BASE", DEFAULT_BASE) or DEFAULT_BASE
        return cls(
            base=base if base.endswith(("/", "#")) else base + "/",
            host=_env("HOST", "127.0.0.1") or "127.0.0.1",
            port=int(_env("PORT", "8000") or 8000),
            data=_env_list("DATA"),
            store=_env("STORE"),
            sparql_backend=_env("SPARQL_BACKEND"),
            query_timeout=float(_env("QUERY_TIMEOUT", "30") or 30),
            workers=int(_env("WORKERS", "1") or 1),
            executors=int(_env("EXECUTORS", "2") or 2),
            max_body_bytes=int(_env("MAX_BODY_BYTES", "1000000") or 1_000_000),
            max_upload_bytes=int(_env("MAX_UPLOAD_BYTES", "10000000") or 10_000_000),
            max_rows=int(_env("MAX_ROWS", "10000") or 10_000),
            update_token=_env("UPDATE_TOKEN"),
            cors_origins=_env("CORS_ORIGINS", "*") or "*",
            allowed_hosts=_env_list("ALLOWED_HOSTS"),
            cache_dir=_env("CACHE_DIR", _default_cache_dir()),
            log_level=_env("LOG_LEVEL", "INFO") or "INFO",
            vendor_dir=_env("VENDOR_DIR"),
        )

    def replace(self, **changes: object) -> Config:
        """A copy with the given fields changed; ``None`` values are ignored."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown config fields: {sorted(unknown)}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in changes.items() if v is not None})
        return Config(**values)

    def to_env(self) -> dict[str, str]:
        """The ``KGRAPH_*`` variables that reproduce this config in a child process."""
        env = {
            "KGRAPH_BASE": self.base,
            "KGRAPH_HOST": self.host,
            "KGRAPH_PORT": str(self.port),
            "KGRAPH_QUERY_TIMEOUT": str(self.query_timeout),
            "KGRAPH_WORKERS": str(self.workers),
            "KGRAPH_EXECUTORS": str(self.executors),
            "KGRAPH_MAX_BODY_BYTES": str(self.max_body_bytes),
            "KGRAPH_MAX_UPLOAD_BYTES": str(self.max_upload_bytes),
            "KGRAPH_MAX_ROWS": str(self.max_rows),
            "KGRAPH_CORS_ORIGINS": self.cors_origins,
            "KGRAPH_LOG_LEVEL": self.log_level,
        }
        if self.data:
            env["KGRAPH_DATA"] = " ".join(self.data)
        if self.store:
            env["KGRAPH_STORE"] = self.store
        if self.sparql_backend:
            env["KGRAPH_SPARQL_BACKEND"] = self.sparql_backend
        if self.update_token:
            env["KGRAPH_UPDATE_TOKEN"] = self.update_token
        if self.allowed_hosts:
            env["KGRAPH_ALLOWED_HOSTS"] = " ".join(self.allowed_hosts)
        if self.cache_dir:
            env["KGRAPH_CACHE_DIR"] = self.cache_dir
        if self.vendor_dir:
            env["KGRAPH_VENDOR_DIR"] = self.vendor_dir
        return env


def _default_cache_dir() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "kgraph")
