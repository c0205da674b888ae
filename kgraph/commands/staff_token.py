"""``kgraph staff-token NAME``: a sign-in token for one person, and its line for the
staff tokens file (``KGRAPH_STAFF_ACCOUNTS``; format in :mod:`kgraph.staff.accounts`).

Without ``--file`` the line goes to stdout (``kgraph staff-token alice >>
/srv/kgraph/staff-accounts``) and the token, with what to do with it, to stderr; with
``--file`` the line is put into that file (replacing the person's old line: their
old token stops working) and the token is printed.  The token is shown once and
kept nowhere: the file holds only its salted scrypt hash.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_OK, fail
from ..config import Config
from ..messages import text
from ..staff.accounts import AccountError, make_line, merge_line


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "staff-token",
        help="make a token for the staff area (/staff): prints the tokens file's line "
        "and the token",
    )
    p.add_argument("name", help="who it is for (letters, digits, '.', '_', '-')")
    p.add_argument("--file", help="put the line into this tokens file (replacing NAME's "
                   "old line) instead of printing it")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        line, token = make_line(args.name)
    except AccountError:
        return fail(args, text("staff.bad_name", args.lang, name=args.name))
    if args.file:
        merge_line(Path(args.file), line)
        print(text("staff.token_written", args.lang, path=args.file, name=args.name),
              file=sys.stderr)
        print(token)
        return EXIT_OK
    print(line)
    print(text("staff.token_line", args.lang, name=args.name), file=sys.stderr)
    print(token, file=sys.stderr)
    return EXIT_OK
