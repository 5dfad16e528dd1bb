"""The results as a plain-text table for a terminal or a pull request."""

from __future__ import annotations

from typing import Any


def _cell(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(result: dict[str, Any]) -> str:
    """Sizes as rows (latencies, open time, peak RSS), then ingestion and the targets."""
    header = (
        "| size | items | shoppers | events | recommend median / p95 ms | "
        "chat median / p95 ms | open s (catalog + index) | peak RSS MiB |"
    )
    lines = [header, "|" + "---|" * 8]
    for name, v in result.items():
        if not isinstance(v, dict) or "recommend_ms" not in v:
            continue
        rec, chat = v["recommend_ms"], v["chat_ms"]
        lines.append(
            f"| {name} | {_cell(v['items'])} | {_cell(v['shoppers'])} | {_cell(v['events'])} | "
            f"{_cell(rec['median'])} / {_cell(rec['p95'])} ({rec['runs']}) | "
            f"{_cell(chat['median'])} / {_cell(chat['p95'])} ({chat['runs']}) | "
            f"{_cell(v['open_s'], 2)} ({_cell(v['open_catalog_s'], 2)} + "
            f"{_cell(v['index_s'], 2)}) | {_cell(v['peak_rss_mb'], 0)} |"
        )
    lines += startup_lines(result)
    ingestion = result.get("ingestion") or {}
    if ingestion:
        lines += [
            "",
            f"Catalog ingestion: {_cell(ingestion['items_per_s'])} items/s against the raw "
            f"model's {_cell(ingestion['raw_embed_per_s'])} texts/s = "
            f"{ingestion['ratio'] * 100:.1f} % ({ingestion['items']} items, "
            f"batches of {ingestion['batch_size']}).",
        ]
        for name, events in (ingestion.get("events") or {}).items():
            lines.append(
                f"Events ({name}): {_cell(events['events'])} in {_cell(events['seconds'], 1)} s "
                f"= {_cell(events['events_per_s'], 0)} events/s."
            )
    lines += http_lines(result.get("http") or {})
    met = result.get("met") or {}
    if met:
        lines += ["", "| target | value | met |", "|---|---|---|"]
        for name, check in met.items():
            value = check["value"]
            digits = 3 if abs(value) < 10 else 1  # a ratio of 0.89 must not print as 0.9
            lines.append(
                f"| {name} {check['target']} | {_cell(value, digits)} | {_cell(check['met'])} |"
            )
    return "\n".join(lines)


def startup_lines(result: dict[str, Any]) -> list[str]:
    """One-shot ``tactful recommend`` in a fresh process, with nothing saved and with the
    snapshot; and the import and open times of a fresh interpreter."""
    # The sizes measured; the targets entry has a "startup" key of its own.
    rows = [
        (name, v["startup"])
        for name, v in result.items()
        if isinstance(v, dict) and "one_shot_cold" in v.get("startup", {})
    ]
    if not rows:
        return []
    lines = [
        "",
        "Start-up, each in a fresh process as a user runs the command line "
        "(`tactful recommend SHOPPER`):",
        "",
        "| size | import s | open s (snapshot) | one-shot s: cold | one-shot s: warm median "
        "(runs) | peak RSS MiB: cold / warm |",
        "|" + "---|" * 6,
    ]
    for name, up in rows:
        cold, warm = up["one_shot_cold"], up["one_shot_warm"]
        lines.append(
            f"| {name} | {_cell(up['import_s'], 2)} | {_cell(up['open_s'], 2)} | "
            f"{_cell(cold['wall_s'], 2)} | {_cell(warm['median_s'], 2)} ({len(warm['runs'])}) | "
            f"{_cell(cold['peak_rss_mb'], 0)} / {_cell(warm['peak_rss_mb'], 0)} |"
        )
    return lines


def http_lines(http: dict[str, Any]) -> list[str]:
    """``tactful serve`` over loopback: one row per workers × kind × clients."""
    if not http.get("runs"):
        return []
    lines = [
        "",
        f"`tactful serve` on loopback, {http.get('label', http['size'])} "
        f"(default workers: {http['default_workers']}):",
        "",
        "| workers | request | clients | requests/s | p50 / p95 / p99 ms | errors | load 1m "
        "| CPU ms/request: server / clients |",
        "|" + "---|" * 8,
    ]
    for run in http["runs"]:
        for level in run["levels"]:
            load = level["load_average_1m"]
            lines.append(
                f"| {run['workers']} | {level['kind']} | {level['clients']} | "
                f"{_cell(level['requests_per_s'])} | {_percentiles(level)} | {level['errors']} | "
                f"{load['start']:.2f}–{load['end']:.2f} | {_spent(level)} |"
            )
    opened = [
        (run["workers"], level) for run in http["runs"] for level in run.get("open_levels", [])
    ]
    if not opened:
        return lines + _failures(http["runs"])
    lines += [
        "",
        "The rows above are closed loops: a client sends its next request when the last is "
        "answered, so at 32 clients the mean latency is 32 / (requests per second) whatever "
        "the server does. Below, open loop: recommend requests arrive at a fixed rate "
        "(Poisson, seeded) however fast answers come, each timed from when it was due, so "
        "any backlog is charged to the server; requests/s runs from the start to the last "
        "answer. A connection stays with the worker that accepted it, so the work need not "
        "split evenly between workers: the last column is each worker's share of the "
        "server's CPU.",
        "",
        "| workers | arriving/s | seconds | requests | requests/s | p50 / p95 / p99 ms | "
        "errors | most in flight | CPU ms/request: server / clients | workers' CPU shares |",
        "|" + "---|" * 10,
    ]
    for workers, level in opened:
        shares = " / ".join(f"{share:.0%}" for share in level.get("worker_cpu_shares", [])) or "–"
        lines.append(
            f"| {workers} | {level['offered_per_s']:g} | {level['seconds']:g} | "
            f"{level['requests']} | {_cell(level['requests_per_s'])} | {_percentiles(level)} | "
            f"{level['errors']} | {level['connections_busy_max']} | {_spent(level)} | {shares} |"
        )
    return lines + _failures(http["runs"])


def _failures(runs: list[dict[str, Any]]) -> list[str]:
    """What the server said when some of a run's requests failed."""
    lines = []
    for run in runs:
        if run.get("server_log_tail"):
            lines += [
                "",
                f"Server output at {run['workers']} worker(s), where requests failed "
                "(last distinct lines):",
                "",
                "```",
                *run["server_log_tail"],
                "```",
            ]
    return lines


def _percentiles(level: dict[str, Any]) -> str:
    ms = level["latency_ms"]
    return f"{_cell(ms['p50'])} / {_cell(ms['p95'])} / {_cell(ms['p99'])}"


def _spent(level: dict[str, Any]) -> str:
    """CPU per request, server / clients ("–" in results from before it was measured)."""
    cpu = level.get("cpu_ms_per_request")
    return f"{_cell(cpu['server'])} / {_cell(cpu['clients'])}" if cpu else "–"
