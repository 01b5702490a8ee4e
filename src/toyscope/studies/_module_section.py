"""The report section of a module report (:class:`toyscope.analysis.ModuleReport`), the one every
study and ``toyscope analyze connectivity`` show: its sentences, then one table row per module."""

from __future__ import annotations

from .. import analysis
from ._base import Section, Table

#: the sensitivity table is shown for at most this many inputs
MAX_SENSITIVITY_COLUMNS = 16


def module_section(report: analysis.ModuleReport, title: str = "Modules", *, lead: str = "") -> Section:
    """A :class:`Section` with ``lead`` (e.g. which network), the report's sentences and its module table."""
    text = " ".join(([lead] if lead else []) + report.sentences())
    caption = (f"Modules of the active graph (|w| >= {report.threshold:g} x max|w|): the connected parts of the "
               "neurons on an active path from an input to an output. Leak: an output's sensitivity to an input "
               "outside its module over its mean sensitivity to its own inputs.")
    tables = [Table("modules", ["module", "inputs", "outputs", "hidden neurons per layer", "largest leak"],
                    report.rows(), caption)]
    if len(report.input_names) <= MAX_SENSITIVITY_COLUMNS:
        kind = "mean |dy/dx| over the data" if report.sensitivity_kind == "jacobian" else "path strength"
        tables.append(Table("sensitivity", ["output", *report.sorted_inputs()], report.sensitivity_rows(),
                            f"Each output's sensitivity ({kind}) to each input, relative to its largest."))
    return Section(title, text, tables=tables)
