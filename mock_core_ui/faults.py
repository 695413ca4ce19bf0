"""Faults on demand: what real core systems do to a bot, switched on for tests.

Everything is off by default. Settings come from the command line at start-up
(``python -m mock_core_ui --latency-ms …``) and can be changed at run time through the
operator's ``/_admin/faults`` endpoint (``faults_admin.py``) or ``faults_cli.py``. The
semantics and texts are documented in ``docs/mock-core-faults.md``.

The hooks installed here act on every subsystem (子育て pages, ``/kaigo``, ``/boshi``) in
one place: latency and the maintenance window before a request is dispatched, the お知らせ
modal after. Session expiry after N requests lives in ``security.py`` beside the idle
time-out it reuses; register failures are asked for by each register handler through
:func:`register_should_fail`, before it writes anything.

The names below (``FaultSettings`` and its fields, ``install``, ``faults``,
``register_should_fail``, ``layout_variant``, ``form_served``,
``form_is_stale``) are the API the subsystems call: keep them. Every fault applied is
counted per kind (``GET /_admin/faults/injected``), so a test can tell that it happened.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.wrappers import Response

from .notice import inject_notice, notice_html

log = logging.getLogger("mock_core_ui.faults")

FAULTS_KEY = "mock_core_faults"
RUNTIME_KEY = "mock_core_faults_runtime"

# JSON APIs (answered with JSON, never given the お知らせ modal, 401 instead of a redirect).
API_PREFIXES: tuple[str, ...] = ("/boshi/api/",)
# Operator and test endpoints: no latency, no maintenance, no modal, no session counting.
EXEMPT_PREFIXES: tuple[str, ...] = ("/_admin/", "/_testing/")
EXEMPT_PATHS = frozenset({"/healthz"})

LATENCY_HEADER = "X-Mock-Latency-Ms"
DEFAULT_REOPEN = dt.time(6, 0)  # when the nightly batch ends if no window says otherwise
MAINTENANCE_TEXT = "システムはただいま夜間バッチ処理中です。{reopen}以降に再度ご利用ください。"

_WINDOW_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


@dataclass
class FaultSettings:
    """Current fault settings; all off by default."""

    latency_ms: int = 0  # added to every response
    latency_jitter_ms: int = 0  # plus a random 0..jitter
    register_500_rate: float = 0.0  # share of register POSTs answered 500, before any write
    session_expiry_after: int | None = None  # a session dies after this many requests
    maintenance: bool = False  # every screen answers 503 (the nightly batch)
    notice_rate: float = 0.0  # share of HTML pages that open the お知らせ modal
    variants: dict[str, str] = field(default_factory=dict)  # subsystem → layout variant
    maintenance_window: str | None = None  # "HH:MM-HH:MM" local time, may cross midnight
    seed: int | None = None  # seeds the fault RNGs (reproducible sequential runs)
    # subsystem → variant it switches to right after it next serves its entry form: the
    # vendor update lands while a clerk has the form open (see form_served, form_is_stale)
    switch_after_form: dict[str, str] = field(default_factory=dict)


class FaultSettingsError(ValueError):
    """A setting given to the admin endpoint, the CLI or ``create_app`` is not valid."""


# --- the maintenance window (pure functions: tested with fixed times) ---


def parse_window(text: str) -> tuple[dt.time, dt.time]:
    """``"22:00-06:00"`` → (start, end); start inclusive, end exclusive; may cross midnight."""
    match = _WINDOW_RE.fullmatch(text.strip())
    if match is None:
        raise FaultSettingsError(f"maintenance_window must be HH:MM-HH:MM, not {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start, end = dt.time(h1, m1), dt.time(h2, m2)
    if start == end:
        raise FaultSettingsError("maintenance_window: start and end must differ")
    return start, end


def in_window(window: tuple[dt.time, dt.time], now: dt.time) -> bool:
    """Whether local time ``now`` falls inside the window (across midnight when start > end)."""
    start, end = window
    now = now.replace(tzinfo=None)
    if start < end:
        return start <= now < end
    return now >= start or now < end


def seconds_until(target: dt.time, now: dt.datetime) -> int:
    """Whole seconds from ``now`` to the next ``target`` time of day (at least 1)."""
    candidate = dt.datetime.combine(now.date(), target)
    if candidate <= now:
        candidate += dt.timedelta(days=1)
    return max(1, int((candidate - now).total_seconds() + 0.999))


def maintenance_state(settings: FaultSettings, now: dt.datetime) -> tuple[bool, dt.time]:
    """(answering 503 now?, the time the screens reopen)."""
    window = parse_window(settings.maintenance_window) if settings.maintenance_window else None
    reopen = window[1] if window else DEFAULT_REOPEN
    active = settings.maintenance or (window is not None and in_window(window, now.time()))
    return active, reopen


# --- validation and merging of settings (admin endpoint, CLI, create_app) ---

_INT_FIELDS = ("latency_ms", "latency_jitter_ms")
_RATE_FIELDS = ("register_500_rate", "notice_rate")
READ_ONLY_FIELDS = frozenset({"maintenance_active"})


def validate_update(data: Any) -> dict[str, Any]:
    """Check a partial settings object; returns the normalised changes or raises.

    ``variants`` is merged key by key by :func:`apply_update` (a null value removes the key).
    Read-only fields of the JSON view (``maintenance_active``) are ignored.
    """
    if not isinstance(data, dict):
        raise FaultSettingsError("expected a JSON object of settings")
    known = {f.name for f in fields(FaultSettings)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in READ_ONLY_FIELDS:
            continue
        if key not in known:
            raise FaultSettingsError(f"unknown setting {key!r}")
        changes[key] = _check(key, value)
    return changes


def _check(key: str, value: Any) -> Any:
    """One setting's value, normalised; raises FaultSettingsError when wrong."""
    if key in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FaultSettingsError(f"{key} must be an integer ≥ 0")
        return value
    if key in _RATE_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise FaultSettingsError(f"{key} must be a number from 0 to 1")
        return float(value)
    if key == "session_expiry_after":
        if value is None or value == 0:
            return None  # 0 switches it off, as on the command line
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FaultSettingsError(f"{key} must be null or an integer ≥ 1")
        return value
    if key == "maintenance":
        if not isinstance(value, bool):
            raise FaultSettingsError("maintenance must be true or false")
        return value
    if key == "maintenance_window":
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise FaultSettingsError("maintenance_window must be null or HH:MM-HH:MM")
        parse_window(value)
        return value.strip()
    if key == "seed":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise FaultSettingsError("seed must be null or an integer")
        return value
    # variants, switch_after_form
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and (v is None or (isinstance(v, str) and v))
        for k, v in value.items()
    ):
        raise FaultSettingsError(f"{key} must map a subsystem to a variant name or null")
    return dict(value)


