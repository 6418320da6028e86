"""A driving adapter: the use cases as Model Context Protocol tools for AI assistants.

Beside ``todo_http`` and ``todo_cli``, never importing them: the tools
(``tools``) parse their arguments (``arguments``, ``fields``), call one use
case and shape the reply with ``todo_presentation``; ``server`` puts them on
the official SDK's FastMCP; ``http`` serves them over streamable HTTP behind
the API's bearer check, ``stdio`` for a local assistant. Only the composition
root (``todo_bootstrap``) imports this package.
"""
