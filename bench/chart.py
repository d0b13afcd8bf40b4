"""Draw bench/results.png from bench/results.json (written by bench/cmd/report).

    python bench/chart.py bench/results.json bench/results.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MS = 1e6  # nanoseconds per millisecond
IDEM, BASE, PY, TS, OTHER = "#1f6fb4", "#9a9a9a", "#e0a100", "#2f9e44", "#c0504d"


def color(name):
    if name.startswith("[compared"):
        return "#9ecae1"
    if name.startswith("Powertools Python"):
        return PY
    if name.startswith("Powertools TypeScript"):
        return TS
    if name.startswith("no extension"):
        return BASE
    if "ReverseProxy" in name or "relay" in name:
        return OTHER
    return IDEM


def hbars(ax, rows, title, unit="ms"):
    names = [r["name"] for r in rows][::-1]
    vals = [r["summary"]["p50"] / MS for r in rows][::-1]
    bars = ax.barh(names, vals, color=[color(n) for n in names])
    for b, v in zip(bars, vals):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v:.2f}", va="center", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"p50 ({unit})")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlim(0, max(vals) * 1.25 if vals else 1)


def cold(ax, rep):
    names, totals = [], []
    for c in (rep.get("dynamo") or {}).get("cold_starts") or []:
        names.append(c["name"] + "\n(SDK + library import, client)")
        totals.append((c["sdk_import"] + c["lib_import"] + c["client"]) / MS)
    for row in rep.get("init") or []:
        if row["name"] == "DynamoDB store":
            names.append("idemproxy, DynamoDB store\n(exec to ready)")
            totals.append(row["ready"]["p50"] / MS)
    if not names:
        ax.set_visible(False)
        return
    bars = ax.barh(names[::-1], totals[::-1], color=[color(n) for n in names[::-1]])
    for b, v in zip(bars, totals[::-1]):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v:.1f} ms", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(1, max(totals) * 4)
    ax.set_title("Cold start cost, median (ms, log scale)", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)


def keys(ax, rep):
    rows = rep.get("keys") or []
    if not rows:
        ax.set_visible(False)
        return
    events = list(dict.fromkeys(r["event"] for r in rows))
    configs = list(dict.fromkeys(r["config"] for r in rows))
    width = 0.8 / len(configs)
    for j, cfg in enumerate(configs):
        vals = [next((r["per_op"] / 1e3 for r in rows if r["event"] == e and r["config"] == cfg), 0) for e in events]
        xs = [i + j * width for i in range(len(events))]
        ax.bar(xs, vals, width=width, label=cfg)
        for x, v in zip(xs, vals):
            ax.text(x, v, f"{v:.3g}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks([i + width * (len(configs) - 1) / 2 for i in range(len(events))], events, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("per key (us, log scale)")
    ax.set_title("Key extraction + hash", fontsize=10)
    ax.legend(fontsize=7)


def main():
    src, dst = sys.argv[1:3]
    with open(src, encoding="utf-8") as f:
        rep = json.load(f)
    fig, axes = plt.subplots(2, 2, figsize=(15, 9.5))
    local = (rep.get("local") or {}).get("rows") or []
    if local:
        hbars(axes[0][0], local, "Emulator, Go handler: per invocation (p50 ms)")
    else:
        axes[0][0].set_visible(False)
    dyn = ((rep.get("dynamo") or {}).get("section") or {}).get("rows") or []
    if dyn:
        hbars(axes[0][1], dyn, "DynamoDB (dynalite): idemproxy end-to-end,\nPowertools in-process (p50 ms)")
    else:
        axes[0][1].set_visible(False)
    cold(axes[1][0], rep)
    keys(axes[1][1], rep)
    m = rep.get("machine", {})
    fig.suptitle(f"idemproxy benchmark: {m.get('cpu', '')}, {m.get('cores', '')} cores, commit {m.get('commit', '')}", fontsize=11)
    fig.tight_layout()
    fig.savefig(dst, dpi=90)


if __name__ == "__main__":
    main()
