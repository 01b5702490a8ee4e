r"""Formulas you type, as regression tasks: ``"y1 = x1*x3; y2 = x2 + x4**2"``.

:func:`parse_formula` reads one output per statement (``name = expression``, statements separated
by ``;`` or new lines) with a whitelist grammar and returns a :class:`Formula`, a pure function of
an input array. Nothing is ever executed: Python's ``ast.parse(mode="eval")`` only splits each
right side into a tree, every node of which must be one of

* a number (``2``, ``0.5``, ``1e-3``) or the constant ``pi``;
* an input ``x1``, ``x2``, ... (``x<k>``, ``k >= 1``);
* parentheses, unary minus, ``+ - * / **``;
* a call with one argument of ``sin cos exp log sqrt abs tanh``,

and the tree is then evaluated by this module's own walk (never ``eval`` or ``compile``).
:func:`formula_task` samples inputs as the BIMT paper's symbolic tasks do
(:math:`x_i \sim U[-1, 1]`, :func:`toyscope.tasks.symbolic_task`) and refuses a formula that
divides by zero or is not finite on them.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.1 (symbolic formulas).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable

import numpy as np

#: the functions a formula may call, with one argument each
FORMULA_FUNCTIONS = ("sin", "cos", "exp", "log", "sqrt", "abs", "tanh")
_ALLOWED = ("allowed: numbers, pi, inputs x1, x2, ..., parentheses, unary minus, + - * / **, and "
            f"{', '.join(FORMULA_FUNCTIONS)} of one argument")
_INPUT = re.compile(r"x([1-9][0-9]*)")
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_NODE_NAMES = {  # what a refused node is called in the error
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambda", ast.Compare: "comparisons",
    ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts",
    ast.Set: "sets", ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "f-strings", ast.Starred: "starred arguments",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Await: "await", ast.Yield: "yield", ast.Slice: "slices",
}
_OPERATOR_NAMES = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
                   ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.UAdd: "unary +", ast.Not: "not",
                   ast.Invert: "~"}

# the checked tree: ("num", value) | ("var", index) | ("neg", a) | ("bin", op, a, b) | ("call", name, a),
# each node a tuple whose last item is the source text of the sub-expression (for errors)


@dataclasses.dataclass(frozen=True)
class Formula:
    r"""A parsed formula: outputs :math:`y_j = f_j(x_1, \dots, x_n)`, a pure function of the inputs.

    Call it on inputs ``x`` of shape ``(..., n_inputs)`` (numpy or JAX; JAX arrays are computed
    with ``jax.numpy``, so it works under ``jit``, ``grad`` and ``vmap``) to get ``(..., n_outputs)``,
    output ``j`` in the last axis being ``outputs[j]``.

    Attributes:
        inputs: ``("x1", ..., "xn")``.
        outputs: the left sides, in order.
        expressions: each right side as parsed (normalised text).
    """

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    expressions: tuple[str, ...]
    trees: tuple[tuple, ...] = dataclasses.field(repr=False)

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def text(self) -> str:
        """The formula as one normalised line, ``"y1 = x1 * x3; y2 = x2 + x4 ** 2"``."""
        return "; ".join(f"{name} = {expr}" for name, expr in zip(self.outputs, self.expressions))

    def __call__(self, x):
        xp = _namespace(x)
        x = xp.asarray(x)
        if not xp.issubdtype(x.dtype, xp.floating):
            x = x * 1.0  # integer or bool inputs: the float type of the namespace
        if x.ndim < 1 or x.shape[-1] != self.n_inputs:
            raise ValueError(f"formula inputs must have shape (..., {self.n_inputs}), got {tuple(x.shape)}")
        values = [_evaluate(tree, x, xp, None) for tree in self.trees]
        return xp.stack([xp.full(x.shape[:-1], v, dtype=x.dtype) if isinstance(v, float) else v for v in values],
                        axis=-1)


def parse_formula(formula: str, n_inputs: int | None = None) -> Formula:
    r"""Parse ``formula`` (``"y1 = x1*x3; y2 = x2 + x4**2"``) with a whitelist grammar.

    One output per statement, ``name = expression``, statements separated by ``;`` or new lines;
    the left sides name the outputs (Python identifiers, each once, not an input, function or
    ``pi``). Right sides may use only numbers, ``pi``, inputs ``x<k>``, parentheses, unary minus,
    ``+ - * / **`` and one-argument calls of ``sin cos exp log sqrt abs tanh``. The number of
    inputs is the highest index used, or ``n_inputs`` when given.

    Args:
        formula: the text.
        n_inputs: number of inputs (``None``: the highest ``x<k>`` used); may exceed the highest
            index (unused inputs), never fall below it.

    Returns:
        A :class:`Formula` with ``inputs``, ``outputs`` and a pure evaluator.

    Raises:
        ValueError (one line, naming the problem and what is allowed): an empty formula, a
            statement without ``=``, a bad or repeated output name, a syntax error, an unknown
            name (``z1``, an output such as ``y3`` used on a right side), a node outside the
            grammar (attribute access, lambda, subscripts, comparisons, ``//``, ...), a call of
            anything but the listed functions or with other than one positional argument, or an
            ``n_inputs`` below the highest index used.

    Example:
        >>> f = parse_formula("y1 = x1*x3; y2 = x2 + x4**2")
        >>> f.inputs, f.outputs
        (('x1', 'x2', 'x3', 'x4'), ('y1', 'y2'))
        >>> f(np.array([[1.0, 2.0, 3.0, 4.0]])).tolist()
        [[3.0, 18.0]]
    """
    if not isinstance(formula, str):
        raise ValueError(f"formula must be a string such as 'y1 = x1*x3; y2 = x2 + x4**2', got {type(formula).__name__}")
    statements = [s.strip() for s in re.split(r"[;\n]", formula) if s.strip()]
    if not statements:
        raise ValueError("formula is empty; write one output per statement, e.g. 'y1 = x1*x3; y2 = x2 + x4**2'")
    outputs, sides = [], []
    for statement in statements:
        name, sep, right = statement.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"formula statement {_short(statement)!r} has no '='; write 'name = expression', e.g. 'y1 = x1*x3'")
        _check_output_name(name, outputs)
        outputs.append(name)
        sides.append(right.strip())
    expressions, trees, highest = [], [], 0
    for name, right in zip(outputs, sides):
        tree, used = _parse_expression(name, right, outputs)
        expressions.append(tree[-1])
        trees.append(tree)
        highest = max([highest, *used])
    if n_inputs is not None:
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, (int, np.integer)) or n_inputs < 1:
            raise ValueError(f"n_inputs must be an integer >= 1, got {n_inputs!r}")
        if n_inputs < highest:
            raise ValueError(f"n_inputs={n_inputs} is below the highest input the formula uses (x{highest}); give "
                             f"n_inputs >= {highest} or leave it unset")
        highest = int(n_inputs)
    if highest == 0:
        raise ValueError("the formula uses no input x1, x2, ...; use at least one or give n_inputs")
    return Formula(tuple(f"x{i + 1}" for i in range(highest)), tuple(outputs), tuple(expressions), tuple(trees))


def _check_output_name(name: str, seen: list[str]) -> None:
    if not name.isidentifier():
        raise ValueError(f"formula output name {_short(name)!r} is not a name; the left side of '=' is one name such as y1")
    if _INPUT.fullmatch(name) or name in FORMULA_FUNCTIONS or name == "pi":
        raise ValueError(f"formula output name {_short(name)!r} is an input, function or constant; name outputs y1, y2, ...")
    if name in seen:
        raise ValueError(f"formula output {name!r} is defined twice; each output once")


def _parse_expression(output: str, text: str, outputs: list[str]) -> tuple[tuple, set[int]]:
    """The checked tree of one right side and the input indices it uses."""
    where = f"formula, right side of {output}"
    if not text:
        raise ValueError(f"{where} is empty; write an expression after '=', e.g. {output} = x1*x3")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        column = f" at column {err.offset}" if err.offset else ""
        raise ValueError(f"cannot parse {where} ({_short(text)!r}): {err.msg}{column}; {_ALLOWED}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ValueError(f"cannot parse {where}: too deeply nested or invalid text; {_ALLOWED}") from None
    used: set[int] = set()
    try:
        return _check(tree.body, where, used, outputs), used
    except RecursionError:
        raise ValueError(f"{where} is too deeply nested; {_ALLOWED}") from None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check(node: ast.AST, where: str, used: set[int], outputs: list[str]) -> tuple:
    """``node`` as the module's tree, refusing anything outside the whitelist."""
    text = ast.unparse(node)
    shown = _short(text)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(f"{where}: {shown} is not a number; {_ALLOWED}")
        return ("num", float(node.value), text)
    if isinstance(node, ast.Name):
        if node.id == "pi":
            return ("num", float(np.pi), text)
        match = _INPUT.fullmatch(node.id)
        if match is None:
            hint = ""
            if node.id in outputs or re.fullmatch(r"y[0-9]+", node.id):
                hint = " (outputs cannot be used on a right side)"
            if node.id in FORMULA_FUNCTIONS:
                hint = f" ({node.id} must be called: {node.id}(...))"
            raise ValueError(f"{where}: unknown name {node.id!r}{hint}; {_ALLOWED}")
        used.add(int(match.group(1)))
        return ("var", int(match.group(1)) - 1, text)
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            operator = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
            raise ValueError(f"{where}: {operator} is not allowed; {_ALLOWED}")
        return ("neg", _check(node.operand, where, used, outputs), text)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            operator = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
            raise ValueError(f"{where}: the operator {operator} is not allowed; {_ALLOWED}")
        left, right = (_check(side, where, used, outputs) for side in (node.left, node.right))
        return ("bin", _OPERATORS[type(node.op)], left, right, text)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FORMULA_FUNCTIONS:
            called = _short(ast.unparse(node.func))
            raise ValueError(f"{where}: calling {called!r} is not allowed (only {', '.join(FORMULA_FUNCTIONS)}); "
                             f"{_ALLOWED}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ValueError(f"{where}: {node.func.id}() takes exactly one positional argument, got {shown!r}; "
                             f"{_ALLOWED}")
        return ("call", node.func.id, _check(node.args[0], where, used, outputs), text)
    kind = _NODE_NAMES.get(type(node), f"{type(node).__name__} expressions")
    raise ValueError(f"{where}: {kind} ({shown!r}) not allowed; {_ALLOWED}")


def _namespace(x):
    if isinstance(x, (np.ndarray, np.generic, list, tuple, float, int)):
        return np
    import jax.numpy as jnp

    return jnp


_BINARY: dict[str, Callable] = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                                "/": lambda a, b: a / b, "**": lambda a, b: a ** b}


