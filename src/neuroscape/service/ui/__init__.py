"""The web dashboard: HTML pages and their static scripts, served by the service's own application.

`router` (a FastAPI APIRouter) is mounted by `neuroscape.service.create_app`. The pages are shells: they
hold no patient data; their scripts (static files, so that the service's Content-Security-Policy can forbid
inline scripts) read everything through the REST API (/api/v1) with the session cookie that POST /ui/login
sets, and send the CSRF token (cookie `ns_csrf`) back in the `X-CSRF-Token` header of every non-GET request.
"""

from .pages import router

__all__ = ["router"]
