"""One module per ``link-ls`` subcommand; each defines ``register(subparsers)``."""
