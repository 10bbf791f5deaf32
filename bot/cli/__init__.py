"""Entry point 2: the `tokenbot` command line, one module per command group, terminal text."""