def apply_update(settings: FaultSettings, changes: dict[str, Any]) -> None:
    """Write validated changes into ``settings`` in place (callers hold the runtime lock)."""
    for key, value in changes.items():
        if key == "variants":
            settings.variants = _merged(settings.variants, value, drop_v1=True)
        elif key == "switch_after_form":
            settings.switch_after_form = _merged(settings.switch_after_form, value, drop_v1=False)
        else:
            setattr(settings, key, value)


def _merged(current: dict[str, str], changes: dict[str, Any], *, drop_v1: bool) -> dict[str, str]:
    """A new per-subsystem mapping (replaced, never mutated: readers see old or new); a
    null value removes the subsystem, and so does ``v1`` for ``variants`` (the normal one)."""
    merged = dict(current)
    for subsystem, variant in changes.items():
        if variant is None or (drop_v1 and variant == "v1"):
            merged.pop(subsystem, None)
        else:
            merged[subsystem] = variant
    return merged


def settings_json(settings: FaultSettings, now: dt.datetime | None = None) -> dict[str, Any]:
    """The settings as the admin endpoint shows them (plus read-only ``maintenance_active``)."""
    data = asdict(settings)
    data["maintenance_active"] = maintenance_state(settings, now or dt.datetime.now())[0]
    return data


# --- per-app runtime state: lock, seeded RNGs, clock ---


