"""``meterhub webhooks deliver``: run the webhook sweeps (consents whose end passed → ``consent.expired``; interval
data written since each subscription's watermark → ``data.new`` for the points and windows its party may see,
:mod:`meterhub.api.sweeps`), then send the market parties' deliveries that are due (the queue is in the store, so
any number of these may run, on any host); ``--once`` sweeps and sends what is due now and stops, otherwise it
keeps polling every ``--every`` seconds. Deliveries go through the SSRF guard (:mod:`meterhub.api.egress`: https
to public addresses, checked again at connect time; ``--deployment test|demo`` also lets http to 127.0.0.1
through); redirects are not followed. Failed deliveries are retried with backoff
(:mod:`meterhub.api.webhooks`). Each poll also sends the e-mails of consents that reached their end, where
``MH_SMTP_URL`` or ``MH_OUTBOX_DIR`` say (:func:`meterhub.api.notify.notify_expired`)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from meterhub.cli.common import console, open_store

app = typer.Typer(help="Webhooks to market parties: send the deliveries that are due.", no_args_is_help=True)


@app.command("deliver")
def deliver(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then stop.")] = False,
    every: Annotated[float, typer.Option(min=0.5, max=3600, help="Seconds between polls.")] = 10.0,
    timeout: Annotated[float, typer.Option(min=0.5, max=120, help="Seconds to wait for an endpoint.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per run.")] = False,
    deployment: Annotated[
        str,
        typer.Option(
            envvar="MH_DEPLOYMENT",
            help="production (https to public addresses only), or test / demo (http to 127.0.0.1 allowed too).",
        ),
    ] = "production",
) -> None:
    """Sweep for new data and expired consents, send the due webhook deliveries (retries included) and record each
    outcome in the store."""
    from datetime import UTC, datetime

    from meterhub.api.egress import Egress, guarded_client
    from meterhub.api.notify import mailer_from_env, notify_expired
    from meterhub.api.sweeps import sweep
    from meterhub.api.webhooks import deliver_due
    from meterhub.portal.site import deployment_from_env

    try:
        egress = Egress(deployment_from_env(deployment))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--deployment") from None

    store = open_store(ctx, as_json=as_json)
    mailer = mailer_from_env()
    try:
        with guarded_client(egress, timeout) as client:
            while True:
                now = datetime.now(UTC)
                swept = sweep(store, now)
                mailed = notify_expired(store, mailer, now)
                done = deliver_due(store, client, now)
                if as_json:
                    print(json.dumps({"at": now.isoformat(), "data_new": swept.data_new, "expired": swept.expired,
                                      "expiry_mails": mailed, "delivered": done.delivered, "retrying": done.retrying,
                                      "given_up": done.given_up}))  # fmt: skip
                elif once or done.delivered or done.retrying or done.given_up or swept.data_new or swept.expired:
                    console.print(
                        f"{now:%H:%M:%S} queued {swept.data_new} data.new, {swept.expired} consent.expired "
                        f"({mailed} told by e-mail); delivered {done.delivered}, to retry {done.retrying}, "
                        f"gave up {done.given_up}"
                    )
                if once:
                    return
                time.sleep(every)
    except KeyboardInterrupt:
        return
    finally:
        store.close()
