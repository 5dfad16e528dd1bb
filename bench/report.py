"""Assemble bench/RESULTS.md and bench/results.json from each benchmark's results file.

Every number in RESULTS.md is read from a results file a benchmark wrote in the same
run; nothing here computes or rounds a result into something it was not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.policy.clarify import ClarifyConfig

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
ROOT = BENCH.parent


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _f(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool):
        return "met" if value else "**missed**"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "–" if value is None else str(value)


def write() -> Path:
    """Write RESULTS.md and results.json; returns the Markdown file's path."""
    ranking, tact, speed = _load("ranking.json"), _load("tact.json"), _load("speed.json")
    calibration = _load("clarify_calibration.json")
    conversation = _load("conversation.json")
    simulated = _load("simulated_shoppers.json")
    experiments = _load("experiments.json")
    combined: dict[str, Any] = {"targets": {}}
    sections = [_header(ranking, speed)]
    if ranking:
        sections.append(_ranking(ranking, combined))
    if tact:
        sections.append(_tact(tact, calibration, combined))
    if speed:
        sections.append(_speed(speed, combined))
    soak = _load("soak.json")
    if soak:
        sections.append(_soak(soak, combined))
    if conversation:
        sections.append(_conversation(conversation, combined))
    if simulated:
        sections.append(_simulated_shoppers(simulated, combined))
    if experiments:
        sections.append(_experiments(experiments, combined))
    (BENCH / "results.json").write_text(json.dumps(combined, indent=2) + "\n", encoding="utf-8")
    path = BENCH / "RESULTS.md"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path


def _header(ranking: dict[str, Any] | None, speed: dict[str, Any] | None) -> str:
    machine = (speed or {}).get("machine") or (ranking or {}).get("machine") or {}
    lines = [
        "# Benchmark results",
        "",
        "Reproduce everything below with one command on a clean clone (with `../shared`"
        " beside it): `make bench` (the same as `tactful eval all`). Each part can be run"
        " alone: `tactful eval ranking|tact|speed|conversation|experiments`; `--quick` runs a"
        " small slice that only checks the harness works (part of `make test`). `make"
        " bench-scale` adds"
        " the 1M-item speed run. Machine-readable: `bench/results.json` and"
        " `bench/results/*.json`.",
        "",
        "**Machine**: " + ", ".join(f"{k}: {v}" for k, v in machine.items() if k != "packages"),
    ]
    packages = machine.get("packages")
    if isinstance(packages, dict):
        lines.append("**Packages**: " + ", ".join(f"{k} {v}" for k, v in packages.items()))
    return "\n".join(lines)


def _ranking(data: dict[str, Any], combined: dict[str, Any]) -> str:
    out = [
        "## Ranking quality (full ranking, literature protocol)",
        "",
        f"Command: `tactful eval ranking` ({data.get('seconds', '?')} s). "
        + data.get("protocol", {}).get("metrics", ""),
        "",
        "Tuning: " + data.get("protocol", {}).get("tuning", ""),
    ]
    for dataset in ("online-retail", "online-retail (all items)", "movielens-100k"):
        methods = data.get(dataset)
        if not methods:
            continue
        split = data.get("splits", {}).get(dataset, {}).get("test", {})
        out += [
            "",
            f"### {dataset}",
            "",
            f"Split: {split.get('description', '')} — {split.get('test_users', '?')} test users,"
            f" {split.get('train_events', '?')} train events, {split.get('catalog_items', '?')}"
            " items.",
            "",
        ]
        # Targets no one bought before the cut: only text can find them.
        cold = any(m.get("cold_targets") for m in methods.values())
        out += [
            "| method | HR@10 | Recall@10 | NDCG@10 |" + (" cold hits |" if cold else ""),
            "|---|---|---|---|" + ("---|" if cold else ""),
        ]
        combined[dataset] = {}
        for method, metrics in methods.items():
            combined[dataset][method] = {k: v for k, v in metrics.items() if k != "users"}
            cold_cell = f" {metrics.get('cold_hits@10', 0)} of {metrics.get('cold_targets', 0)} |"
            out.append(
                f"| {method} | {_f(metrics['hr@10'])} | {_f(metrics['recall@10'])} |"
                f" {_f(metrics['ndcg@10'])} |" + (cold_cell if cold else "")
            )
        validation = data.get("validation", {}).get(dataset, {})
        if dataset.endswith("(all items)") and validation:
            out += [
                "",
                "Validation split (where every method was tuned):",
                "",
                "| method | HR@10 | Recall@10 | NDCG@10 |",
                "|---|---|---|---|",
            ]
            out += [
                f"| {method} | {_f(m['hr@10'])} | {_f(m['recall@10'])} | {_f(m['ndcg@10'])} |"
                for method, m in validation.items()
            ]
        target = data.get("targets", {}).get(dataset)
        verdict = data.get("met", {}).get(dataset, {})
        combined["targets"][dataset] = {"target": target, **verdict}
        out += ["", f"Target: {target}. Result: {_verdict(verdict)}"]
        tuned = data.get("tuned", {}).get(dataset)
        if tuned:
            out += ["", "Tuned on validation: `" + json.dumps(tuned, sort_keys=True) + "`"]
    out += ["", "![NDCG@10 by method](plots/ndcg.png)"]
    return "\n".join(out)


