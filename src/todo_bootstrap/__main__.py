"""``python -m todo_bootstrap --host H --port P [--workers N]``: serve the API with uvicorn.

The same as ``todo serve``, for process managers that start a module.

A server that cannot start says why, one line per problem, and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from todo_adapters.startup import ConfigurationError
from todo_bootstrap.serve import serve


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m todo_bootstrap", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--reload", action="store_true", help="restart on code changes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Check the configuration, then serve until interrupted."""
    args = build_parser().parse_args(argv)
    if not 1 <= args.port <= 65535 or args.workers < 1:
        print("error: --port must be 1-65535 and --workers at least 1", file=sys.stderr)
        return 2
    try:
        serve(host=args.host, port=args.port, workers=args.workers, reload=args.reload)
    except ConfigurationError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover - the module's purpose
    sys.exit(main())
