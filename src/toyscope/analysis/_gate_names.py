r"""Names of Boolean functions of any number of inputs, for gate labels.

A truth table of :math:`n` inputs is a bool vector of length :math:`2^n`, rows in
:func:`toyscope.tasks.binary_inputs` order (row :math:`r` holds the bits of :math:`r`, the first
input most significant). Two-input tables keep their 16 names (:data:`GATE_NAMES`: ``0110`` is
``XOR``). Any other table is named by what it depends on:

1. its *support* :math:`S`, the inputs :math:`i` with :math:`f(x) \ne f(x \oplus e_i)` for some
   :math:`x`; the function is restricted to :math:`S` (the other inputs set to 0);
2. :math:`|S| = 0`: ``FALSE`` / ``TRUE``; :math:`|S| = 1`: ``x3`` / ``NOT_x3``;
3. a *symmetric* function (its value depends only on the number :math:`c` of inputs of
   :math:`S` that are on): ``AND``, ``OR``, ``NAND``, ``NOR``, ``XOR`` (odd parity), ``XNOR``,
   ``MAJ`` (more than half on), ``AT_LEAST_k``, ``AT_MOST_k``, else ``SYM{c1,c2,...}``;
4. two inputs, not symmetric: the two-input name (``A_NIMPLY_B``, ...), A the first of ``S``;
5. otherwise ``T<table>`` for :math:`|S| \le 4`, ``T#<8 hex digits>`` (a BLAKE2 digest of the
   table) above.

The arguments follow in parentheses when :math:`S` is not every input, e.g. ``XOR(x1,x3)`` of a
3-input table. Inputs are named ``A``, ``B`` for one or two inputs and ``x1 .. xn`` above.
"""

from __future__ import annotations

import hashlib

import numpy as np

#: names of the 16 two-input Boolean functions, keyed by their truth table over (0,0),(0,1),(1,0),(1,1)
GATE_NAMES: dict[str, str] = {
    "0000": "FALSE", "0001": "AND", "0010": "A_NIMPLY_B", "0011": "A", "0100": "B_NIMPLY_A", "0101": "B",
    "0110": "XOR", "0111": "OR", "1000": "NOR", "1001": "XNOR", "1010": "NOT_B", "1011": "B_IMPLIES_A",
    "1100": "NOT_A", "1101": "A_IMPLIES_B", "1110": "NAND", "1111": "TRUE",
}
GATE_TABLES: dict[str, str] = {name: table for table, name in GATE_NAMES.items()}
#: the most inputs a unit's truth table is built over (2**16 = 65,536 rows per unit)
MAX_GATE_INPUTS = 16


def input_names(n_inputs: int) -> list[str]:
    """Default names of ``n_inputs`` inputs: ``A``, ``B`` for up to two, ``x1 .. xn`` above."""
    return ["A", "B"][:n_inputs] if n_inputs <= 2 else [f"x{i + 1}" for i in range(n_inputs)]


def _support(table: np.ndarray, n: int) -> list[int]:
    cube = table.reshape((2,) * n)
    return [i for i in range(n) if not np.array_equal(np.take(cube, 0, axis=i), np.take(cube, 1, axis=i))]


def _restrict(table: np.ndarray, n: int, support: list[int]) -> np.ndarray:
    cube = table.reshape((2,) * n)
    index = tuple(slice(None) if i in support else 0 for i in range(n))
    return cube[index].reshape(-1)


def _symmetric_name(values: list[int], m: int) -> str | None:
    """Name of a symmetric function of m >= 2 inputs with value ``values[c]`` at c inputs on."""
    on = [c for c in range(m + 1) if values[c]]
    if on == [m]:
        return "AND"
    if on == list(range(1, m + 1)):
        return "OR"
    if on == list(range(m)):
        return "NAND"
    if on == [0]:
        return "NOR"
    if on == list(range(1, m + 1, 2)):
        return "XOR"
    if on == list(range(0, m + 1, 2)):
        return "XNOR"
    if on == list(range(on[0], m + 1)):
        return "MAJ" if m % 2 and on[0] == (m + 1) // 2 else f"AT_LEAST_{on[0]}"
    if on == list(range(0, on[-1] + 1)):
        return f"AT_MOST_{on[-1]}"
    return "SYM{" + ",".join(map(str, on)) + "}"


def boolean_function_name(table, names=None) -> str:
    """The name of a truth table (see the module docstring for the rules).

    Args:
        table: ``(2**n,)`` bool or 0/1, rows in :func:`toyscope.tasks.binary_inputs` order, or a
            string of ``0``/``1``.
        names: the n input names (default :func:`input_names`).

    Returns:
        e.g. ``"XOR"`` (two inputs, table ``0110``), ``"MAJ"``, ``"AND(x1,x3)"``, ``"NOT_x2"``.

    Raises:
        ValueError: a length that is not a power of two, or more than 16 inputs.

    >>> boolean_function_name("0110")
    'XOR'
    >>> boolean_function_name("00010111")  # majority of three
    'MAJ'
    >>> boolean_function_name("00000101")  # x1 AND x3, whatever x2
    'AND(x1,x3)'
    """
    bits = np.array([c == "1" for c in table]) if isinstance(table, str) else np.asarray(table).astype(bool)
    n = int(round(np.log2(max(bits.size, 1))))
    if bits.ndim != 1 or bits.size != 2**n or n < 1:
        raise ValueError(f"a truth table needs 2**n rows (n >= 1), got {bits.size}")
    if n > MAX_GATE_INPUTS:
        raise ValueError(f"truth tables are limited to {MAX_GATE_INPUTS} inputs, got {n}")
    names = list(names) if names is not None else input_names(n)
    if n == 2 and names == ["A", "B"]:
        return GATE_NAMES["".join("1" if b else "0" for b in bits)]
    support = _support(bits, n)
    sub = _restrict(bits, n, support)
    args = [names[i] for i in support]
    m = len(support)
    if m == 0:
        return "TRUE" if bits[0] else "FALSE"
    if m == 1:
        return args[0] if sub[1] else f"NOT_{args[0]}"
    counts = np.array([bin(r).count("1") for r in range(2**m)])
    values = [sub[counts == c] for c in range(m + 1)]
    if all(v.all() or not v.any() for v in values):
        name = _symmetric_name([int(v[0]) for v in values], m)
    elif m == 2:
        name = GATE_NAMES["".join("1" if b else "0" for b in sub)]
    elif m <= 4:
        name = "T" + "".join("1" if b else "0" for b in sub)
    else:
        name = "T#" + hashlib.blake2b(np.packbits(sub).tobytes(), digest_size=4).hexdigest()
    if m == n and not _asymmetric(name):  # an asymmetric gate names its arguments (A = the first)
        return name
    return f"{name}({','.join(args)})"


def _asymmetric(name: str) -> bool:
    return name in ("A_NIMPLY_B", "B_NIMPLY_A", "A_IMPLIES_B", "B_IMPLIES_A")
