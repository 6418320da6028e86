"""Regenerate the TypeScript client's generated files from the app's OpenAPI document.

Writes ``openapi.json`` (the document ``/openapi.json`` serves) and
``src/schema.d.ts`` (its types, by ``openapi-typescript``) under
``clients/typescript``, or under ``--out DIR`` instead: the drift test
(``tests/client``) generates into a temporary folder and compares.

The document is built in process by ``todo_http.app.create_app`` (over the
composition root's container) with a throwaway configuration (in-memory
SQLite, a random secret): no server runs,
and nothing is read from the environment's token settings or from ``.env``.
``openapi-typescript`` is the one pinned in ``clients/typescript/package-lock.json``
(``npm ci`` there first; ``make client`` does both).

    make client                                         # npm ci when needed, then this
    .venv/bin/python scripts/typescript_client.py       # regenerate in place
    .venv/bin/python scripts/typescript_client.py --out /tmp/generated
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

from dependency_injector import providers

from todo_adapters.settings import load_settings
from todo_bootstrap.container import Container
from todo_http.app import create_app
from todo_http.settings import load_http_settings

CLIENT_DIR: Final = Path(__file__).resolve().parent.parent / "clients" / "typescript"
DOCUMENT: Final = Path("openapi.json")
TYPES: Final = Path("src") / "schema.d.ts"
#: The files this script writes, relative to the client's folder (or to ``--out``).
GENERATED: Final = (DOCUMENT, TYPES)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app, built in process with a throwaway configuration."""
    settings = load_settings(
        _env_file=None,
        database_url="sqlite://",
        jwt_secret=secrets.token_urlsafe(32),
        jwks_url=None,
        jwt_issuer=None,
        jwt_audience=None,
    )
    container = Container()
    container.settings.override(providers.Object(settings))
    return create_app(container, http_settings=load_http_settings(_env_file=None)).openapi()


def generate(out: Path) -> list[Path]:
    """Write the document and its TypeScript types under ``out``; return the paths written."""
    executable = CLIENT_DIR / "node_modules" / ".bin" / "openapi-typescript"
    if not executable.exists():
        raise SystemExit(
            f"{executable} is missing: run `npm ci` in {CLIENT_DIR} first (`make client` does)"
        )
    document_path = out / DOCUMENT
    types_path = out / TYPES
    types_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(openapi_document(), indent=2, ensure_ascii=False)
    document_path.write_text(text + "\n", encoding="utf-8")
    subprocess.run(  # noqa: S603 - the pinned openapi-typescript of the client's lock file
        [str(executable), str(document_path), "--output", str(types_path)],
        cwd=CLIENT_DIR,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    return [document_path, types_path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=CLIENT_DIR, help="folder to write into (default: the client)"
    )
    args = parser.parse_args(argv)
    for path in generate(args.out.resolve()):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
