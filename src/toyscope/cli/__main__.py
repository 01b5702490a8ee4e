"""``python -m toyscope.cli``: the same as the ``toyscope`` command."""

from ._app import main

main()
