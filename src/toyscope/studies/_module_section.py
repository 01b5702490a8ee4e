"""The report section of a module report (:class:`toyscope.analysis.ModuleReport`), the one every
study and ``toyscope analyze connectivity`` show: its sentences, then one table row per module."""

from __future__ import annotations

from .. import analysis
from ._base import Section, Table


def module_section(report: analysis.ModuleReport, title: str = "Modules", *, lead: str = "") -> Section:
    """A :class:`Section` with ``lead`` (e.g. which network), the report's sentences and its module table."""
    text = " ".join(([lead] if lead else []) + report.sentences())
    caption = (f"Modules of the active graph (|w| >= {report.threshold:g} x max|w|): the connected parts of the "
               "neurons on an active path from an input to an output. Leak: an output's sensitivity to an input "
               "outside its module over its mean sensitivity to its own inputs.")
    return Section(title, text, tables=[
        Table("modules", ["module", "inputs", "outputs", "hidden neurons per layer", "largest leak"], report.rows(),
              caption)])
