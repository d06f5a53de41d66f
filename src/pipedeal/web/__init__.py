"""The deal room in the browser: server-rendered pages over the service's API (``routes``).

``router`` is the FastAPI ``APIRouter`` the service's application includes. Documented in
``docs/web.md``.
"""

from __future__ import annotations

from pipedeal.web.routes import router

__all__ = ["router"]