class _Problem(Exception):
    """A zero denominator or a non-finite value found while checking (see :func:`formula_task`)."""

    def __init__(self, what: str, text: str, example: int):
        super().__init__(what)
        self.what, self.text, self.example = what, text, example


def _evaluate(tree: tuple, x, xp, check: Callable | None):
    """The value of ``tree`` on inputs ``x`` (``(..., n_inputs)``); ``check(value, tree)`` after each
    node when given. Constant sub-trees stay Python floats (computed in float64 numpy, so that
    ``10**1000`` is ``inf``, never a huge integer or an OverflowError)."""
    kind = tree[0]
    if kind == "num":
        value = tree[1]
    elif kind == "var":
        value = x[..., tree[1]]
    elif kind == "neg":
        value = -_evaluate(tree[1], x, xp, check)
    elif kind == "bin":
        a, b = _evaluate(tree[2], x, xp, check), _evaluate(tree[3], x, xp, check)
        if check is not None and tree[1] == "/":
            check(b, tree[3], denominator=True)
        if isinstance(a, float) and isinstance(b, float):
            with np.errstate(all="ignore"):
                value = float(_BINARY[tree[1]](np.float64(a), np.float64(b)))
        else:
            value = _BINARY[tree[1]](a, b)
    else:
        a = _evaluate(tree[2], x, xp, check)
        if isinstance(a, float):
            with np.errstate(all="ignore"):
                value = float(getattr(np, tree[1])(np.float64(a)))
        else:
            value = getattr(xp, tree[1])(a)
    if check is not None:
        check(value, tree, denominator=False)
    return value


