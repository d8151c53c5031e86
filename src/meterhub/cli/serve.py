"""``meterhub serve``: the production web process — the portal and the ``/api/v1`` platform API under uvicorn.

The store is the deployment's (``--store`` / ``MH_STORE_URL``, else the data dir's SQLite), migrated once here;
then uvicorn starts ``--workers`` processes, each opening the store itself (:func:`site_from_env`).
TLS with ``--certfile`` and ``--keyfile`` (session cookies are then Secure). The portal's operator login is
served when ``DATA_DIR/operator.password`` exists (``meterhub demo`` writes one); the API always. Rate limits
other than the defaults: ``MH_API_BUCKETS=user=60/2,client=100/10,anonymous=30/1`` (burst / tokens a second).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from meterhub.cli.common import console, fail, open_store, settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM); with --keyfile.")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the portal and the platform API (/api/v1, docs at /api/v1/docs)."""
    import uvicorn

    from meterhub.portal.site import (
        BUCKETS_ENV,
        DEPLOYMENT_ENV,
        OPERATOR_HASH_ENV,
        STORE_ENV,
        buckets_from_env,
        deployment_from_env,
    )

    try:
        buckets_from_env(os.environ.get(BUCKETS_ENV))
        deployment_from_env(os.environ.get(DEPLOYMENT_ENV))  # where webhooks may go: production unless test/demo
    except ValueError as exc:
        fail(str(exc))
    if (certfile is None) != (keyfile is None):
        fail("give both --certfile and --keyfile for TLS, or neither")
    for f in (certfile, keyfile):
        if f is not None and not f.is_file():
            fail(f"no such file: {f}")
    store = open_store(ctx)  # refuses a missing store; migrates it once, before the workers start
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    os.environ[STORE_ENV] = url
    password_file = settings(ctx).data_dir / "operator.password"
    if password_file.exists():
        from meterhub.security.passwords import hash_password

        os.environ[OPERATOR_HASH_ENV] = hash_password(password_file.read_text().strip())
    scheme = "https" if certfile else "http"
    console.print(f"meterhub serve: {scheme}://{host}:{port}/  (API docs {scheme}://{host}:{port}/api/v1/docs)")
    uvicorn.run(
        "meterhub.cli.serve:site_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        access_log=access_log,
        log_level="warning",
    )


def site_from_env() -> FastAPI:
    """A worker's site (:func:`meterhub.portal.site.app_from_env`) with the comparison's reference profile (the H0
    table's monthly shares computed before the first request)."""
    from meterhub.country.h0 import H0
    from meterhub.portal.compare import set_reference_profile
    from meterhub.portal.site import app_from_env

    app = app_from_env()
    set_reference_profile(app, H0)
    return app


__all__ = ["serve", "site_from_env"]
