"""parse_formula / formula_task: hand-computed values, every construct outside the grammar refused,
the n-inputs rule, and the paper's sampling (symbolic-a typed as a formula gives its data)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import tasks


def test_values_by_hand():
    f = tasks.parse_formula("y1 = x1*x3; y2 = x2 + x4**2")
    assert f.inputs == ("x1", "x2", "x3", "x4") and f.outputs == ("y1", "y2")
    np.testing.assert_array_equal(f(np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 2.0, -3.0]])),
                                  [[3.0, 18.0], [-2.0, 9.5]])
    # precedence, unary minus, power associativity, division and every function, at one point
    g = tasks.parse_formula("a = -x1**2 + 2**3**2 / x2\nb = sin(x1) + cos(x2) * exp(x1) - log(x2) + sqrt(x2) "
                            "+ abs(-x1) + tanh(x1 - x2); c = pi * (x1 - 1e-1)")
    x1, x2 = 0.3, 1.7
    expected = [-(x1 ** 2) + 2 ** 9 / x2,
                math.sin(x1) + math.cos(x2) * math.exp(x1) - math.log(x2) + math.sqrt(x2) + abs(-x1) + math.tanh(x1 - x2),
                math.pi * (x1 - 0.1)]
    np.testing.assert_allclose(g(np.array([x1, x2])), expected, rtol=1e-12)
    assert g.outputs == ("a", "b", "c") and g.n_inputs == 2
    # a constant output broadcasts over the batch; unused inputs are allowed with n_inputs
    h = tasks.parse_formula("y1 = 2; y2 = x2", n_inputs=3)
    np.testing.assert_array_equal(h(np.ones((4, 3))), [[2.0, 1.0]] * 4)


def test_jax_evaluation_matches_numpy_under_jit_and_grad():
    f = tasks.parse_formula("y1 = x1*x3; y2 = x2 + x4**2 + sin(x1)")
    x = np.random.default_rng(0).uniform(-1, 1, (5, 4)).astype(np.float32)
    np.testing.assert_allclose(jax.jit(f)(jnp.asarray(x)), f(x), rtol=1e-6)
    grad = jax.grad(lambda v: f(v)[1])(jnp.asarray(x[0]))  # d y2 / dx = (cos x1, 1, 0, 2 x4)
    np.testing.assert_allclose(grad, [np.cos(x[0, 0]), 1.0, 0.0, 2 * x[0, 3]], rtol=1e-6)


@pytest.mark.parametrize("formula, message", [
    ("y1 = __import__('os').system('ls')", "calling \"__import__('os').system\" is not allowed"),
    ("y1 = __import__('os')", "calling '__import__' is not allowed"),
    ("y1 = x1.real", "attribute access"),
    ("y1 = sin.__class__", "attribute access"),
    ("y1 = (lambda: x1)()", "calling 'lambda: x1' is not allowed"),
    ("y1 = lambda: x1", "lambda"),
    ("y1 = x1[0]", "subscripts"),
    ("y1 = x1 < x2", "comparisons"),
    ("y1 = x1 and x2", "and/or"),
    ("y1 = x1 if x2 else x3", "if/else"),
    ("y1 = [x1]", "lists"),
    ("y1 = (x1, x2)", "tuples"),
    ("y1 = (z := x1)", "assignment (:=)"),
    ("y1 = f'{x1}'", "f-strings"),
    ("y1 = y3", "unknown name 'y3' (outputs cannot be used on a right side)"),
    ("y1 = x1; y2 = y1", "unknown name 'y1' (outputs cannot be used on a right side)"),
    ("y1 = z1", "unknown name 'z1'"),
    ("y1 = x0", "unknown name 'x0'"),
    ("y1 = X1", "unknown name 'X1'"),
    ("y1 = e", "unknown name 'e'"),
    ("y1 = sin", "sin must be called"),
    ("y1 = open(x1)", "calling 'open' is not allowed"),
    ("y1 = max(x1)", "calling 'max' is not allowed"),
    ("y1 = sin(x=x1)", "exactly one positional argument"),
    ("y1 = sin(x1, x2)", "exactly one positional argument"),
    ("y1 = sin(*x1)", "exactly one positional argument"),
    ("y1 = x1 // 2", "the operator // is not allowed"),
    ("y1 = x1 % 2", "the operator % is not allowed"),
    ("y1 = x1 @ x2", "the operator @ is not allowed"),
    ("y1 = x1 ^ x2", "the operator ^ is not allowed"),
    ("y1 = +x1", "unary + is not allowed"),
    ("y1 = ~x1", "~ is not allowed"),
    ("y1 = 'x1'", "is not a number"),
    ("y1 = True", "is not a number"),
    ("y1 = 1j * x1", "is not a number"),
    ("y1 = x1 +", "cannot parse"),
    ("y1 = ", "is empty"),
    ("y1 = x1; y1 = x2", "'y1' is defined twice"),
    ("", "formula is empty"),
    (" ;\n ; ", "formula is empty"),
    ("x1 + x2", "has no '='"),
    ("x1 = x2", "output name 'x1' is an input, function or constant"),
    ("sin = x2", "output name 'sin' is an input, function or constant"),
    ("y.a = x2", "is not a name"),
    ("y1 = " + "(" * 10_000 + "x1" + ")" * 10_000, "nested"),
    ("y1 = " + "-" * 100_000 + "x1", "nested"),
])
def test_refused_in_one_line(formula, message):
    with pytest.raises(ValueError) as err:
        tasks.parse_formula(formula)
    text = str(err.value)
    assert message in text, text
    assert "\n" not in text and len(text) < 400


def test_outside_grammar_errors_say_what_is_allowed():
    with pytest.raises(ValueError, match=r"allowed: numbers, pi, inputs x1, x2, \.\.\., parentheses, unary minus"):
        tasks.parse_formula("y1 = x1.real")


def test_number_of_inputs_is_the_highest_index_or_n_inputs():
    assert tasks.parse_formula("y1 = x2 * x7").inputs == tuple(f"x{i}" for i in range(1, 8))
    assert tasks.parse_formula("y1 = x2", n_inputs=4).n_inputs == 4
    assert tasks.parse_formula("y1 = x3", n_inputs=3).n_inputs == 3
    with pytest.raises(ValueError, match=r"n_inputs=2 is below the highest input the formula uses \(x3\)"):
        tasks.parse_formula("y1 = x3 + x1", n_inputs=2)
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="n_inputs must be an integer >= 1"):
            tasks.parse_formula("y1 = x1", n_inputs=bad)
    with pytest.raises(ValueError, match="uses no input"):
        tasks.parse_formula("y1 = 2 * pi")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        tasks.parse_formula("y1 = x2")(np.ones((3, 4)))


def test_task_samples_as_the_paper_symbolic_tasks():
    # symbolic-a typed by hand: the same U[-1, 1] draw and the same float64 arithmetic, bit for bit
    typed = tasks.formula_task("y1 = x2**2 + sin(pi*x4); y2 = (x1 + x3)**3", n_train=50, n_test=30, seed=7)
    built_in = tasks.symbolic_task("a", 50, 30, seed=7)
    for split in ("train", "test"):
        for key in ("x", "y"):
            np.testing.assert_array_equal(typed[split][key], built_in[split][key])
    assert typed["output_names"] == ["y1", "y2"] and typed["input_names"] == ["x1", "x2", "x3", "x4"]
    assert typed["kind"] == "regression" and typed["formula"] == "y1 = x2 ** 2 + sin(pi * x4); y2 = (x1 + x3) ** 3"
    wide = tasks.formula_task("y1 = x1", n_inputs=3, n_train=4, n_test=2, seed=0)
    assert wide["train"]["x"].shape == (4, 3) and wide["train"]["y"].dtype == np.float32


@pytest.mark.parametrize("formula, message", [
    ("y1 = x1; y2 = 1 / (x1 - x1)", "formula output y2 divides by zero (x1 - x1 = 0) on sampled input 0"),
    ("y1 = x1 / 0", "formula output y1 divides by zero (0 = 0)"),
    ("y1 = log(x1)", "formula output y1 is not finite (log(x1) is nan or inf)"),
    ("y1 = x1; y2 = sqrt(x2)", "formula output y2 is not finite (sqrt(x2) is nan or inf)"),
    ("y1 = x1 ** 0.5", "formula output y1 is not finite"),
    ("y1 = 9**9**9**9 * x1", "formula output y1 is not finite (9 ** 9 ** 9 is nan or inf)"),
    ("y1 = exp(100 * x1)", "formula output y1 overflows float32"),
])
def test_task_refuses_division_by_zero_and_non_finite_outputs(formula, message):
    with pytest.raises(ValueError) as err:
        tasks.formula_task(formula, n_train=20, n_test=20, seed=0)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_task_bad_sizes():
    with pytest.raises(ValueError, match="n_train and n_test must be >= 1"):
        tasks.formula_task("y1 = x1", n_train=0, n_test=5, seed=0)
    parsed = tasks.parse_formula("y1 = x1")
    assert tasks.formula_task(parsed, n_train=2, n_test=1, seed=0)["train"]["y"].shape == (2, 1)
    with pytest.raises(ValueError, match="differs"):
        tasks.formula_task(parsed, n_inputs=3, seed=0)


def test_long_sums_parse_and_evaluate():
    f = tasks.parse_formula("y1 = " + " + ".join(f"x{i % 5 + 1} * {i}" for i in range(200)))
    x = np.arange(1.0, 6.0)
    assert f(x)[0] == sum(x[i % 5] * i for i in range(200))
