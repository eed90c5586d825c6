"""``python -m link_ls``: the same as the ``link-ls`` command."""

from __future__ import annotations

from link_ls.cli import run

if __name__ == "__main__":
    run()
