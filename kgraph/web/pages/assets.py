"""Front-end libraries from npm: install them, find them, serve them.

The query page's editor (YASQE, the SPARQL editor of the YASGUI family) comes from
npm as declared in ``package.json`` / ``package-lock.json``.  ``python -m
kgraph.web.pages.assets install`` runs ``npm ci`` and copies the few built files the page
needs into ``kgraph/static/vendor/`` (git-ignored: a minified copy is never
committed).  The server serves them itself under ``/vendor/`` (no CDN), and pages
check at request time whether they are there; without them the query page falls
back to a plain text editor.

A deployment (or a test) may point ``KGRAPH_VENDOR_DIR`` elsewhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from ...config import PROJECT_ROOT, Config

#: Where ``install`` copies the files when no other directory is configured.
DEFAULT_VENDOR_DIR = PROJECT_ROOT / "kgraph" / "static" / "vendor"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class VendorFile:
    """One built file of an npm package, and where the page expects it."""

    package: str
    source: str  # relative to node_modules/
    target: str  # relative to the vendor directory


#: The files the query page uses, by role.
EDITOR_JS = VendorFile("@zazuko/yasqe", "@zazuko/yasqe/build/yasqe.min.js", "yasqe/yasqe.min.js")
EDITOR_CSS = VendorFile(
    "@zazuko/yasqe", "@zazuko/yasqe/build/yasqe.min.css", "yasqe/yasqe.min.css"
)
VENDOR_FILES: tuple[VendorFile, ...] = (EDITOR_JS, EDITOR_CSS)


class AssetError(RuntimeError):
    """npm is missing or failed, or a file to copy is not where it should be."""


def vendor_dir(config: Config | None = None) -> Path:
    """The directory the vendor files are served from."""
    configured = config.vendor_dir if config is not None else Config.from_env().vendor_dir
    return Path(configured) if configured else DEFAULT_VENDOR_DIR


def editor_installed(directory: Path) -> bool:
    """Whether the editor's files are present (checked per request: cheap stats)."""
    return all((directory / f.target).is_file() for f in (EDITOR_JS, EDITOR_CSS))


def npm_install(root: Path = PROJECT_ROOT) -> None:
    """``npm ci`` when there is a lock file (exact versions), else ``npm install``."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm is not installed; the query page will use the plain editor")
    if not (root / "package.json").is_file():
        raise AssetError(f"{root / 'package.json'}: not found")
    command = [npm, "ci"] if (root / "package-lock.json").is_file() else [npm, "install"]
    command += ["--no-audit", "--no-fund"]
    result = subprocess.run(command, cwd=root, check=False)
    if result.returncode != 0:
        raise AssetError(f"`{' '.join(command[1:])}` failed with exit code {result.returncode}")


def copy_vendor_files(root: Path = PROJECT_ROOT, target: Path = DEFAULT_VENDOR_DIR) -> list[Path]:
    """Copy the built files out of node_modules and record the package versions."""
    modules = root / "node_modules"
    copied: list[Path] = []
    versions: dict[str, str] = {}
    for item in VENDOR_FILES:
        source = modules / item.source
        if not source.is_file():
            raise AssetError(f"{source}: not found (did `npm ci` run?)")
        destination = target / item.target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(destination)
        package_json = modules / item.package / "package.json"
        versions[item.package] = json.loads(package_json.read_text())["version"]
    (target / MANIFEST).write_text(json.dumps({"packages": versions}, indent=2) + "\n")
    return copied


def install(root: Path = PROJECT_ROOT, target: Path = DEFAULT_VENDOR_DIR) -> list[Path]:
    npm_install(root)
    return copy_vendor_files(root, target)


def installed_versions(directory: Path) -> dict[str, str]:
    """Package versions recorded by the last install (empty when none)."""
    try:
        return json.loads((directory / MANIFEST).read_text())["packages"]
    except (OSError, ValueError, KeyError):
        return {}


bp = Blueprint("assets", __name__)


@bp.get("/vendor/<path:filename>")
def vendor(filename: str):
    """Serve an installed vendor file (only the ones listed in VENDOR_FILES)."""
    if filename not in {f.target for f in VENDOR_FILES}:
        abort(404)
    from ..state import current_state

    response = send_from_directory(vendor_dir(current_state().config), filename, max_age=3600)
    return response


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kgraph.web.pages.assets",
        description="Install the query page's front-end libraries from npm.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_install = sub.add_parser("install", help="npm ci, then copy the built files")
    p_install.add_argument("--target", help=f"vendor directory (default: {DEFAULT_VENDOR_DIR})")
    p_status = sub.add_parser("status", help="say whether the files are installed")
    p_status.add_argument("--target", help="vendor directory")
    args = parser.parse_args(argv)
    target = Path(args.target) if args.target else vendor_dir()
    if args.command == "status":
        if editor_installed(target):
            versions = ", ".join(f"{k} {v}" for k, v in installed_versions(target).items())
            print(f"installed in {target}: {versions}")
            return 0
        print(f"not installed in {target}; the query page uses the plain editor")
        return 1
    try:
        for path in install(PROJECT_ROOT, target):
            print(f"copied {path.relative_to(target)}")
    except AssetError as error:
        print(f"assets: error: {error}", file=sys.stderr)
        return 2
    print(f"front-end assets installed in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
