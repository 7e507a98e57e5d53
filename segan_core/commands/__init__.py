"""Command groups of the ``segan`` CLI; each module exposes ``register(subparsers)``."""