def _first_bad(value, denominator: bool, n_examples: int) -> int | None:
    """Index of the first example where ``value`` is zero (denominator) or not finite, else None."""
    bad = np.broadcast_to(np.asarray(value) == 0 if denominator else ~np.isfinite(value), (n_examples,))
    return int(np.argmax(bad)) if bad.any() else None


def _checked_values(formula: Formula, x: np.ndarray) -> np.ndarray:
    """``formula(x)`` on numpy inputs ``(N, n_inputs)``, refusing a zero denominator or a non-finite
    value anywhere in the tree (one line naming the output, the sub-expression and the example)."""
    columns = []
    for name, tree in zip(formula.outputs, formula.trees):
        def check(value, node, denominator):
            example = _first_bad(value, denominator, len(x))
            if example is not None:
                raise _Problem("division by zero" if denominator else "a non-finite value", node[-1], example)
        try:
            with np.errstate(all="ignore"):
                columns.append(np.broadcast_to(_evaluate(tree, x, np, check), (len(x),)))
        except _Problem as problem:
            where = ", ".join(f"x{i + 1}={v:.4g}" for i, v in enumerate(x[problem.example]))
            text = _short(problem.text)
            what = (f"divides by zero ({text} = 0)" if problem.what == "division by zero"
                    else f"is not finite ({text} is nan or inf)")
            raise ValueError(f"formula output {name} {what} on sampled input {problem.example} ({where}); inputs are "
                             "drawn from U[-1, 1]: keep denominators away from 0 and log/sqrt arguments positive")
    return np.stack(columns, axis=1)


