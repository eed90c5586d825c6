"""One module per LSP feature; each has ``register(server)`` and only reads snapshots,
except ``sync`` (document sync), the one module that changes server state."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from link_ls.server.base import LinkServer


def register_all(server: LinkServer) -> None:
    from link_ls.server.features import (
        cache,
        code_actions,
        code_lens,
        commands,
        diagnostics,
        exchange,
        history,
        hover,
        lab,
        merging,
        navigation,
        run,
        state,
        symbols,
        sync,
    )

    for mod in (sync, diagnostics, code_lens, code_actions, hover, navigation, symbols):
        mod.register(server)
    for mod in (commands, run, cache, history, merging, exchange, lab, state):
        mod.register(server)
