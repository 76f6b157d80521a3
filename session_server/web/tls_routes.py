"""``GET /ca.crt``: the generated LAN certificate authority, for tablets to trust.

When ``session-server serve --https`` made its own certificate
(``session_server/tls.py``), a tablet installs this CA certificate once
(``docs/https.md``) and then trusts the server. The certificate is public
information; its key never leaves the server. Without a generated
certificate (plain HTTP, or a certificate given with ``--cert``) the route
answers 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from session_server.web.registry import Registry

__all__ = ["CA_MEDIA_TYPE", "ca_certificate", "routes"]

CA_MEDIA_TYPE = "application/x-x509-ca-cert"
"""What Android and iOS recognise as a CA certificate to install."""


async def ca_certificate(request: Request) -> Response:
    """The generated CA certificate (PEM) as a download, else 404."""
    registry: Registry = request.app.state.registry
    configured = registry.settings.tls_ca_cert
    if configured:
        try:
            body = Path(configured).read_bytes()
        except OSError:
            body = b""
        if body:
            return Response(
                body,
                media_type=CA_MEDIA_TYPE,
                headers={
                    "Content-Disposition": 'attachment; filename="session-server-ca.crt"',
                },
            )
    raise HTTPException(404)


routes: list[BaseRoute] = [Route("/ca.crt", ca_certificate, methods=["GET"])]