def _verdict(verdict: dict[str, Any]) -> str:
    if not verdict:
        return "–"
    words = "met" if verdict.get("met") else "**missed**"
    extra = ", ".join(f"{k} {v}" for k, v in verdict.items() if k != "met")
    return f"{words} ({extra})"


def _tact(
    data: dict[str, Any], calibration: dict[str, Any] | None, combined: dict[str, Any]
) -> str:
    c, f, k = data["collapse"], data["faithfulness"], data["control"]
    t = data.get("truthfulness", {})
    met = data.get("met", {})
    targets = data.get("targets", {})
    combined.setdefault("online-retail", {})["tactful (tact)"] = {**c, **f, **k}
    if t:
        combined["online-retail"]["tactful (truthfulness)"] = {
            key: value for key, value in t.items() if key != "failure_examples"
        }
    combined["targets"]["tact"] = {"targets": targets, "met": met}
    rows = [
        ("NDCG@10 clean", c["ndcg@10_clean"], None),
        ("NDCG@10 polluted, no clarification", c["ndcg@10_polluted"], None),
        ("NDCG@10 polluted, with clarification", c["ndcg@10_clarified"], None),
        ("recovery (with ÷ clean)", c["recovery"], "recovery"),
        ("recovery, injected customers only", c["recovery_injected"], None),
        (
            "question precision" + _interval(c.get("question_precision_interval")),
            c["question_precision"],
            "question_precision",
        ),
        (
            f"question recall (of the {c.get('consequential_injected', '?')} injected events"
            " consequential in the list shown)" + _interval(c.get("question_recall_interval")),
            c["question_recall"],
            "question_recall",
        ),
        *_recall_rows(c),
        ("question recall, all injected events", c.get("question_recall_all_injected"), None),
        (
            "injected events moving more than 2 of the 10 before an answer",
            c.get("unconfirmed_moving_more_than_2"),
            "unconfirmed_moving_more_than_2",
        ),
        (
            "injected events moving more than 2 of the 10 of a search before an answer",
            c.get("unconfirmed_moving_more_than_2_in_search"),
            None,
        ),
        ("questions per shopper", c["questions_per_shopper"], None),
        (
            "most questions about one injected event",
            c["max_questions_per_injected_event"],
            "max_questions_per_injected_event",
        ),
        ("share of suggestions with a reason", f["share_with_reason"], "share_with_reason"),
        (
            "share of cited factors passing the counterfactual check",
            f["share_cited_passing"],
            "share_cited_passing",
        ),
        (
            "share of forgets effective on the next answer",
            k["share_effective_next_answer"],
            "share_effective_next_answer",
        ),
    ]
    if t:
        rows += [
            (
                "truthfulness: share of suggestions whose reasons pass every check",
                t["share_passing_every_check"],
                "share_passing_every_check",
            ),
            (
                "truthfulness: share of cited factors passing the counterfactual check",
                t["share_counterfactual_passing"],
                "share_counterfactual_passing",
            ),
        ]
    out = [
        "## Tact: context collapse, faithful and truthful reasons, control",
        "",
        f"Command: `tactful eval tact` ({data.get('seconds', '?')} s). Online Retail test split"
        f" (cut 2011-11-01), {data['customers']} test customers sampled with seed"
        f" {data['seed']}; {c['injected_customers']} of them (30 %) get one injected"
        " out-of-profile purchase two hours before the cut, and every customer's last real"
        " order is replayed live through the agent's own clarification policy. A simulated"
        " shopper answers truthfully. See `bench/tact/collapse.py`.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
    ]
    for label, value, key in rows:
        target = targets.get(key, "") if key else ""
        verdict = _f(met[key]) if key and key in met else ""
        out.append(f"| {label} | {_f(value)} | {target} | {verdict} |")
    by_factor = f.get("by_factor", {})
    if by_factor:
        out += [
            "",
            "Counterfactual check by factor: "
            + ", ".join(
                f"{name} {v['passing']:.4f} of {v['cited']}" for name, v in by_factor.items()
            )
            + ".",
        ]
    if t:
        failures = ", ".join(f"{name} {n}" for name, n in t["failures_by_check"].items())
        out += [
            "",
            f"Truthfulness ({t.get('seconds', '?')} s of the run): {t['cases']} seeded cases, each"
            " a test customer in a random mode, at the cut or at 2026-11-30 (history faded),"
            " with no request, a filler-only request or a catalog word, after maybe one fresh"
            " event an hour earlier (a purchase, like or view; recorded with or without"
            " clarification; sometimes for a niece, or answered as being for her);"
            f" {t['suggestions']} suggestions and {t['cited_factors']} cited factors checked."
            f" Failures by check: {failures}; cited factors whose removal did not lower the"
            " whole score:"
            f" {t['cited_factors_whose_removal_did_not_lower_the_score']}. See"
            " `bench/tact/truthfulness.py`.",
        ]
    out += [
        "",
        "An injected event is consequential when counting it as the shopper's own, rather"
        " than not at all, would change at least 3 of the 10 items of a list before any"
        " answer: the default mode's suggestions as served (the policy's own check, and the"
        " headline recall), a search for the item's own category, or gift mode with no"
        " recipient named (where own taste is set aside by design). Intervals are 95 %"
        " Wilson intervals.",
    ]
    if calibration and "chosen" in calibration:
        out += ["", _calibration(calibration)]
    if "magazines" in data:
        out += ["", _magazines(data["magazines"])]
    return "\n".join(out)


