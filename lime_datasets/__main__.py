"""``python -m lime_datasets``: the ``lime-datasets`` command."""

from .cli import main

raise SystemExit(main())
