"""Running a decoder under the fuzzer: :class:`Fuzzer` calls it on an input, counts inputs, calls and outcomes per
family and records every exception other than :class:`DlmsError`, every hang and every failed property. No call may
hang: a CPU-time alarm (``ITIMER_VIRTUAL``) of :data:`CPU_LIMIT`, a generous hang guard and not a speed claim (speed
is measured in ``benchmarks/dlms.py``), turns an endless loop into a reported failure instead of a hung test run; the
slowest call is printed with each family's summary, for information. Every bug the fuzzer has found is fixed, each
with a regression test in ``test_fuzz_dlms_regressions.py``, so :data:`KNOWN_BUGS` is empty: a bug found and not
fixed at once would be recognised there (and reported in the test output instead of failing the run) only together
with an ``xfail(strict=True)`` test pinning it; set ``MH_FUZZ_STRICT=1`` to fail on such known bugs too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from meterhub.dlms.axdr import ArrayType, StructureType
from meterhub.dlms.axdr import decode as axdr_decode
from meterhub.dlms.errors import DecodeError, DlmsError

#: A CPU-time alarm this long stops a call that would never return (calls take micro- to milliseconds).
CPU_LIMIT = 1.0
#: For inputs holding a compact-array description of zero-size elements (known endless loop): short alarm.
KNOWN_HANG_CPU_LIMIT = 0.02
#: The alarm repeats, in case ``_Hang`` is raised (and swallowed) inside a finalizer or callback.
ALARM_REPEAT = 0.05
MIN_INPUTS_PER_FAMILY = 10_000
STRICT = os.environ.get("MH_FUZZ_STRICT") == "1"


class _Hang(BaseException):
    """Raised by the CPU-time alarm inside a decoder that does not return."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Hang


@contextlib.contextmanager
def cpu_alarm() -> Iterator[None]:
    previous = signal.signal(signal.SIGVTALRM, _on_alarm)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


@contextlib.contextmanager
def guarded(cpu_seconds: float) -> Iterator[None]:
    """Arm the CPU-time alarm around one call, with the garbage collector paused: a Python-level gc callback
    (Hypothesis installs one) running when the alarm goes off would swallow ``_Hang``."""
    enabled = gc.isenabled()
    gc.disable()
    signal.setitimer(signal.ITIMER_VIRTUAL, cpu_seconds, ALARM_REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        if enabled:
            gc.enable()


def has_zero_size_compact_description(data: bytes) -> bool:
    """True if a compact-array tag anywhere in ``data`` starts a description of elements of zero octets."""
    at = data.find(b"\x13")
    while at >= 0:
        try:
            desc, _ = axdr_decode._decode_type_description(data, at + 1, 0)
        except DecodeError:
            pass
        else:
            if _zero_size(desc):
                return True
        at = data.find(b"\x13", at + 1)
    return False


def _zero_size(desc: Any) -> bool:
    if isinstance(desc, ArrayType):
        return desc.count == 0 or _zero_size(desc.element)
    if isinstance(desc, StructureType):
        return all(_zero_size(f) for f in desc.fields)
    return False


def _frames(exc: BaseException) -> set[str]:
    return {f.name for f in traceback.extract_tb(exc.__traceback__)}


def _raised_at(exc: BaseException, function: str, text: str) -> bool:
    """True if ``exc`` was raised in ``function`` on a source line containing ``text``."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].name == function and text in (frames[-1].line or "")


#: Known bugs of src: (name, matches(decoder, input, outcome kind, exception)), recognised in the fuzz output
#: and counted instead of failing the run. All the bugs this fuzzer found are fixed (each has a regression
#: test in test_fuzz_dlms_regressions.py); a new one is added here only together with a strict xfail test.
KNOWN_BUGS: list[tuple[str, Callable[[str, bytes, str, BaseException | None], bool]]] = []


@dataclasses.dataclass
class Fuzzer:
    """Runs decoders on inputs: counts inputs per family, records every escape and hang, notes the slowest call."""

    family: str
    inputs: set[bytes] = dataclasses.field(default_factory=set)
    calls: Counter[str] = dataclasses.field(default_factory=Counter)
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    known: Counter[str] = dataclasses.field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")
    #: whether the last :meth:`run` returned (its result may be a decoded None)
    ok: bool = False

    def run(self, name: str, fn: Callable[[bytes], Any], data: bytes, shown: bytes | None = None) -> Any:
        """``fn(data)``; returns its result, or None when it raised. ``shown`` is the input to report."""
        self.inputs.add(shown if shown is not None else data)
        self.calls[name] += 1
        known_hang = any(b"\x13" in d and has_zero_size_compact_description(d) for d in (data, shown or b""))
        limit = KNOWN_HANG_CPU_LIMIT if known_hang else CPU_LIMIT
        result, kind, exc = None, "ok", None
        start = time.perf_counter()
        with guarded(limit):
            try:
                result = fn(data)
            except DlmsError:
                kind = "dlms-error"
            except _Hang:
                kind = "hang"
            except Exception as e:
                kind, exc = "escape", e
        elapsed = time.perf_counter() - start
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, f"{name} on {data[:40].hex()}")
        self.outcomes[kind] += 1
        self.ok = kind == "ok"
        if kind in ("hang", "escape"):
            self._fail(name, shown if shown is not None else data, kind, exc, elapsed)
            return None
        return result

    def check(self, name: str, data: bytes, ok: bool, what: str) -> None:
        """Record a failed property (e.g. the re-encoding fixpoint) of a successful decode."""
        if not ok:
            self._fail(name, data, "property", AssertionError(what), 0.0)

    def _fail(self, name: str, data: bytes, kind: str, exc: BaseException | None, elapsed: float) -> None:
        for bug, matches in KNOWN_BUGS:
            if not STRICT and matches(name, data, kind, exc):
                self.known[bug] += 1
                return
        what = f"{kind}: {type(exc).__name__}: {exc}"[:160] if exc else f"{kind} after {elapsed:.2f} s"
        self.failures.setdefault((name, what), data.hex()[:400])

    def assert_clean(self, min_inputs: int = MIN_INPUTS_PER_FAMILY) -> None:
        summary = (
            f"{self.family}: {len(self.inputs)} inputs, {sum(self.calls.values())} calls {dict(self.calls)}, "
            f"outcomes {dict(self.outcomes)}, slowest {self.slowest[0] * 1000:.1f} ms ({self.slowest[1]})"
        )
        print(summary)
        for bug, n in self.known.items():
            print(f"  KNOWN BUG hit {n}x: {bug}")
        report = "\n".join(f"{name} -> {what}\n    input: {hexed}" for (name, what), hexed in self.failures.items())
        assert not self.failures, f"{len(self.failures)} distinct failures\n{summary}\n{report}"
        assert len(self.inputs) >= min_inputs, summary
