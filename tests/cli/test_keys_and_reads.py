"""Meter keys from the deployment's key file: the file's checks (permissions, every key, line and serial in the
message), the demo writing its meters' keys there, ``meterhub hes run`` and ``meterhub read`` taking them
from it (never from the demo's derivation), ``meterhub keys show|check``, and every key error a one-line
message with no traceback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from meterhub.hes.keyfile import (
    KeyFileError,
    KeyFileProvider,
    MeterKeys,
    MissingMeterKeys,
    add_meter_keys,
    load_key_file,
    parse_key,
    write_key_file,
)
from tests.cli.conftest import SmallDemo, cli, invoke, live_fleet

EK, AK = "000102030405060708090A0B0C0D0E0F", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _no_traceback(out: str) -> None:
    assert "Traceback" not in out and "EncodeError" not in out, out


# ------------------------------------------------------------------------------------------------ the file


def test_key_file_round_trip_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "meter-keys.json"
    keys = {"M1": MeterKeys(bytes(range(16)), bytes(16)), "M2": MeterKeys(bytes(16), bytes(16), p1=b"\x11" * 16)}
    write_key_file(path, keys)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = load_key_file(path)
    assert {s: k.as_hex() for s, k in loaded.items()} == {s: k.as_hex() for s, k in keys.items()}
    assert repr(loaded["M1"]) == "MeterKeys(<secret>)" and "0001" not in repr(loaded)
    assert add_meter_keys(path, {"M3": MeterKeys(bytes(16), b"\x01" * 16)}) == 3
    assert set(load_key_file(path)) == {"M1", "M2", "M3"} and path.stat().st_mode & 0o777 == 0o600
    csv_file = _write(tmp_path / "sheet.csv", f"serial,ek,ak,vendor\nA1,{EK},{AK},acme\nA2,{EK.lower()},{AK},acme\n")
    assert load_key_file(csv_file)["A2"].ek == bytes.fromhex(EK)


def _doc(meters: dict[str, object], **top: object) -> str:
    return json.dumps({**top, "meters": meters})


M1 = {"ek": EK, "ak": AK}


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        (_doc({"M1": {"ek": "0011", "ak": AK}}), ".json",
         "line 1, meter M1: encryption key EK (GUEK) (ek) has 4 hex digits (2 octets): a suite 0 key is 16 octets"),
        (json.dumps({"meters": {"M1": M1, "M2": {"ek": EK}}}, indent=1), ".json",
         "line 7, meter M2: no authentication key AK (ak)"),
        (_doc({"M1": {"ek": EK, "ak": AK[:-2] + "ZZ"}}), ".json", "(ak) is not hexadecimal"),
        (_doc({"M1": {"ek": EK, "ak": AK + "0"}}), ".json", "an odd number of digits"),
        (_doc({"M1": {**M1, "ka": "00"}}), ".json", "unknown field(s) ka"),
        (_doc({"M1": M1})[:-2] + ', "M1": {}}}', ".json", "'M1' given twice"),
        (_doc({"M1": M1})[:-2] + ",}}", ".json", "not JSON (line 1 column"),
        ('{"keys": []}', ".json", "not a meter key file"),
        (_doc({}, suite=1), ".json", "only suite 0 (AES-128) is supported"),
        (f"serial,ek,ak\nA1,{EK},{AK}\nA2,{EK},{AK[:30]}\n", ".csv",
         "line 3, meter A2: authentication key AK (ak) has 30"),
        (f"serial,ek,ak\nA1,{EK},{AK}\nA1,{EK},{AK}\n", ".csv", "line 3: meter A1 given twice"),
        (f"serial,key\nA1,{EK}\n", ".csv", "the header must name the columns serial,ek,ak"),
    ],
)  # fmt: skip
def test_a_bad_key_file_names_the_line_and_the_meter(text: str, suffix: str, message: str, tmp_path: Path) -> None:
    path = _write(tmp_path / f"keys{suffix}", text)
    with pytest.raises(KeyFileError) as caught:
        load_key_file(path)
    assert message in str(caught.value)
    assert AK not in str(caught.value) and EK not in str(caught.value)  # never the secret itself
    # the same file through the CLI: exit 1, one line, no traceback
    r = invoke("--key-file", str(path), "keys", "check")
    assert r.exit_code == 1 and message in " ".join(r.stderr.split()), r.stderr


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "meter-keys.json"
    write_key_file(path, {"M1": MeterKeys(bytes(16), bytes(16))})
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match=r"open to group or others \(mode 0644\).*chmod 600"):
        load_key_file(path)
    r = invoke("--key-file", str(path), "keys", "show", "M1")
    assert r.exit_code == 1 and "chmod 600" in r.stderr and "0000" not in r.stdout


def test_parse_key_says_what_is_wrong_without_the_value() -> None:
    assert parse_key(EK, "ek") == bytes.fromhex(EK) and parse_key(" ".join([EK[:16], EK[16:]]), "ek")
    for text, message in (("", "is empty"), ("0g" * 16, "not hexadecimal"), ("00" * 15, "30 hex digits (15 octets)"),
                          ("0" * 33, "an odd number of digits")):  # fmt: skip
        with pytest.raises(KeyFileError, match=re.escape(message)):
            parse_key(text, "the key")


def test_provider_looks_at_the_file_again_for_a_meter_it_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "meter-keys.json"
    write_key_file(path, {"M1": MeterKeys(bytes(16), bytes(16))})
    provider = KeyFileProvider.open(path)
    assert provider.keys_for("M1").ek == bytes(16)
    with pytest.raises(MissingMeterKeys) as missing:
        provider.keys_for("M2")
    assert missing.value.kind == "keys" and "no keys for meter M2" in str(missing.value)
    add_meter_keys(path, {"M2": MeterKeys(b"\x02" * 16, bytes(16))})
    assert provider.keys_for("M2").ek == b"\x02" * 16  # no restart needed
    path.write_text("broken")  # a broken file later: the keys loaded before stay usable
    assert provider.keys_for("M1").ek == bytes(16)
    with pytest.raises(MissingMeterKeys, match="not JSON"):
        provider.keys_for("M3")


# ------------------------------------------------------------------------------------------------ the demo


def test_the_demo_writes_its_meters_keys_and_keys_show_prints_them(small_demo: SmallDemo) -> None:
    path = small_demo.data_dir / "meter-keys.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(load_key_file(path)) == set(small_demo.serials())
    serial = small_demo.serials()[0]
    r = invoke(*small_demo.args(), "keys", "show", serial, "--json")
    assert r.exit_code == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["serial"] == serial and shown["keys"] == load_key_file(path)[serial].as_hex()
    assert "warning" in r.stderr and "secret" in r.stderr
    r = invoke(*small_demo.args(), "keys", "show", serial)
    assert shown["keys"]["ek"] in r.stdout and "encryption key EK (GUEK) (ek)" in r.stdout
    r = invoke(*small_demo.args(), "keys", "check", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["store_meters_without_keys"] == [], r.stdout + r.stderr
    r = invoke(*small_demo.args(), "keys", "show", "NOPE")
    assert r.exit_code == 1 and "no keys for meter NOPE in the key file" in " ".join(r.stderr.split())


def test_hes_run_once_after_a_demo_reads_with_the_key_file(small_demo: SmallDemo, tmp_path: Path) -> None:
    """With the fleet up again, one pass reads every meter with the key file's keys (the monthly billing
    read is due after a fresh demo); the demo's fleet secret is not needed at run time."""
    data = tmp_path / "data"
    shutil.copytree(small_demo.data_dir, data)
    (data / "fleet.secret").rename(tmp_path / "fleet.secret")  # nothing can be derived at run time
    demo = SmallDemo(data, small_demo.meters, small_demo.port_base)
    fleet_dir = tmp_path / "fleet"
    fleet_dir.mkdir()
    shutil.copy(tmp_path / "fleet.secret", fleet_dir / "fleet.secret")
    with live_fleet(SmallDemo(fleet_dir, demo.meters, demo.port_base), tmp_path):
        done = cli(*demo.args(), "hes", "run", "--once", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        _no_traceback(done.stdout + done.stderr)
        runs = json.loads(done.stdout.strip().splitlines()[-1])["runs"]
        assert runs["monthly billing"] == {"ok": demo.meters, "failed": 0, "values": runs["monthly billing"]["values"]}
        assert all(r["failed"] == 0 for r in runs.values()), runs
        # a key file without one meter's keys: that meter fails (and is named up front), the others are read
        keys = load_key_file(data / "meter-keys.json")
        dropped = demo.serials()[0]
        partial = tmp_path / "partial.json"
        write_key_file(partial, {s: k for s, k in keys.items() if s != dropped})
        with _without_billing_reads(data):
            done = cli(*demo.args(), "--key-file", str(partial), "hes", "run", "--once", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 meter(s) have no keys" in " ".join(done.stderr.split()) and dropped in done.stderr
        runs = json.loads(done.stdout.strip().splitlines()[-1])["runs"]
        assert runs["monthly billing"]["ok"] == demo.meters - 1 and runs["monthly billing"]["failed"] == 1, runs


class _without_billing_reads:
    """Remove the store's billing register reads so the monthly billing read is due again."""

    def __init__(self, data_dir: Path) -> None:
        self.db = data_dir / "meterhub.sqlite"

    def __enter__(self) -> None:
        import sqlite3

        conn = sqlite3.connect(self.db)
        with conn:
            conn.execute("DELETE FROM register_read WHERE kind = 'billing'")
        conn.close()

    def __exit__(self, *exc: object) -> None:
        return None


def test_hes_run_without_a_key_file_fails_clearly(small_demo: SmallDemo, tmp_path: Path) -> None:
    absent = tmp_path / "absent.json"
    done = cli(*small_demo.args(), "--key-file", str(absent), "hes", "run", "--once")
    assert done.returncode == 1, done.stdout + done.stderr
    _no_traceback(done.stdout + done.stderr)
    assert f"no key file {absent}" in " ".join(done.stderr.split())
    r = invoke(*small_demo.args(), "hes", "run", "--once", "--json", env={"MH_KEY_FILE": str(absent)})
    assert r.exit_code == 1 and json.loads(r.stdout)["ok"] is False and "no key file" in json.loads(r.stdout)["error"]


# ------------------------------------------------------------------------------------------------ read


def test_read_takes_the_keys_from_the_key_file(small_demo: SmallDemo, tmp_path: Path) -> None:
    """``meterhub read --serial X`` needs nothing more: address from the store, keys from the key file; by
    address alone, the serial comes from the store."""
    serial = small_demo.serials()[1]
    meter = next(
        m for m in json.loads((small_demo.data_dir / "fleet.json").read_text())["meters"] if m["serial"] == serial
    )
    with live_fleet(small_demo, tmp_path):
        done = cli(*small_demo.args(), "read", "--serial", serial, "1.0.1.8.0.255", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["1.0.1.8.0.255"].endswith(" Wh")
        done = cli(*small_demo.args(), "read", "--port", str(meter["port"]), "--wport", str(meter["wport"]),
                   "1.0.1.8.0.255", "--json")  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["1.0.1.8.0.255"].endswith(" Wh")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--ek", EK[:30], "--ak", AK), 2, "the encryption key has 30 hex digits (15 octets): a suite 0 key is 16 "
         "octets, 32 hex digits"),
        (("--ek", EK, "--ak", AK + "0"), 2, "the authentication key has 33 hex digits (an odd number of digits)"),
        (("--ek", "xyz", "--ak", AK), 2, "the encryption key is not hexadecimal"),
        (("--ek", EK), 2, "--ek needs --ak too"),
        (("--ak", AK), 2, "--ak needs --ek too"),
        ((), 2, "give --serial SERIAL to take its keys from the key file, or --ek and --ak"),
        (("--serial", "NOPE"), 1, "no keys for meter NOPE in the key file"),
        (("--serial", "X", "--port", "1", "--wport", "1", "--host", "127.0.0.1"), 1, "no key file"),
        (("--port", "1", "--ek", EK, "--ak", AK, "bad-obis"), 2, "OBIS"),
    ],
)  # fmt: skip
def test_read_key_errors_are_one_line(
    small_demo: SmallDemo, tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    where = small_demo.args() if "NOPE" in args or not args else ["--data-dir", str(tmp_path / "none")]
    objects = () if "bad-obis" in args else ("1.0.1.8.0.255",)
    r = invoke(*where, "read", "--port", "1", *args, *objects)
    out = r.stdout + r.stderr
    assert r.exit_code == code, out
    assert message in " ".join(out.replace("│", " ").split()), out
    _no_traceback(out)


def test_read_with_a_short_key_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    done = cli("--data-dir", str(tmp_path), "read", "--port", "1", "--ek", "0011", "--ak", AK, "1.0.1.8.0.255")
    assert done.returncode == 2, done.stdout + done.stderr
    _no_traceback(done.stdout + done.stderr)
    assert "2 octets" in done.stderr and "16 octets" in done.stderr
    help_text = cli("read", "--help").stdout
    assert "key file" in help_text
