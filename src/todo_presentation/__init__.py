"""What the driving adapters (HTTP, the CLI, MCP) share: the wire shapes, nothing more.

Depends only on ``todo_core``: how a task and the counts look as JSON
documents, and how a listing is read from plain string pairs (a query
string, command-line options, tool arguments), by the API's own rules.
"""
