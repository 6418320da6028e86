"""``python -m todo_cli`` is the ``todo`` command."""

from todo_cli.main import main

main()