class FaultRuntime:
    """The lock and random generators behind the settings of one app.

    One generator per kind of fault (latency, register, notice), derived from the seed, so
    switching one fault on does not change the sequence of another. Reproducible for a
    sequential run; with concurrent requests the order of draws is the threads' order.
    """

    KINDS = ("latency", "register", "notice")

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.clock: Callable[[], dt.datetime] = dt.datetime.now  # tests may replace it
        self._rngs: dict[str, random.Random] = {}
        self.injected: dict[str, int] = {}  # faults applied per kind, since start or reset
        self.reseed(settings.seed)

    def reseed(self, seed: int | None) -> None:
        """Restart every generator from ``seed`` (None: fresh entropy)."""
        self._rngs = {
            kind: random.Random(f"{seed}:{kind}") if seed is not None else random.Random()
            for kind in self.KINDS
        }

    def chance(self, kind: str, rate: float) -> bool:
        """True with probability ``rate`` (no draw at all when the rate is 0 or 1)."""
        if rate <= 0:
            return False
        if rate >= 1:
            return True
        with self.lock:
            return self._rngs[kind].random() < rate

    def randint(self, kind: str, high: int) -> int:
        """A uniform integer 0..high (inclusive)."""
        if high <= 0:
            return 0
        with self.lock:
            return self._rngs[kind].randint(0, high)

    def _copy(self) -> FaultSettings:
        return replace(
            self.settings,
            variants=dict(self.settings.variants),
            switch_after_form=dict(self.settings.switch_after_form),
        )

    def count(self, kind: str) -> None:
        """Record that a fault of ``kind`` was applied (``GET /_admin/faults/injected``)."""
        with self.lock:
            self.injected[kind] = self.injected.get(kind, 0) + 1

    def injected_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.injected)

    def switch_after_form(self, subsystem: str) -> str | None:
        """Apply a pending ``switch_after_form`` of ``subsystem`` (once); the new variant."""
        with self.lock:
            pending = dict(self.settings.switch_after_form)
            variant = pending.pop(subsystem, None)
            if variant is None:
                return None
            self.settings.switch_after_form = pending
            apply_update(self.settings, {"variants": {subsystem: variant}})
            self.injected["layout_switch"] = self.injected.get("layout_switch", 0) + 1
            return variant

    def snapshot(self) -> FaultSettings:
        """A consistent copy of the settings for one request."""
        with self.lock:
            return self._copy()

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply validated changes atomically; re-seeds when the seed is among them."""
        with self.lock:
            apply_update(self.settings, changes)
            if "seed" in changes:
                self.reseed(self.settings.seed)
            return self._copy()

    def reset(self) -> FaultSettings:
        """Every fault off again; the seed is kept and the generators restart from it."""
        with self.lock:
            seed = self.settings.seed
            for f in fields(FaultSettings):
                setattr(self.settings, f.name, getattr(FaultSettings(), f.name))
            self.settings.seed = seed
            self.reseed(seed)
            self.injected = {}
            return self._copy()


def runtime() -> FaultRuntime:
    """The current app's :class:`FaultRuntime`."""
    state: FaultRuntime = current_app.extensions[RUNTIME_KEY]
    return state


# --- the API the subsystems call ---


def install(app: Flask, settings: FaultSettings | None = None) -> None:
    """Attach the settings and their runtime to ``app`` and wire the hooks.

    The before-request hook is put first, ahead of the log-in guard, so that a screen in
    maintenance answers 503 whether or not the clerk is logged in.
    """
    settings = settings or FaultSettings()
    validate_update(asdict(settings))  # fail at start-up, not on the first request
    app.extensions[FAULTS_KEY] = settings
    app.extensions[RUNTIME_KEY] = FaultRuntime(settings)
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)
    app.after_request(_after_request)


def faults() -> FaultSettings:
    """The current app's live settings (changed in place by the admin endpoint)."""
    settings: FaultSettings = current_app.extensions[FAULTS_KEY]
    return settings


