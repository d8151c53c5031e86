"""``meterhub p1 read``: the household's P1 reader — decrypt and check every telegram, print it, and optionally
publish it to MQTT, show it on a live page and forward it (with consent) to the platform."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from meterhub.cli.common import hex_key

if TYPE_CHECKING:
    from meterhub.p1.reader import ReaderServices
    from meterhub.p1.receiver import FrameRejected, Reading

app = typer.Typer(help="The P1 customer port: read the meter's encrypted telegrams at home.", no_args_is_help=True)
console = Console(stderr=True)


class _Printer:
    """A sink that prints each reading: one JSON line (``--json``) or a short human line."""

    def __init__(self, as_json: bool, quiet: bool) -> None:
        self.as_json = as_json
        self.quiet = quiet

    def publish(self, reading: Reading) -> None:
        if self.quiet:
            return
        if self.as_json:
            from meterhub.p1.records import reading_record

            print(json.dumps({"type": "reading", **reading_record(reading)}), flush=True)
            return
        t = reading.telegram
        gas = next((m for m in t.mbus if m.device_type == 3), None)
        gas_text = f", gas {gas.value / 1000:.3f} m³" if gas is not None and gas.value is not None else ""
        when = t.timestamp.isoformat() if t.timestamp else "?"
        console.print(
            f"{when} #{reading.frame_counter}: import {t.power_import_w} W, export {t.power_export_w} W, "
            f"A+ {(t.energy_import_wh or 0) / 1000:.3f} kWh{gas_text}",
            highlight=False,
            soft_wrap=True,
        )


@app.command("read")
def read(
    source: Annotated[str, typer.Option(help="Serial device (/dev/ttyUSB0, a pty), tcp://HOST:PORT, or a file.")],
    key: Annotated[
        str,
        typer.Option(help="The meter's P1 key, 32 hex digits (from your DSO).", envvar="MH_P1_KEY", show_default=False),
    ],
    mqtt: Annotated[
        str | None,
        typer.Option(help="Publish to this MQTT broker: mqtt://[user:pass@]HOST[:PORT].", envvar="MH_P1_MQTT_URL"),
    ] = None,
    topic_prefix: Annotated[str, typer.Option(help="MQTT topic prefix.")] = "meterhub/p1",
    http_port: Annotated[int | None, typer.Option(help="Serve the live page on this port (0: any free port).")] = None,
    http_host: Annotated[str, typer.Option(help="Address of the live page.")] = "127.0.0.1",
    forward: Annotated[
        str | None, typer.Option(help="Forward readings to the platform at this URL (needs --consent).")
    ] = None,
    consent: Annotated[
        bool, typer.Option("--consent", help="I consent to my readings being sent to the --forward URL.")
    ] = False,
    forward_every: Annotated[float, typer.Option(help="Seconds between two forwarded batches.")] = 60.0,
    forward_token: Annotated[
        str | None,
        typer.Option(
            help="Authenticate the forwarding as you: the session token (the mh_session cookie) of your platform "
            "login.",
            envvar="MH_P1_FORWARD_TOKEN",
            show_default=False,
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            help="Keep the last frame counter per meter in this file: a restarted reader still refuses replays."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines: started, reading, rejected, stats.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Do not print readings (counters still at the end).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every rejection and skipped byte run.")] = False,
) -> None:
    """Read P1 frames: find them in the byte stream (resynchronising after garbage), verify tag and CRC, refuse
    frame counters that do not increase, print the readings; a file is read to its end, devices and TCP forever."""
    from meterhub.p1.reader import CounterFile, ReaderServices, serve
    from meterhub.p1.sources import parse_source

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    secret = hex_key(key, "--key", "the P1 key")
    if forward and not consent:
        raise typer.BadParameter(
            "forwarding needs the household's explicit consent: add --consent", param_hint="--forward"
        )
    if consent and not forward:
        raise typer.BadParameter("--consent is only meaningful with --forward URL", param_hint="--consent")
    if forward_token and not forward:
        raise typer.BadParameter("--forward-token is only meaningful with --forward URL", param_hint="--forward-token")
    headers: dict[str, str] = {}
    if forward_token:
        from meterhub.p1.forward import session_headers

        try:
            headers = session_headers(forward_token)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--forward-token") from None
    try:
        src = parse_source(source)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--source") from None
    if state is not None:
        try:
            CounterFile(state)
        except (ValueError, OSError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--state") from None
    services = ReaderServices(
        http_host=http_host,
        http_port=http_port,
        mqtt_url=mqtt,
        mqtt_prefix=topic_prefix,
        forward_url=forward,
        consent=consent,
        forward_every_s=forward_every,
        forward_headers=headers,
        state_path=state,
        extra_sinks=[_Printer(as_json, quiet)],
    )

    def started(s: ReaderServices) -> None:
        info: dict[str, Any] = {"type": "started", "source": src.description}
        if s.bound_http_port is not None:
            info["http"] = f"http://{s.http_host}:{s.bound_http_port}/"
        if s.mqtt_url:
            info["mqtt_prefix"] = s.mqtt_prefix
        if s.forward_url:
            info["forward"] = s.forward_url
        if as_json:
            print(json.dumps(info), flush=True)
        else:
            console.print(f"reading {src.description}" + (f", live page {info['http']}" if "http" in info else ""))

    def rejected(event: FrameRejected) -> None:
        if as_json and not quiet:
            print(json.dumps({"type": "rejected", "reason": event.reason, "detail": event.detail}), flush=True)

    holder: dict[str, Any] = {}

    async def run() -> None:
        holder["stats"] = await serve(secret, src, services, on_started=started, on_rejected=rejected)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        console.print(f"[red]P1 reader stopped:[/red] {exc}")
        raise typer.Exit(2) from None
    stats = holder.get("stats") or (services.reader.stats if services.reader is not None else None)
    if stats is None:
        return
    if as_json:
        print(json.dumps({"type": "stats", **stats.as_dict()}), flush=True)
    else:
        console.print(
            "counters: " + ", ".join(f"{k} {v}" for k, v in stats.as_dict().items()), highlight=False, soft_wrap=True
        )
    sys.stdout.flush()
