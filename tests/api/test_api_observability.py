"""Operations: request ids in answers and log lines, JSON logs, Prometheus metrics (also
added up across real worker processes), the readiness probe, and a graceful stop that
answers the request in flight.

The app runs on the real demo shop; the server tests start real ``tactful serve``
processes on loopback and stop them by process id.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from agent.api.app import create_app
from agent.cli.logs import server_logging
from agent.cli.processes import free_port, stop
from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import ApiConfig, Settings
from agent.stores.keys import KeyKind, KeyStore
from bench.api.chroma import chroma_server
from bench.api.server import running_server, wait_for_workers, wait_ready
from tests.api.conftest import OTHER_SHOPPER, Api, open_shop, serve
from tests.api.servers import pinned
from tests.api.test_api_support import open_hand_over
from tests.pg import PostgresServer, postgres_server, postgres_url  # noqa: F401

PROFILE_ROUTE = "/v1/shoppers/{shopper_id}/profile"
JSON_FIELDS = {"time", "level", "logger", "message", "pid"}
REQUEST_FIELDS = {"request_id", "method", "path", "status", "duration_ms"}


def metric(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` with exactly ``labels`` in an exposition (0 when
    absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def loopback(api: Api, host: str = "127.0.0.1") -> TestClient:
    """A client on the same running app whose requests come from ``host``."""
    return TestClient(api.client.app, client=(host, 40000))


def fail_on_purpose() -> None:
    logging.getLogger("agent.api.check").warning("about to fail")
    raise RuntimeError("a bug")


# -- request ids and logs ----------------------------------------------------------------


def test_every_answer_carries_a_request_id_and_keeps_a_sane_one_the_caller_sent(
    api: Api, demo_shopper: str
) -> None:
    profile = f"/v1/shoppers/{demo_shopper}/profile"
    kept = api.client.get(profile, headers={**api.as_shop(), "X-Request-ID": "lb-7f3a.9:1"})
    assert kept.status_code == 200
    assert kept.headers["X-Request-ID"] == "lb-7f3a.9:1"

    made = [api.client.get(profile, headers=api.as_shop()).headers["X-Request-ID"] for _ in "ab"]
    assert made[0] != made[1] and all(len(m) == 32 for m in made)

    for insane in ("has space", "x" * 200, "<script>", "-leading-dash"):
        replaced = api.client.get("/health", headers={"X-Request-ID": insane})
        assert replaced.headers["X-Request-ID"] != insane
        assert len(replaced.headers["X-Request-ID"]) == 32

    # Refusals get one too: the caller quotes it when asking what went wrong.
    refused = api.client.get(profile, headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and len(refused.headers["X-Request-ID"]) == 32


def test_every_log_line_written_while_handling_a_request_carries_its_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api.client.app.add_api_route("/fail-on-purpose", fail_on_purpose)  # type: ignore[attr-defined]
    caplog.set_level(logging.INFO)

    answer = api.client.get("/fail-on-purpose", headers={"X-Request-ID": "req-42"})

    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "Something went wrong on our side."}
    }
    assert answer.headers["X-Request-ID"] == "req-42"
    by_message = {r.getMessage(): r for r in caplog.records}
    # One written in the worker thread that ran the route, one by the error handler, and
    # the request's own line.
    for message in ("about to fail", "unexpected failure", "GET /fail-on-purpose 500"):
        record = next(r for m, r in by_message.items() if m.startswith(message))
        assert record.request_id == "req-42", message  # type: ignore[attr-defined]
        assert record.path == "/fail-on-purpose", message  # type: ignore[attr-defined]
    access = by_message[next(m for m in by_message if m.startswith("GET /fail-on-purpose"))]
    assert access.status == 500  # type: ignore[attr-defined]
    assert access.duration_ms >= 0  # type: ignore[attr-defined]
    # Outside a request, a record carries none of it.
    logging.getLogger("agent.api.check").warning("between requests")
    assert not hasattr(caplog.records[-1], "request_id")


def test_json_logs_are_one_object_per_line_with_the_request_fields(
    api: Api, demo_shopper: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api.client.app.add_api_route("/fail-on-purpose", fail_on_purpose)  # type: ignore[attr-defined]
    with server_logging("json"):
        api.client.get(
            f"/v1/shoppers/{demo_shopper}/profile",
            headers={**api.as_shop(), "X-Request-ID": "json-1"},
        )
        api.client.get("/fail-on-purpose", headers={"X-Request-ID": "json-2"})

    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    entries = [json.loads(line) for line in lines]  # every line is one whole object
    access = next(e for e in entries if e["request_id"] == "json-1")
    assert access.keys() >= JSON_FIELDS | REQUEST_FIELDS
    assert access["logger"] == "tactful.api.access" and access["level"] == "INFO"
    assert access["method"] == "GET" and access["status"] == 200
    assert access["path"] == f"/v1/shoppers/{demo_shopper}/profile"
    assert access["pid"] == os.getpid()
    assert datetime.fromisoformat(access["time"].replace("Z", "+00:00")).tzinfo is not None
    failure = next(e for e in entries if e["message"] == "unexpected failure")
    assert failure["request_id"] == "json-2" and failure["level"] == "ERROR"
    assert "RuntimeError: a bug" in failure["exception"]  # the traceback, on its one line


def test_text_logs_stay_readable_and_name_the_request(
    api: Api, demo_shopper: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with server_logging("text"):
        api.client.get(
            f"/v1/shoppers/{demo_shopper}/profile",
            headers={**api.as_shop(), "X-Request-ID": "text-1"},
        )
        api.client.get("/health")  # probes are counted, not logged

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    stamp, level, logger, rest = lines[0].split(" ", 4)[1:]
    assert (level, logger) == ("INFO", "tactful.api.access")
    assert rest.startswith(f"[text-1]: GET /v1/shoppers/{demo_shopper}/profile 200 ")
    assert rest.endswith(" ms") and stamp.count(":") == 2


# -- metrics -----------------------------------------------------------------------------


def test_metrics_count_requests_by_route_template_and_status_never_by_raw_path(
    api: Api, demo_shopper: str
) -> None:
    for shopper in (demo_shopper, OTHER_SHOPPER):
        assert api.client.get(f"/v1/shoppers/{shopper}/profile", headers=api.as_shop()).is_success
    api.client.get(f"/v1/shoppers/{demo_shopper}/profile", headers=api.auth("wrong"))
    api.client.get("/no/such/page")
    api.client.request("BREW", "/health")  # a made-up method adds no series of its own

    text = loopback(api).get("/metrics").text

    ok = {"method": "GET", "route": PROFILE_ROUTE, "status": "200"}
    assert metric(text, "tactful_http_requests_total", **ok) == 2
    assert metric(text, "tactful_http_request_duration_seconds_count", **ok) == 2
    assert metric(text, "tactful_http_request_duration_seconds_sum", **ok) > 0
    refused = {"method": "GET", "route": PROFILE_ROUTE, "status": "401"}
    assert metric(text, "tactful_http_requests_total", **refused) == 1
    assert metric(text, "tactful_http_errors_total", route=PROFILE_ROUTE, code="not_authenticated")
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert metric(text, "tactful_http_requests_total", **unmatched) == 1
    brewed = {"method": "other", "route": "/health", "status": "405"}
    assert metric(text, "tactful_http_requests_total", **brewed) == 1
    assert "BREW" not in text
    assert metric(text, "tactful_http_requests_in_flight") == 1  # this scrape
    assert demo_shopper not in text and OTHER_SHOPPER not in text and "/no/such" not in text


def test_an_unexpected_failure_is_counted_as_an_internal_error(api: Api) -> None:
    api.client.app.add_api_route("/fail-on-purpose", fail_on_purpose)  # type: ignore[attr-defined]
    api.client.get("/fail-on-purpose")

    text = loopback(api).get("/metrics").text

    failed = {"method": "GET", "route": "/fail-on-purpose", "status": "500"}
    assert metric(text, "tactful_http_requests_total", **failed) == 1
    assert metric(
        text, "tactful_http_errors_total", route="/fail-on-purpose", code="internal_error"
    )


def test_metrics_are_refused_to_other_networks_and_to_requests_through_a_proxy(api: Api) -> None:
    assert loopback(api).get("/metrics").status_code == 200
    assert loopback(api, "::1").get("/metrics").status_code == 200
    for host in ("10.1.2.3", "testclient"):
        refused = loopback(api, host).get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        assert "TACTFUL_API__METRICS_FROM" in refused.json()["error"]["message"]
    # A proxy on the same machine makes every caller look like loopback.
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        proxied = loopback(api).get("/metrics", headers={header: "203.0.113.9"})
        assert proxied.status_code == 403, header


def test_networks_in_the_settings_may_read_the_metrics(
    demo_home: Path, clock: FixedClock, embedder: Embedder
) -> None:
    config = ApiConfig(metrics_from=["10.0.0.0/8"])
    for api in serve(open_shop(demo_home, clock, embedder, config), config):
        assert loopback(api, "10.1.2.3").get("/metrics").status_code == 200
        assert loopback(api, "192.168.1.2").get("/metrics").status_code == 403
        assert loopback(api).get("/metrics").status_code == 403  # loopback no longer listed


def test_a_bad_network_in_the_settings_is_a_clear_settings_error() -> None:
    with pytest.raises(ValueError, match="'office' is not an address or network"):
        ApiConfig(metrics_from=["office"])


def test_the_escalation_queue_is_measured_waiting_and_with_staff(
    api: Api, demo_shopper: str
) -> None:
    first, _ = open_hand_over(api, demo_shopper)
    open_hand_over(api, OTHER_SHOPPER)
    claimed = api.client.post(f"/v1/escalations/{first}/claim", headers=api.as_staff())
    assert claimed.status_code == 200, claimed.text

    text = loopback(api).get("/metrics").text

    assert metric(text, "tactful_escalations_open", status="waiting") == 1
    assert metric(text, "tactful_escalations_open", status="with_staff") == 1


def test_exposures_logged_in_an_experiment_are_counted_by_experiment_and_arm(
    api: Api, demo_shopper: str
) -> None:
    started = api.client.post(
        "/v1/experiments", json={"key": "ops", "start": True}, headers=api.as_staff()
    )
    assert started.status_code == 201, started.text
    me = api.as_shopper(demo_shopper)
    exposed = [
        api.client.post("/v1/recommendations", json={"k": 3}, headers=me).json()["exposure_id"]
        for _ in range(2)
    ]
    chat = api.client.post("/v1/chat", json={"message": "show me something nice"}, headers=me)
    exposed.append(chat.json()["exposure_id"])
    assert all(exposed)

    text = loopback(api).get("/metrics").text

    arm = api.tactful.experiments.arm_for(demo_shopper, personalized=True)
    assert arm is not None
    assert metric(text, "tactful_experiment_exposures_total", experiment="ops", arm=arm) == 3


def test_llm_fallbacks_are_counted_as_the_brain_counts_them_and_logged_with_the_request(
    demo_home: Path, clock: FixedClock, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        home=demo_home,
        llm_model="gpt-4o-mini",
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens: refused
        llm_api_key="sk-not-needed",
        api=ApiConfig(rate_per_second=1000, rate_burst=1000),
    )
    tactful = Tactful.open(settings, clock=clock, embedder=embedder)
    keys = KeyStore(settings.sql_url)
    shop = keys.create(KeyKind.SHOP, "web backend").secret
    keys.close()
    caplog.set_level(logging.INFO)
    with TestClient(create_app(settings, tactful), client=("127.0.0.1", 40000)) as client:
        reply = client.post(
            "/v1/chat",
            json={"shopper_id": OTHER_SHOPPER, "message": "a gift for my sister"},
            headers={"Authorization": f"Bearer {shop}", "X-Request-ID": "chat-1"},
        )
        assert reply.status_code == 200, reply.text  # the offline brain answered
        text = client.get("/metrics").text
    counted = tactful.llm_stats
    tactful.close()

    assert counted is not None
    fallbacks: dict[str, int] = counted["fallbacks"]  # type: ignore[assignment]
    assert sum(fallbacks.values()) >= 1
    for cause, count in fallbacks.items():
        assert metric(text, "tactful_llm_fallbacks_total", cause=cause) == count
    logged = [r for r in caplog.records if r.getMessage().startswith("LLM fallback")]
    assert logged and all(r.request_id == "chat-1" for r in logged)  # type: ignore[attr-defined]


# -- readiness ---------------------------------------------------------------------------


def test_ready_fails_while_the_shop_wide_snapshot_rebuilds_and_health_stays_up(
    api: Api,
) -> None:
    assert api.client.get("/ready").status_code == 200
    answers: list[tuple[int, Any]] = []
    health: set[int] = set()

    def rebuild() -> None:
        with api.state.agent.use() as tactful:
            tactful.refresh()

    for _ in range(5):  # a rebuild of the demo shop takes a few tenths of a second
        worker = threading.Thread(target=rebuild)
        worker.start()
        while worker.is_alive():
            answer = api.client.get("/ready")
            answers.append((answer.status_code, answer.json()))
            health.add(api.client.get("/health").status_code)
        worker.join()
        if any(status == 503 for status, _ in answers):
            break

    loading = [body for status, body in answers if status == 503]
    assert loading, "no readiness check fell within a rebuild"
    assert {body["error"]["code"] for body in loading} == {"loading"}
    assert health == {200}
    assert api.client.get("/ready").status_code == 200


def test_a_warm_start_loads_the_shop_wide_snapshot_before_the_server_answers(
    demo_home: Path, clock: FixedClock, embedder: Embedder
) -> None:
    tactful = Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder)
    assert tactful.index.interactions is None  # else the first ranking would load it
    with TestClient(create_app(tactful.settings, tactful, warm=True)) as client:
        assert tactful.index.interactions is not None
        assert client.get("/ready").status_code == 200
    tactful.close()


def test_ready_fails_while_the_database_refuses_connections_and_recovers(
    postgres_server: PostgresServer,  # noqa: F811
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
    clock: FixedClock,
    embedder: Embedder,
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=postgres_url)
    tactful = Tactful.open(settings, clock=clock, embedder=embedder)
    database = make_url(postgres_url).database
    try:
        with TestClient(create_app(settings, tactful)) as client:
            assert client.get("/ready").status_code == 200
            postgres_server.admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            postgres_server.admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{database}'"
            )
            try:
                refused = client.get("/ready")
                health = client.get("/health")
            finally:
                postgres_server.admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "store_unavailable"
            assert health.status_code == 200
            # Connections the database dropped are replaced as they fail.
            assert 200 in [client.get("/ready").status_code for _ in range(3)]
    finally:
        tactful.close()


# -- real servers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    url: str
    secret: str
    log: Path


def new_home(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("ops") / "home"
    shutil.copytree(demo_template, home)
    keys = KeyStore(Settings(home=home).sql_url)
    secret = keys.create(KeyKind.SHOP, "web backend").secret
    keys.close()
    return home, secret


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> Iterator[Served]:
    """``tactful serve --workers 2`` logging JSON lines to a file."""
    home, secret = new_home(tmp_path_factory, demo_template)
    log = home.parent / "serve.log"
    env = {"TACTFUL_NOW": data_now.isoformat(), "TACTFUL_LOG_FORMAT": "json"}
    with running_server(home, env, timeout=300, workers=2, log=log) as url:
        wait_for_workers(url, 2)
        yield Served(url, secret, log)


def test_either_worker_answers_metrics_with_every_workers_requests(two_workers: Served) -> None:
    first, one = pinned(two_workers.url, two_workers.secret, set())
    second, _ = pinned(two_workers.url, two_workers.secret, {one})
    for client, times in ((first, 3), (second, 2)):
        for _ in range(times):
            assert client.get("/v1/escalations").status_code == 200

    route = {"method": "GET", "route": "/v1/escalations", "status": "200"}
    for client in (first, second):
        text = client.get("/metrics").text
        assert metric(text, "tactful_http_requests_total", **route) == 5
        assert metric(text, "tactful_http_request_duration_seconds_count", **route) == 5
        assert metric(text, "tactful_http_requests_in_flight") == 1  # the scrape itself
        # Read from the shared stores once, not once per worker.
        assert metric(text, "tactful_escalations_open", status="waiting") == 0
    first.close()
    second.close()


def test_a_killed_worker_is_replaced_its_counts_stay_and_its_requests_in_flight_go(
    two_workers: Served, demo_shopper: str
) -> None:
    doomed, victim = pinned(two_workers.url, two_workers.secret, set())
    survivor, other = pinned(two_workers.url, two_workers.secret, {victim})
    for _ in range(4):
        assert doomed.get(f"/v1/shoppers?q={demo_shopper[:2]}").status_code == 200
    route = {"method": "GET", "route": "/v1/shoppers", "status": "200"}

    # A request the doomed worker is still receiving when it dies.
    arrived, release = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b'{"events": ['
        arrived.set()
        release.wait(60)  # not finished before the worker dies
        yield b"]}"

    def send() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the connection dies with the worker
            doomed.post("/v1/events", content=slow_body(), timeout=30)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    assert arrived.wait(30)
    deadline = time.monotonic() + 10
    while metric(survivor.get("/metrics").text, "tactful_http_requests_in_flight") < 2:
        assert time.monotonic() < deadline, "the slow request never showed as in flight"
        time.sleep(0.05)

    os.kill(victim, signal.SIGKILL)
    survivor.close()
    replaced = set()
    deadline = time.monotonic() + 300
    while not replaced - {victim, other}:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        replaced |= wait_for_workers(two_workers.url, 1)

    client, _ = pinned(two_workers.url, two_workers.secret, set())
    text = client.get("/metrics").text
    assert metric(text, "tactful_http_requests_total", **route) == 4
    assert metric(text, "tactful_http_requests_in_flight") == 1  # not the dead one's
    client.close()
    release.set()
    sender.join(30)


def test_the_servers_log_is_json_lines_carrying_each_requests_id(two_workers: Served) -> None:
    client, worker = pinned(two_workers.url, two_workers.secret, set())
    answer = client.get("/v1/escalations", headers={"X-Request-ID": "ops-log-1"})
    assert answer.headers["X-Request-ID"] == "ops-log-1"
    client.close()

    # The request's line is written once its answer has gone.
    deadline = time.monotonic() + 10
    while True:
        lines = two_workers.log.read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        mine = [e for e in entries if e.get("request_id") == "ops-log-1"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    said = " ".join(line for line in lines if not line.startswith("{"))
    # Besides the log, only the command's own banner.
    assert "tactful API on" in said and not {"ERROR", "WARNING", "Traceback"} & set(said.split())
    assert len(mine) == 1
    assert mine[0].keys() >= JSON_FIELDS | REQUEST_FIELDS
    assert mine[0]["pid"] == worker and mine[0]["status"] == 200
    assert mine[0]["path"] == "/v1/escalations" and mine[0]["method"] == "GET"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_slow_request_in_flight_when_sigterm_arrives_still_gets_its_answer(
    workers: int,
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    data_now: datetime,
    demo_shopper: str,
    gift_item: str,
) -> None:
    home, secret = new_home(tmp_path_factory, demo_template)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home.parent / "serve.log"
    env = {**os.environ, "TACTFUL_HOME": str(home), "TACTFUL_NOW": data_now.isoformat()}
    command = [sys.executable, "-m", "agent.cli", "serve", "--port", str(port)]
    stack = ExitStack()
    if workers > 1:
        chroma = stack.enter_context(chroma_server(home / "chroma", home.parent / "chroma.log"))
        env |= {"TACTFUL_CHROMA_URL": chroma, "TACTFUL_CHROMA_SERVES_HOME": "true"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)], env=env, stdout=output, stderr=output
        )
    with stack:
        _drain_and_stop(process, url, secret, workers, log, demo_shopper, gift_item)


def _drain_and_stop(
    process: subprocess.Popen[bytes],
    url: str,
    secret: str,
    workers: int,
    log: Path,
    demo_shopper: str,
    gift_item: str,
) -> None:
    try:
        wait_ready(process, url, 300, log=log)
        pids = wait_for_workers(url, workers)
        # Where the workers count their metrics: a folder of their own, only for several.
        folder = _environment(min(pids)).get("PROMETHEUS_MULTIPROC_DIR")
        assert (folder is not None) == (workers > 1)
        assert folder is None or Path(folder).is_dir()
        events = [
            {"event_id": f"drain-{n}", "item_id": gift_item, "kind": "view", "shopper_id": s}
            for n, s in enumerate([demo_shopper] * 20 + [OTHER_SHOPPER] * 20)
        ]
        body = json.dumps({"events": events, "clarify": False}).encode()
        first_sent, finish = threading.Event(), threading.Event()

        def trickle() -> Iterator[bytes]:
            yield body[:64]
            first_sent.set()
            finish.wait(60)
            yield body[64:]

        answers: list[httpx.Response] = []

        def send() -> None:
            with httpx.Client(timeout=60) as client:
                answers.append(
                    client.post(
                        f"{url}/v1/events",
                        content=trickle(),
                        headers={
                            "Authorization": f"Bearer {secret}",
                            "Content-Type": "application/json",
                        },
                    )
                )

        sender = threading.Thread(target=send)
        sender.start()
        assert first_sent.wait(30)
        time.sleep(0.3)  # the first piece has reached the server
        process.send_signal(signal.SIGTERM)
        _wait_refused(url)  # the server is stopping: no new connection is taken
        time.sleep(1.5)  # and the request stays in flight well into the stop
        finish.set()
        sender.join(60)

        assert answers, "the request in flight got no answer"
        assert answers[0].status_code == 200, answers[0].text
        assert answers[0].json()["added"] == len(events)
        # Then it stops by itself (uvicorn ends on the signal it was sent).
        assert process.wait(30) in (0, -signal.SIGTERM)
    finally:
        stop(process)
    assert folder is None or not Path(folder).exists(), "the metric files were left behind"


def _environment(pid: int) -> dict[str, str]:
    """A running process's environment, as Linux shows it."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (entry.partition(b"=") for entry in raw.split(b"\0") if entry)
    return {key.decode(): value.decode(errors="replace") for key, _, value in pairs}


def _wait_refused(url: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/health", timeout=1)
        except httpx.ConnectError:
            return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server still took new connections {seconds:.0f} s after SIGTERM")
