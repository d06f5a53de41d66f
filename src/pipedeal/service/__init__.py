"""The deal room: a multi-user HTTP service over the public API and the ledger (a face).

``create_app(settings, clock=...)`` builds the FastAPI application (``app``); the workspace
database holds users, grants, tokens, sessions, deals, the audit log and the outbox
(``store``); identity and roles are ``auth`` and ``security``; a deal's folder and ledger are
``deals``; event requests ``requests``; what a holder may see ``views``; notifications
``outbox``; the election deadline sweeper ``sweeper``. It holds no contract logic: every figure
comes from ``pipedeal.api``, the ledger's rules and its defaults. Documented in
``docs/service.md``; served by ``pipedeal serve``.
"""

from __future__ import annotations

from pipedeal.service.app import create_app
from pipedeal.service.settings import Settings
from pipedeal.service.sweeper import sweep_elections

__all__ = ["Settings", "create_app", "sweep_elections"]
