"""Swagger UI at /docs, with no request that leaves the service.

FastAPI's own pages load their assets from a CDN (blank offline); this one loads the copies
the `fastapi-offline` package ships, not through its app factory, which allows no
Content-Security-Policy. No /redoc: ReDoc always loads its logo from cdn.redoc.ly.
"""

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from importlib import metadata, resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"

_ASSET_MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
# The asset URLs carry the package version, so a browser may keep the files for a day and
# still fetches the new ones after an upgrade.
_ASSETS_VERSION = metadata.version("fastapi-offline")
_ASSET_CACHE_CONTROL = "public, max-age=86400"

# The page keeps a pasted token in localStorage: no other site may frame it (clickjacking)
# and it runs no script but its bundle and its one inline start-up script, allowed by hash.
# Swagger UI sets inline styles and draws its icons from data: URLs.
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' {script_hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

_SWAGGER_UI_PARAMETERS = {
    # A token pasted under "Authorize" is kept (in the browser's localStorage) across reloads.
    "persistAuthorization": True,
    # No badge that sends the document to validator.swagger.io.
    "validatorUrl": None,
}


def install_docs(app: FastAPI) -> None:
    """Serve /docs and its assets, out of the OpenAPI document; the app is created with
    `docs_url=None, redoc_url=None`."""
    assets = _static_directory()
    openapi_path = app.openapi_url or "/openapi.json"

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=root + openapi_path,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=_asset_url(root, "swagger-ui-bundle.js"),
            swagger_css_url=_asset_url(root, "swagger-ui.css"),
            swagger_favicon_url=_asset_url(root, "favicon.png"),
            swagger_ui_parameters=_SWAGGER_UI_PARAMETERS,
        )
        page.headers["Content-Security-Policy"] = _content_security_policy(bytes(page.body))
        page.headers["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors
        return page

    # Plain Starlette routes (GET and HEAD), each on a fixed path: the access log names the
    # file, and nothing else in the package directory can be reached.
    app.add_route(DOCS_PATH, swagger_ui, methods=["GET"], include_in_schema=False)
    for name, media_type in _ASSET_MEDIA_TYPES.items():
        app.add_route(
            f"{ASSETS_PATH}/{name}",
            _file_endpoint(assets / name, media_type),
            methods=["GET"],
            include_in_schema=False,
        )


def _content_security_policy(html: bytes) -> str:
    scripts = _INLINE_SCRIPT.findall(html.decode())
    digests = (base64.b64encode(hashlib.sha256(script.encode()).digest()) for script in scripts)
    hashes = " ".join(f"'sha256-{digest.decode()}'" for digest in digests)
    return _CONTENT_SECURITY_POLICY.format(script_hashes=hashes)


def _static_directory() -> Path:
    directory = Path(str(resources.files("fastapi_offline").joinpath("static")))
    missing = [name for name in _ASSET_MEDIA_TYPES if not (directory / name).is_file()]
    if missing:
        # Fail at start-up, not with a blank docs page.
        raise RuntimeError(f"fastapi-offline does not ship {missing} in {directory}")
    return directory


def _asset_url(root_path: str, name: str) -> str:
    return f"{root_path}{ASSETS_PATH}/{name}?v={_ASSETS_VERSION}"


def _file_endpoint(path: Path, media_type: str) -> Callable[[Request], Awaitable[Response]]:
    async def serve_file(_: Request) -> Response:
        return FileResponse(
            path, media_type=media_type, headers={"Cache-Control": _ASSET_CACHE_CONTROL}
        )

    return serve_file
