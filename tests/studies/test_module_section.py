"""The module section shows the report's sentences and one row per module."""

import numpy as np

from toyscope import analysis
from toyscope.studies._module_section import module_section


def test_the_section_holds_every_module_and_the_leak():
    w1 = np.array([[1.0, 0, 0], [0, 0, 1.0], [0.9, 0, 0]])
    w2 = np.array([[1.0, 0.05], [0, 0], [0, 1.0]])
    report = analysis.module_report([w1, w2], input_names=["a", "b", "c"], output_names=["u", "v"])
    section = module_section(report, lead="Seed 0.")
    assert section.text.startswith("Seed 0. 2 module(s) at threshold 0.1")
    assert "v is 5.0% as sensitive to a as to its own inputs (b)." in section.text
    table = section.tables[0]
    assert [row[1:3] for row in table.rows] == [["a, c", "u"], ["b", "v"]]
    assert table.rows[1][4] == "5.0% (v <- a)"


def test_the_sensitivity_table_is_relative_to_each_outputs_largest():
    w1 = np.array([[1.0, 0.0], [0.0, 2.0]])
    w2 = np.array([[1.0, 0.5], [0.25, 1.0]])
    section = module_section(analysis.module_report([w1, w2], threshold=0.01))
    table = section.tables[1]
    assert table.columns == ["output", "x1", "x2"]
    # path strength |W1||W2| = [[1, 0.5], [0.5, 2]]: y1 reads x1 twice as strongly as x2, y2 the reverse by 4
    assert table.rows == [["y1", 1.0, 0.5], ["y2", 0.25, 1.0]]
