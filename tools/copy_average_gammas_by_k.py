"""The copy-average change points against the teacher width k, from finished run folders.

    python tools/copy_average_gammas_by_k.py OUT.png RUN [RUN ...]

Each RUN is a finished ``copy-average`` run folder (erf). Folders with the same k are one phase
diagram: their students (``summary.json``'s rows) are pooled, so the cells of a sweep run as
separate folders (``--set "n_values=[...]"`` per group of widths) count as one k. A width may come
from one folder only (pooling two draws of one width would mix two seeds' designs). For every k
this recomputes gamma1, gamma2, gamma3 and their bootstrap intervals over the seeds with the same
library functions a run uses (``analysis.phase_diagram_gammas`` and
``analysis.phase_diagram_gamma_intervals``, C-A optimal losses ``theory.one_neuron_losses``),
draws them with ``viz.gamma_against_k_figure`` beside the paper's readings, and prints a markdown
table with the seeds per width. A k-sweep run (``--set "k_values=[...]"``) makes the same figure
itself; this tool is for phase diagrams run a cell at a time.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from toyscope import analysis, theory, viz
from toyscope.studies.copy_average import PAPER_GAMMAS  # the paper's readings (k <= 100)


def _fail(message: str):
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _rows_by_k(folders: list[Path]) -> dict[int, list[dict]]:
    rows, source = defaultdict(list), {}
    for folder in folders:
        summary_path = folder / "summary.json"
        if not summary_path.is_file():
            _fail(f"{folder} is not a finished run folder (no summary.json)")
        summary = json.loads(summary_path.read_text())
        if "runs" not in summary or "k" not in summary:
            _fail(f"{folder} is not a copy-average run of one k (a k-sweep folder: pass its cells instead)")
        if summary.get("activation") != "erf":
            _fail(f"{folder} is a {summary.get('activation')!r} run: the gammas here are the erf ones")
        k = int(summary["k"])
        for n in sorted({row["n"] for row in summary["runs"]}):
            if (k, n) in source:
                _fail(f"width n = {n} at k = {k} is in both {source[k, n]} and {folder}; pass one of them")
            source[k, n] = folder
        rows[k].extend(summary["runs"])
    return dict(sorted(rows.items()))


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].endswith(".png"):
        _fail("usage: python tools/copy_average_gammas_by_k.py OUT.png RUN [RUN ...]")
    out, folders = Path(argv[0]), [Path(a) for a in argv[1:]]
    by_k = _rows_by_k(folders)
    triples = {name: [] for name in PAPER_GAMMAS}
    lines = ["| k | widths | seeds per width | gamma1 [95%] | gamma2 [95%] | gamma3 [95%] |", "| --- | --- | --- | --- | --- | --- |"]
    for k, rows in by_k.items():
        args = ([r["n"] for r in rows], [r["class"] for r in rows], [r["loss"] for r in rows], k)
        line = theory.one_neuron_losses(k)[::-1]  # L(k - n + 1), n = 1..k
        gammas = analysis.phase_diagram_gammas(*args, ca_optimal_losses=line)
        intervals = analysis.phase_diagram_gamma_intervals(*args, ca_optimal_losses=line)
        cells = []
        for name in PAPER_GAMMAS:
            value, interval = getattr(gammas, name), intervals[name]
            triples[name].append((value, interval.low, interval.high))
            bounds = "not observed" if interval.low is None else f"{interval.low:.3g}-{interval.high:.3g}"
            if 0 < interval.observed < 1:
                bounds += f", observed in {interval.observed:.0%}"
            cells.append(f"{'-' if value is None else f'{value:.3g}'} [{bounds}]")
        widths = sorted({r["n"] for r in rows})
        seeds = sorted({sum(r["n"] == n for r in rows) for n in widths})
        lines.append(f"| {k} | {len(widths)} ({widths[0]}-{widths[-1]}) | {'/'.join(map(str, seeds))} | "
                     + " | ".join(cells) + " |")
    figure = viz.gamma_against_k_figure(list(by_k), triples, PAPER_GAMMAS)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