def _interval(share: dict[str, Any] | None) -> str:
    return f" [{share['low']:.2f}, {share['high']:.2f}]" if share else ""


def _recall_rows(c: dict[str, Any]) -> list[tuple[str, Any, str | None]]:
    """Recall on the injected events consequential in a search, in gift mode, in any."""
    rows: list[tuple[str, Any, str | None]] = []
    for key, count, what in (
        ("question_recall_search", "consequential_in_search", "a search of its category"),
        ("question_recall_gift_mode", "consequential_in_gift_mode", "gift mode"),
        ("question_recall_any_list", "consequential_any_list", "any of the three lists"),
    ):
        if key in c:
            label = f"question recall (of the {c[count]} consequential in {what})"
            rows.append((label + _interval(c[key]), c[key]["value"], None))
    return rows


def _calibration(calibration: dict[str, Any]) -> str:
    """How the question rule was chosen, on the validation split only."""
    hold, both = calibration["hold_thresholds"], calibration["both_ways_held_out"]
    shipped = ClarifyConfig()
    ask, chosen = calibration["ask"], calibration["chosen"]
    winner = "the question score" if chosen and chosen.get("ask") else "the both-ways rule"
    score = (
        f"a ridge logistic regression on text likeness, taste percentile, co-purchase"
        " percentile, the share of the 50 most similar shoppers who chose the item, a new"
        " category, the price against the usual one and the size of the history, precision"
        f" {ask['held_out_precision']}, recall {ask['held_out_recall']}"
        if ask
        else "no question score could be fitted"
    )
    return (
        "The question rule was chosen on the validation split only (`python -m"
        f" bench.tact.calibrate`, {calibration['customers']} customers,"
        f" {calibration['cases']} assessed events, {calibration['consequential_injected']}"
        " consequential injected), judged on shoppers left out of each fit (5 folds):"
        f" the both-ways rule (unlike the history by text and by taste), precision"
        f" {both['precision']}, recall {both['recall']}; {score}. {winner.capitalize()} won."
        " The both-ways rule's best pair on all the cases is text similarity under"
        f" {hold['fit_similarity']} and taste percentile under {hold['fit_percentile']}"
        f" (precision {hold['precision']}, recall {hold['recall']}); the hold thresholds"
        " shipped are those of the earlier 400-customer calibration, text similarity under"
        f" {shipped.fit_similarity} or taste percentile under {shipped.fit_percentile}:"
        " events unlike the history by either measure that would change 3 or more of the 10"
        " are held at low weight without a question. Held, the"
        " consequential injected validation events moved more than 2 of the 10 in"
        f" {calibration['held_consequential_injected_moving_more_than_2']} cases (at most"
        f" {calibration['held_moves_max']})."
    )


def _magazines(m: dict[str, Any]) -> str:
    """The real-label check, reported beside the synthetic one and never tuned to."""

    def share(s: dict[str, Any]) -> str:
        return f"{s['value']:.3f} [{s['low']:.3f}, {s['high']:.3f}]"

    parts = []
    earlier = m["with_history"]["earlier_events"]
    for name, counts in (("all events", m["all"]), (f"with {earlier}+ earlier", m["with_history"])):
        parts.append(
            f"{name}: {counts['events']} events, {counts['labelled_other']} labelled for"
            f" someone else, {counts['asked']} asked ({counts['asked_other']} of them labelled);"
            f" precision {share(counts['precision'])}, recall {share(counts['recall'])},"
            f" ask rate {share(counts['ask_rate'])}"
        )
    return (
        "Real labels (`python -m bench.tact.magazines`, also run by `tactful eval tact`):"
        " Amazon magazine-subscription reviews whose text says the purchase was for someone"
        " else, replayed in time order through the same policy (protocol in"
        " `../shared/datasets/README.md`; 95 % Wilson intervals). "
        + "; ".join(parts)
        + f". Of the {len(m['other_events_top_10_changes'])} events labelled for someone else,"
        f" {m['other_events_changing_the_top_10']} would change the top 10 if counted as the"
        " reviewer's own. The labels are noisy and the positives few: compare, do not judge."
    )


