"""The command line, ``python -m omalizumab_core``: one module per group of commands."""
