"""The web process's application: the portal pages (when an operator login is configured) with the platform API
mounted at ``/api/v1`` — what ``meterhub serve`` and ``meterhub demo`` run.

:func:`create_site` builds it over an open store. :func:`app_from_env` is the factory each uvicorn worker calls
(``meterhub serve --workers N`` starts the workers as separate processes): it opens the store named by
``MH_SERVE_STORE_URL`` without migrating (the serve command migrated it once before starting them), reads the
operator's argon2id hash from ``MH_SERVE_OPERATOR_HASH`` if set, and rate limits other than the defaults from
``MH_API_BUCKETS``, sends notification e-mails where ``MH_SMTP_URL`` or ``MH_OUTBOX_DIR`` say
(:mod:`meterhub.api.notify`), and takes the deployment (where webhooks may go, :mod:`meterhub.api.egress`) from
``MH_DEPLOYMENT``. Everything a worker keeps between requests —
sessions, login throttles, rate limits — is in the store, so the workers agree.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from meterhub.api.app import PREFIX, create_api
from meterhub.api.auth import Settings
from meterhub.api.egress import DEPLOYMENTS, Deployment, Egress
from meterhub.api.notify import Mailer, mailer_from_env
from meterhub.security.throttle import BucketPolicy
from meterhub.store import Store

STORE_ENV = "MH_SERVE_STORE_URL"
OPERATOR_HASH_ENV = "MH_SERVE_OPERATOR_HASH"
BUCKETS_ENV = "MH_API_BUCKETS"
"""Rate limits other than the defaults: ``user=60/2,client=100/10,anonymous=30/1`` (burst / tokens a second)."""


def buckets_from_env(text: str | None) -> dict[str, BucketPolicy]:
    """``{"user_bucket": …}`` from :data:`BUCKETS_ENV`'s text; ValueError naming what is wrong."""
    out: dict[str, BucketPolicy] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.strip().partition("=")
        burst, _, rate = value.partition("/")
        if name not in ("user", "client", "anonymous"):
            raise ValueError(f"{BUCKETS_ENV}: unknown bucket {name!r} (user, client, anonymous)")
        try:
            out[f"{name}_bucket"] = BucketPolicy(float(burst), float(rate))
        except ValueError:
            raise ValueError(f"{BUCKETS_ENV}: {item!r} is not NAME=BURST/RATE with positive numbers") from None
    return out


DEPLOYMENT_ENV = "MH_DEPLOYMENT"
"""``production`` (the default), ``test`` or ``demo``: only the last two let webhooks go to http://127.0.0.1."""


def deployment_from_env(text: str | None) -> Deployment:
    """The deployment named by :data:`DEPLOYMENT_ENV` (empty: production); ValueError for another name."""
    value = (text or "production").strip()
    for d in DEPLOYMENTS:
        if d == value:
            return d
    raise ValueError(f"{DEPLOYMENT_ENV}: {value!r} is not one of {', '.join(DEPLOYMENTS)}")


def _now() -> datetime:
    return datetime.now(UTC)


def create_site(
    store: Store,
    *,
    operator_password_hash: str | None = None,
    demo_note: str = "",
    demo_status: Callable[[], str] | None = None,
    clock: Callable[[], datetime] = _now,
    buckets: dict[str, BucketPolicy] | None = None,
    mailer: Mailer | None = None,
    egress: Egress | None = None,
) -> FastAPI:
    """The portal (the store's people; also the first portal's operator if ``operator_password_hash``) with the
    API mounted at ``/api/v1``, on the same login settings; ``buckets`` (``user_bucket``, ``client_bucket``,
    ``anonymous_bucket``) replace the default rate limits; ``mailer`` is where notification e-mails go (None: the
    one :func:`~meterhub.api.notify.mailer_from_env` names, if any)."""
    from meterhub.portal.app import create_app

    settings = Settings(store, clock, **(buckets or {}), mailer=mailer or mailer_from_env(), egress=egress or Egress())
    app = create_app(
        store,
        operator_password_hash=operator_password_hash,
        demo_note=demo_note,
        demo_status=demo_status,
        settings=settings,
    )
    app.mount(PREFIX, create_api(store, clock=clock, settings=settings))
    return app


def app_from_env() -> FastAPI:
    """The site of one uvicorn worker (see the module docstring)."""
    url = os.environ.get(STORE_ENV)
    if not url:
        raise RuntimeError(f"{STORE_ENV} is not set: start the web process with 'meterhub serve'")
    store = Store.open(url, migrate=False)
    buckets = buckets_from_env(os.environ.get(BUCKETS_ENV))
    return create_site(
        store,
        operator_password_hash=os.environ.get(OPERATOR_HASH_ENV) or None,
        buckets=buckets,
        egress=Egress(deployment_from_env(os.environ.get(DEPLOYMENT_ENV))),
    )


__all__ = [
    "BUCKETS_ENV",
    "DEPLOYMENT_ENV",
    "OPERATOR_HASH_ENV",
    "STORE_ENV",
    "app_from_env",
    "buckets_from_env",
    "create_site",
    "deployment_from_env",
]