def _checked_cast(formula: Formula, y: np.ndarray, dtype) -> np.ndarray:
    """``y`` in ``dtype``, refusing an output that overflows it."""
    with np.errstate(over="ignore"):
        cast = y.astype(dtype)
    bad = ~np.isfinite(cast)
    if bad.any():
        example, column = np.argwhere(bad)[0]
        raise ValueError(f"formula output {formula.outputs[column]} overflows {np.dtype(dtype).name} on sampled input "
                         f"{example} (value {y[example, column]:.4g}); scale the formula down")
    return cast


def formula_task(formula: str | Formula, *, n_train: int = 100, n_test: int = 100, seed: int,
                 n_inputs: int | None = None, dtype=np.float32) -> dict:
    r"""Train and test sets of a typed formula, inputs drawn as in the paper's symbolic tasks.

    :math:`x \in \mathbb{R}^{(n_{train} + n_{test}) \times n}` with every entry
    :math:`\sim U[-1, 1]` from ``np.random.default_rng(seed)`` (the first ``n_train`` rows train,
    the rest test), :math:`y_{:, j} = f_j(x)` computed in float64 and cast to ``dtype``: the same
    draw as :func:`toyscope.tasks.symbolic_task`, so a formula typed as symbolic-a's gives its data.

    Args:
        formula: the text (see :func:`parse_formula`) or a parsed :class:`Formula`.
        n_train, n_test: examples per split (keyword-only; the paper: 100 and 100).
        seed: numpy seed of the draw (keyword-only).
        n_inputs: inputs (``None``: the highest ``x<k>`` used; with a parsed ``formula`` it must
            equal its ``n_inputs`` when given).

    Returns:
        ``{"train": {"x": (n_train, n_inputs), "y": (n_train, n_outputs)}, "test": {...},
        "input_names": ["x1", ...], "output_names": [left sides], "formula": normalised text,
        "kind": "regression"}``.

    Raises:
        ValueError (one line): a bad formula (see :func:`parse_formula`), a split size < 1, or an
            output that divides by zero or is not finite (NaN, inf) on the sampled inputs, naming
            the output, the sub-expression and the example.

    Example:
        >>> task = formula_task("y1 = x1*x3; y2 = x2 + x4**2", n_train=8, n_test=4, seed=0)
        >>> task["train"]["x"].shape, task["test"]["y"].shape, task["output_names"]
        ((8, 4), (4, 2), ['y1', 'y2'])
    """
    if isinstance(formula, Formula):
        if n_inputs is not None and n_inputs != formula.n_inputs:
            raise ValueError(f"n_inputs={n_inputs} differs from the parsed formula's {formula.n_inputs}")
    else:
        formula = parse_formula(formula, n_inputs)
    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train and n_test must be >= 1, got {n_train} and {n_test}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n_train + n_test, formula.n_inputs))
    x, y = x.astype(dtype), _checked_cast(formula, _checked_values(formula, x), dtype)
    split = lambda a, b: {"x": x[a:b], "y": y[a:b]}  # noqa: E731
    return {"train": split(0, n_train), "test": split(n_train, n_train + n_test), "input_names": list(formula.inputs),
            "output_names": list(formula.outputs), "formula": formula.text, "kind": "regression"}