def _speed(data: dict[str, Any], combined: dict[str, Any]) -> str:
    out = [
        "## Speed and memory",
        "",
        f"Command: `tactful eval speed` ({data.get('seconds', '?')} s); warm medians and p95."
        " Each size runs in its own process so peak RSS does not mix.",
        "",
        "| size | items | shoppers | events | recommend median / p95 ms | chat median / p95 ms"
        " | open s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, size in data.items():
        if not isinstance(size, dict) or "recommend_ms" not in size:
            continue
        rec, chat = size["recommend_ms"], size["chat_ms"]
        combined.setdefault("speed", {})[name] = {
            "recommend_p95_ms": rec["p95"],
            "chat_p95_ms": chat["p95"],
            "peak_rss_mb": size.get("peak_rss_mb"),
        }
        out.append(
            f"| {size.get('label', name)} | {size['items']:,} | {size['shoppers']:,} |"
            f" {size['events']:,} | {_f(rec['median'], 1)} / {_f(rec['p95'], 1)} |"
            f" {_f(chat['median'], 1)} / {_f(chat['p95'], 1)} | {_f(size.get('open_s'), 1)} |"
            f" {_f(size.get('peak_rss_mb'), 0)} |"
        )
    ingestion = data.get("ingestion", {})
    if ingestion:
        out += [
            "",
            f"Catalog ingestion: {_f(ingestion.get('items_per_s'), 1)} items/s through"
            f" `ingest_items` vs {_f(ingestion.get('raw_embed_per_s'), 1)} texts/s for the raw"
            f" model on the same texts: ratio {_f(ingestion.get('ratio'), 3)}. Events:"
            f" {_f(ingestion.get('events_per_s'), 0)} per second"
            f" ({ingestion.get('events_per_s_source', '')}).",
        ]
    http = data.get("http") or {}
    if http.get("runs"):
        from bench.speed.report import http_lines

        out += http_lines(http)
        out += [
            "",
            "Each closed-loop level runs for"
            f" {http['runs'][0]['seconds_per_level']:g} s against a real `tactful serve"
            " --workers N` on loopback, the clients (one keep-alive connection each) in one"
            " process on the same cores; recommend asks each time about a shopper no earlier"
            " request asked about (so none is answered from the history cache), chat runs"
            " six-turn sessions. Load 1m is the load average before and after the level; CPU"
            " is what the server's workers and the clients each spent per answered request"
            " (the machine's other work shows in the load, not here). Several workers share"
            " one home: its SQLite database, and a Chroma server (`chroma run`) on its"
            " vectors folder, as a shop runs one for `tactful serve --workers N`.",
        ]
        combined["speed_http"] = {
            "size": http["size"],
            "default_workers": http["default_workers"],
            "levels": [
                {"workers": run["workers"], **level}
                for run in http["runs"]
                for level in run["levels"]
            ],
            "open_levels": [
                {"workers": run["workers"], **level}
                for run in http["runs"]
                for level in run.get("open_levels", [])
            ],
        }
    met = data.get("met", {})
    combined["targets"]["speed"] = {"targets": data.get("targets"), "met": met}
    if met:
        out += ["", "| target | value | |", "|---|---|---|"]
        for key, verdict in met.items():
            out.append(
                f"| {key} {verdict.get('target', '')} | {verdict.get('value')} |"
                f" {_f(verdict.get('met'))} |"
            )
    for note in data.get("notes", []):
        out += ["", f"- {note}"]
    out += ["", "![Latency against catalog size](plots/latency.png)"]
    return "\n".join(out)


def _soak(data: dict[str, Any], combined: dict[str, Any]) -> str:
    plan, stability, judged = data["plan"], data["p99_stability"], data["judged"]
    mix = data["mix"]
    workers = list(data["rss"])
    out = [
        "## Soak: two workers under mixed load",
        "",
        f"Command: `tactful eval speed --soak` ({plan['seconds'] / 60:g} minutes, the first"
        f" {plan['warmup_seconds'] / 60:g} a warm-up). A real"
        f" `tactful serve --workers {plan['workers']}` on loopback at the"
        f" {data['label']} ({data['items']:,} items, {data['shoppers']:,} shoppers,"
        f" {data['events']:,} events), its vectors in a Chroma server on the home's folder,"
        f" {data['cores']} cores shared with the load clients. Arriving at fixed rates"
        f" (Poisson, timed from when each was due): {mix['recommend_per_s']:g} recommends,"
        f" {mix['events_per_s']:g} event batches and {mix['profiles_per_s']:g} profile reads"
        f" a second, a fact stated and corrected every {1 / mix['corrections_per_s']:g} s;"
        f" {mix['chat_clients']} shoppers chatting in six-turn sessions with about"
        f" {mix['chat_think_s']:g} s between turns; {len(data['erasures'])} erasures (each"
        " takes the shopper out of both workers' shop-wide snapshots at once; one worker then"
        " rebuilds it in the background, the other takes it up) and one `tactful refresh` in a"
        " process of its own (both workers take up the new snapshot in the background while"
        " answering).",
        "",
        "| from | requests | errors | p50 / p95 / p99 ms | p99 recommend / chat ms | RSS MB"
        " per worker | what happened |",
        "|---|---|---|---|---|---|---|",
    ]
    for minute in data["minutes"]:
        ms, by_kind = minute["latency_ms"], minute["p99_ms_by_kind"]
        memory = " / ".join(_f(minute["rss_mb"].get(pid), 0) for pid in workers)
        happened = ", ".join(minute["marks"] + (["warm-up"] if minute["warmup"] else []))
        out.append(
            f"| {minute['start_s'] / 60:g} min | {minute['requests']:,} | {minute['errors']} |"
            f" {_f(ms['p50'], 1)} / {_f(ms['p95'], 1)} / {_f(ms['p99'], 1)} |"
            f" {_f(by_kind.get('recommend'), 1)} / {_f(by_kind.get('chat'), 1)} | {memory} |"
            f" {happened} |"
        )
    growth = ", ".join(f"{_f(w['growth_pct'], 2)} %" for w in data["rss"].values())
    refresh = data.get("refresh") or {}
    saved = refresh.get("saved") or {}
    # The refresh's version as each worker took it up (not the rebuilds after erasures).
    taken = [
        t for t in data.get("taken_up", []) if f"version {saved.get('version')} (" in t["message"]
    ]
    out += [
        "",
        f"Requests: {data['requests']:,}; errors: {data['errors']} ({_f(judged['errors_zero'])}"
        " against 0). Memory of each worker from the minute after the warm-up to the last"
        f" minute (medians of samples every {plan['sample_seconds']:g} s): {growth}"
        f" ({_f(judged['rss_growth_below_5_pct'])} against < 5 %; before the run every shopper"
        " was asked for twice, filling each worker's cache of 2,048 shoppers' histories)."
        " Their low-water marks, first"
        " third after the warm-up against the last: "
        + ", ".join(
            f"{_f(w['floor_mb'][0], 0)} → {_f(w['floor_mb'][1], 0)} MB"
            f" ({_f(w['floor_growth_pct'], 2)} %)"
            for w in data["rss"].values()
            if "floor_mb" in w
        )
        + " (a leak raises the floor; a new snapshot moves memory up or down for a while)."
        " p99 of the quiet minutes after the warm-up (no erasure, no refresh): "
        + ", ".join(f"{_f(ms, 1)}" for ms in stability["p99_ms"])
        + f" ms; median of the first half {_f(stability['first_half_ms'], 1)} ms, of the"
        f" second {_f(stability['second_half_ms'], 1)} ms (ratio {_f(stability['ratio'], 2)},"
        f" at most 1.5), the highest {_f(stability.get('spread'), 2)} times the median (at"
        f" most 2): {_f(judged['p99_stable'])}. The marked minutes' p99: "
        + ", ".join(
            f"{_f(m['p99_ms'], 1)} ms ({', '.join(m['marks'])})"
            for m in data.get("marked_minutes_p99_ms", {}).values()
        )
        + ".",
        "",
        f"`tactful refresh` at {refresh.get('at_s', '?')} s took {refresh.get('seconds', '?')}"
        f" s as a process (build {saved.get('seconds', '?')} s, version"
        f" {saved.get('version', '?')}); the workers took it up in the background at "
        + (", ".join(f"{t['at_s']:g} s" for t in taken) or "–")
        + ". Erasures at "
        + ", ".join(f"{e['at_s']:g} s ({e['seconds'] * 1000:.0f} ms)" for e in data["erasures"])
        + ". Per kind over the run:",
        "",
        "| kind | requests | errors | p50 / p95 / p99 ms |",
        "|---|---|---|---|",
    ]
    for kind, summary in data["by_kind"].items():
        ms = summary["latency_ms"]
        out.append(
            f"| {kind} | {summary['requests']:,} | {summary['errors']} |"
            f" {_f(ms['p50'], 1)} / {_f(ms['p95'], 1)} / {_f(ms['p99'], 1)} |"
        )
    combined["soak"] = {
        "requests": data["requests"],
        "errors": data["errors"],
        "rss": data["rss"],
        "p99_stability": stability,
    }
    combined["targets"]["soak"] = judged
    return "\n".join(out)


def _conversation(data: dict[str, Any], combined: dict[str, Any]) -> str:
    slots, targets, met = data["slots"], data.get("targets", {}), data.get("met", {})
    combined["conversation"] = {
        key: data[key]
        for key in ("split", "utterances", "accuracy", "intent_macro_f1", "handover_recall")
    } | {"false_handover_rate": data["false_handover_rate"], "slots": slots}
    combined["targets"]["conversation"] = {"targets": targets, "met": met}
    rows = [
        ("intent macro-F1", data["intent_macro_f1"], "intent_macro_f1"),
        ("intent accuracy", data["accuracy"], None),
        (
            f"hand-over recall ({data['handover_utterances']} utterances)",
            data["handover_recall"],
            "handover_recall",
        ),
        (
            f"false hand-over rate ({data['false_handovers']} of"
            f" {data['utterances'] - data['handover_utterances']} utterances)",
            data["false_handover_rate"],
            "false_handover_rate",
        ),
    ] + [(f"slot exact match: {slot}", slots[slot], slot) for slot in slots if slot != "pairs"]
    out = [
        "## Conversation understanding",
        "",
        f"Command: `tactful eval conversation` ({data.get('seconds', '?')} s). The offline"
        f" reader on the {data['split']} split of `tests/conversation/utterances/`"
        f" ({data['utterances']} labelled utterances; see the README there). Hand-overs are"
        " handoff or sensitive readings; slots are scored over the"
        f" {slots['pairs']} utterances labelled request or refine and read with the same"
        " label.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
    ]
    for label, value, key in rows:
        target = targets.get(key, "") if key else ""
        verdict = _f(met[key]) if key and met.get(key) is not None else ""
        out.append(f"| {label} | {_f(value)} | {target} | {verdict} |")
    out += [
        "",
        "| label | support | times read | precision | recall | F1 |",
        "|---|---|---|---|---|---|",
    ]
    for label, scores in data["per_intent"].items():
        out.append(
            f"| {label} | {scores['support']} | {scores['read']} | {_f(scores['precision'])} |"
            f" {_f(scores['recall'])} | {_f(scores['f1'])} |"
        )
    confusions = data.get("confusions", [])[:8]
    if confusions:
        out += [
            "",
            "Most frequent misreadings (gold → read): "
            + ", ".join(f"{c['gold']} → {c['read']} {c['count']}" for c in confusions)
            + ".",
        ]
    return "\n".join(out)


def _simulated_shoppers(data: dict[str, Any], combined: dict[str, Any]) -> str:
    sides = ("tactful conversation", "bare keyword query", "conversation minus keyword")
    combined["simulated_shoppers"] = {
        side: {turn: data[side][turn] for turn in ("first_turn", "within_conversation")}
        for side in sides
    } | {"customers": data["customers"], "errors": data["errors"]}
    errors, replies, scripts = data["errors"], data["replies"], data["scripts"]
    definitions = data.get("definitions", {})
    out = [
        "## Simulated shoppers: asking in words against a bare keyword query",
        "",
        f"Command: `python -m bench.conversation.simulate`, also run by `tactful eval"
        f" conversation` ({data.get('seconds', '?')} s, of which"
        f" {data.get('setup_seconds', '?')} s load the training data into a tactful with its"
        f" clock at the cut). {data['customers']} customers, seed {data['seed']}:"
        f" {definitions.get('customers', '')}. Success: {definitions.get('success', '')}."
        f" First turn: {definitions.get('first_turn', '')}; within the conversation:"
        f" {definitions.get('within_conversation', '')}. Baseline:"
        f" {definitions.get('baseline', '')}. Messages: {definitions.get('messages', '')}.",
        "",
        "| | first turn | 95 % CI | within the conversation | 95 % CI |",
        "|---|---|---|---|---|",
    ]
    for side in sides[:2]:
        first, within = data[side]["first_turn"], data[side]["within_conversation"]
        out.append(
            f"| {side} | {_f(first['rate'])} | {_ci(first['ci95'])} | {_f(within['rate'])} |"
            f" {_ci(within['ci95'])} |"
        )
    first, within = data[sides[2]]["first_turn"], data[sides[2]]["within_conversation"]
    out.append(
        f"| {sides[2]} (paired) | {_f(first['difference'])} | {_ci(first['ci95'])} |"
        f" {_f(within['difference'])} | {_ci(within['ci95'])} |"
    )
    strict = data.get("in_the_asked_category")
    if strict:
        for side in sides[:2]:
            first, within = strict[side]["first_turn"], strict[side]["within_conversation"]
            out.append(
                f"| {side}, asked category only | {_f(first['rate'])} | {_ci(first['ci95'])} |"
                f" {_f(within['rate'])} | {_ci(within['ci95'])} |"
            )
    out += ["", "| turn | median ms | p95 ms |", "|---|---|---|"]
    for turn, times in data["latency_ms"].items():
        out.append(
            f"| {turn.replace('_', ' ')} | {_f(times['median'], 1)} | {_f(times['p95'], 1)} |"
        )
    registers = _by_group(data.get("by_register", {}))
    follow_ups = _by_group(data.get("by_follow_up", {}))
    out += [
        "",
        f"Failed chat calls: {errors['chat_calls_failed']}"
        f" ({errors['customers_with_a_failed_chat_call']} customers), failed keyword calls:"
        f" {errors['keyword_calls_failed']}; failures count as misses. First replies without"
        f" suggestions: {replies['first_reply_without_suggestions']}, asking a question:"
        f" {replies['first_reply_asked_a_question']}; distinct items the chat showed over both"
        f" turns: {replies['mean_distinct_items_shown_in_chat']} on average (the keyword side"
        f" shows up to 20). Scripts: {scripts['with_budget']} with a budget,"
        f" {scripts['with_typo']} with a typo, dialects {scripts['dialects']}. Within the"
        f" conversation (chat / keyword) by register: {registers}; by follow-up: {follow_ups}.",
    ]
    return "\n".join(out)


def _by_group(groups: dict[str, dict[str, Any]]) -> str:
    return ", ".join(
        f"{name!r} n={v['n']} {_f(v['chat_within'], 2)} / {_f(v['keyword_within'], 2)}"
        for name, v in groups.items()
    )


def _ci(bounds: list[float]) -> str:
    return f"[{bounds[0]:.4f}, {bounds[1]:.4f}]"


def _experiments(data: dict[str, Any], combined: dict[str, Any]) -> str:
    """The simulated experiment's readout, beside the proof that its statistics are honest."""

    def number(value: float | None) -> str:
        return "–" if value is None else f"{value:.4g}"

    def percent(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:+.1f} %"

    def span(low: float | None, high: float | None, show: Callable[[float | None], str]) -> str:
        return "–" if low is None or high is None else f"{show(low)} to {show(high)}"

    report, params, lists = data["report"], data["reactions"], data["staff_lists"]
    split, timings, proof = data["split"], data["timings"], data["statistics"]
    arms, control = report["arms"], report["control"]
    treatments = [arm for arm in arms if arm != control]
    k = data["k"]
    combined["experiments"] = {
        "customers": data["customers"],
        "shoppers": report["shoppers"],
        "blocked": report["blocked"],
        "verdict": report["verdict"],
        "lifts": {
            m["name"]: {
                arm: {key: m["lifts"][arm][key] for key in ("lift", "low", "high", "significant")}
                for arm in treatments
            }
            for m in report["metrics"]
        },
    }
    combined["targets"]["experiments_statistics"] = {
        part: {"target": proof[part]["target"], "met": proof[part]["met"]}
        for part in ("aa", "peeking", "planted", "srm")
    }
    out = [
        "## Experiments: AI-only vs human-curated vs hybrid",
        "",
        f"Command: `{data['command']}` ({data['seconds']} s: {timings['setup_seconds']} s to"
        f" load the training data and curate, {timings['simulate_seconds']} s to play the"
        f" shoppers, {timings['report_seconds']} s for the readout,"
        f" {timings['statistics_seconds']} s for the statistics proof).",
        "",
        "The shop is a real tactful holding the Online Retail training data from before the"
        f" cut ({split['catalog_items']:,} items sold before 2011-11-01,"
        f" {split['train_events']:,} purchase lines), with staff lists playing the curators:"
        f" for each category, the {lists['per_category']} items bought by the most customers"
        f" in the {lists['bestseller_days']} days before the cut, aimed at that category, and"
        f" the {lists['overall']} such items overall for requests that name no category"
        f" ({len(lists['lists'])} lists). {data['customers']} seeded test customers (seed"
        f" {data['seed']}) are assigned by the experiment's own hash to three equal arms"
        f" (control: {control}) and visit {data['sessions']} times,"
        f" {data['session_gap_days']:g} days apart: each visit opens the chat, asks"
        f" `Tactful.recommend` for {k} suggestions (in browsing mode, or with probability"
        f" {params['p_category']} for a category the customer buys from) and logs them as"
        " shown. What a customer bought after the cut, re-orders included, is what they like:"
        f" they click such an item with probability {params['p_click_hit']} and any other"
        f" with {params['p_click_noise']}, may then add it to the basket and buy it, give a"
        f" thumbs up to a clicked hit ({params['p_up']}) or down to a clicked miss"
        f' ({params["p_down"]}), say "not for me" to an unclicked miss more often the'
        " further the list lies from the categories they buy, and rate"
        f" {params['p_rate']} of their visits 1–5, higher the more hits the list held."
        " The readout is the experiment's own report over what the stores hold (as"
        " `tactful experiments report` shows it); the reaction model and every parameter are"
        " in `bench/experiments/simulator.py`, and the model has no position bias, so order"
        f" within a list matters only through which items make the top {k}: hybrid differs"
        f" from curated only where a staff list holds more than {k} items.",
        "",
        "Each arm's value with its 95 % interval and the number of shoppers it rests on"
        " (↑ higher is better, ↓ lower is better). Corrections, hand-overs, complaints and"
        " clarifying questions are not simulated.",
        "",
        "| metric | " + " | ".join(arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    for m in report["metrics"]:
        label = m["label"] + (" ↑" if m["higher_is_better"] else " ↓")
        if m["guardrail"]:
            label += " (guardrail)"
        cells = [
            f"{number(i['value'])} [{number(i['low'])}, {number(i['high'])}], n={i['n']}"
            if i["value"] is not None
            else f"–, n={i['n']}"
            for i in (m["arms"][arm] for arm in arms)
        ]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += [
        "",
        f"Lifts over {control}, relative, with the fixed 95 % interval, the always-valid 95 %"
        " interval (safe to read at any time) and the p-value Holm-adjusted over the"
        f" treatments; a guardrail must not worsen by more than"
        f" {report['guardrail_margin'] * 100:g} %.",
        "",
        "| metric | arm | lift | 95 % CI | always-valid 95 % CI | p (Holm) | significant |"
        " guardrail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report["metrics"]:
        for arm in treatments:
            lift = m["lifts"][arm]
            guard = ""
            # As the verdict does: with no lift there is nothing a guardrail could judge.
            if m["guardrail"] and lift["lift"] is not None:
                guard = "held" if lift["non_inferior"] else "**not shown to hold**"
            out.append(
                f"| {m['label']} | {arm} | {percent(lift['lift'])} |"
                f" {span(lift['low'], lift['high'], percent)} |"
                f" {span(lift['sequential_low'], lift['sequential_high'], percent)} |"
                f" {lift['p_adjusted']:.2g} | {'yes' if lift['significant'] else 'no'} |"
                f" {guard} |"
            )
    srm = report["sample_ratio"]
    observed = ", ".join(f"{arm} {n:,}" for arm, n in srm["observed"].items())
    expected = ", ".join(f"{arm} {n:,.1f}" for arm, n in srm["expected"].items())
    out += [
        "",
        f"Sample-ratio check: exposed shoppers {observed} against {expected} expected from the"
        f" weights; p = {srm['p_value']:.3g},"
        + (" passed." if srm["passed"] else " **failed: the readout is blocked**."),
        "",
        "Verdict (the report's own words): " + report["verdict"],
        "",
        "What the simulator itself counted, beside the readout: the share of shown items"
        " that the customer bought after the cut (hit share) is the truth the arms differ in.",
        "",
        "| arm | lists | asked for a category | items shown, by who chose them | hit share |"
        " clicks | purchases | ratings (mean) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for arm, t in data["simulated"].items():
        sources = ", ".join(f"{source} {n:,}" for source, n in t["items_by_source"].items())
        out.append(
            f"| {arm} | {t['lists']:,} | {t['category_requests']:,} | {sources} |"
            f" {_f(t['hit_share'])} | {t['clicks']:,} | {t['purchases']:,} |"
            f" {t['ratings']:,} ({number(t['mean_rating'])}) |"
        )
    aa, peek, planted, srm_proof = proof["aa"], proof["peeking"], proof["planted"], proof["srm"]
    low, high = aa["target"]
    limits = peek["target"]
    dropped = srm_proof["after_dropping"]
    out += [
        "",
        "The statistics proof (`python -m bench.experiments.statistics`, run by the same"
        f" command: seed {proof['seed']}, {aa['runs']:,} simulated experiments per check,"
        f" {proof['seconds']} s) checks the same machinery on synthetic shoppers whose truth"
        " is known:",
        "",
        "| check | value | target | |",
        "|---|---|---|---|",
    ]
    for name, rate in aa["false_positive_rate"].items():
        out.append(
            f"| A/A, three identical arms of {aa['shoppers_per_arm']:,}: share of runs with a"
            f" Holm-significant winner, {name} | {_f(rate, 3)} | [{low}, {high}] |"
            f" {_f(low <= rate <= high)} |"
        )
    for name, naive in peek["naive_false_positive_rate"].items():
        sequential = peek["sequential_false_positive_rate"][name]
        held = naive > limits["naive_above"] and sequential <= limits["sequential_at_most"]
        out.append(
            f"| peeking, {peek['looks']} looks up to {peek['shoppers_per_arm']:,} per arm of"
            f" two identical arms: runs with any look excluding 0, {name}, fixed / always-valid"
            f" interval | {_f(naive, 3)} / {_f(sequential, 3)} | fixed >"
            f" {limits['naive_above']}, always-valid ≤ {limits['sequential_at_most']} |"
            f" {_f(held)} |"
        )
    out += [
        f"| planted {percent(planted['true_lift'])} {planted['metric']} lift on"
        f" {planted['arm']} ({planted['shoppers_per_arm']:,} per arm): 95 % interval covers"
        f" it | {_f(planted['coverage'], 3)} | ≥ {planted['target']['coverage_at_least']} |"
        f" {_f(planted['met'])} |",
        f"| planted lift: found (Holm, positive) | {_f(planted['detection_rate'], 3)} | | |",
        f"| planted lift: always-valid interval covers it |"
        f" {_f(planted['sequential_coverage'], 3)} | | |",
        f"| planted lift: mean estimate | {_f(planted['mean_estimated_lift'], 4)} | | |",
        "| planted lift: untouched arm called significant |"
        f" {_f(planted['untouched_arm_false_positive_rate'], 3)} | | |",
        f"| sample-ratio check on {srm_proof['shoppers']:,} real assignments: p |"
        f" {srm_proof['p_value']:.3g} | passes | {_f(srm_proof['passed'])} |",
        f"| sample-ratio check after losing {dropped['share'] * 100:g} % of {dropped['arm']}'s"
        f" shoppers ({dropped['shoppers']:,}): p | {dropped['p_value']:.2g} | <"
        f" {srm_proof['target']['after_dropping_fails_below']} (trips) |"
        f" {_f(not dropped['passed'])} |",
        f"| sample-ratio check tripping on untouched assignments ({srm_proof['aa_keys']}"
        f" keys of {srm_proof['aa_shoppers_per_key']:,}) | {_f(srm_proof['aa_failure_rate'], 3)}"
        f" | about {srm_proof['target']['aa_failure_rate_about']} | |",
        "",
        "![Experiment lifts](plots/experiments.png)",
    ]
    return "\n".join(out)