def register_should_fail(subsystem: str) -> bool:
    """Call first thing in a register POST handler; True → answer 500 without writing."""
    state = runtime()
    failed = state.chance("register", faults().register_500_rate)
    if failed:
        state.count("register_500")
        log.info("fault: register of %s answered 500 (nothing written)", subsystem)
    return failed


def layout_variant(subsystem: str) -> str | None:
    """The layout variant to render for ``subsystem`` ('v2', 'v3'), or None for the normal one."""
    return faults().variants.get(subsystem)


#: What a post from a screen of an older layout gets (HTTP 409): the vendor's new program
#: does not take the old form, and says so (docs/mock-core-faults.md, "a layout switch").
STALE_FORM_TEXT = "画面が更新されました。お手数ですが、最初から入力し直してください。"


def form_served(subsystem: str) -> None:
    """Call after rendering ``subsystem``'s entry form: a pending ``switch_after_form``
    switches its layout now, so the form just sent is posted to the new program."""
    variant = runtime().switch_after_form(subsystem)
    if variant is not None:
        log.info("fault: %s switched to layout %s after serving its entry form", subsystem, variant)


def form_is_stale(subsystem: str, posted_version: str | None, current_version: str) -> bool:
    """Whether a post comes from a screen of another layout than the one in force
    (``current_version``, as the subsystem's forms carry it): answer 409, store nothing.

    A post without a version (a script posting fields directly) is taken as it is.
    """
    if posted_version is None or posted_version == current_version:
        return False
    runtime().count("stale_form")
    log.info("fault: %s post from layout %s refused (stale form)", subsystem, posted_version)
    return True


# --- request classification ---


def is_api_request() -> bool:
    """A JSON API request (401/503 answered as JSON, no modal)."""
    return request.path.startswith(API_PREFIXES)


def _exempt_path(path: str) -> bool:
    """Operator and test paths, also a subsystem's own (``/kaigo/_testing/…``)."""
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES) or "/_testing/" in path


def is_exempt_request() -> bool:
    """Operator/test endpoints and static files: no fault ever applies to them."""
    path = request.path
    endpoint = request.endpoint or ""
    return _exempt_path(path) or endpoint == "static" or endpoint.endswith(".static")


# --- the hooks ---


def _before_request() -> Response | None:
    """Latency first (the server is slow for everyone), then the maintenance window."""
    if _exempt_path(request.path):
        return None
    state = runtime()
    settings = state.snapshot()
    delay = settings.latency_ms + state.randint("latency", settings.latency_jitter_ms)
    if delay > 0:
        state.count("latency")
        g.mock_latency_ms = delay
        time.sleep(delay / 1000)
    if is_exempt_request():
        return None
    active, reopen = maintenance_state(settings, state.clock())
    if active:
        state.count("maintenance_503")
        return _maintenance_response(reopen, state.clock())
    return None


def _maintenance_response(reopen: dt.time, now: dt.datetime) -> Response:
    """503 with the Japanese notice (a page, or JSON for the APIs) and ``Retry-After``."""
    message = MAINTENANCE_TEXT.format(reopen=reopen.strftime("%H:%M"))
    response: Response
    if is_api_request():
        response = jsonify({"error": "maintenance", "message": message})
    else:
        response = Response(
            render_template("maintenance.html", message=message), mimetype="text/html"
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(seconds_until(reopen, now))
    return response


def _after_request(response: Response) -> Response:
    """Report the latency applied, and open the お知らせ modal on a share of HTML pages."""
    delay = g.get("mock_latency_ms")
    if delay:
        response.headers[LATENCY_HEADER] = str(delay)
    if (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
        and "Content-Encoding" not in response.headers
        and not is_exempt_request()
        and not is_api_request()
    ):
        state = runtime()
        if state.chance("notice", state.settings.notice_rate):
            index = state.randint("notice", 1_000_000)
            charset = response.mimetype_params.get("charset", "utf-8")
            body = inject_notice(response.get_data(), charset, notice_html(index))
            if body is not None:
                state.count("notice")
                response.set_data(body)
    return response
