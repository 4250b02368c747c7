"""Chart images (``/charts/<digest>.png``) for the signed-in reader; see :mod:`..charts`."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from leadpact.entrypoints.web.routing import web_router
from leadpact.entrypoints.web.state import charts
from leadpact.entrypoints.web.viewer import ViewerDep

router = web_router()


@router.get("/charts/{digest}.png")
def chart_image(request: Request, digest: str, _viewer: ViewerDep) -> Response:
    image = charts(request).png(digest) if digest.isalnum() and len(digest) <= 64 else None
    if image is None:
        return Response(status_code=404)
    # the name is a digest of what the chart shows: the same URL always means the same picture
    return Response(image, media_type="image/png", headers={"cache-control": "private, max-age=86400"})
