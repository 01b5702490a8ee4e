"""Teacher-student population loss against Monte Carlo and symmetries; teachers and initialisations."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import erf

from toyscope import theory


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


ACT = {"erf": lambda z: erf(z / np.sqrt(2)), "relu": lambda z: np.maximum(z, 0.0)}


def _student(n, d, seed, scale=0.8):
    rng = np.random.default_rng(seed)
    return theory.TwoLayerStudent(jnp.asarray(rng.normal(size=n)), jnp.asarray(scale * rng.normal(size=(n, d))))


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_loss_against_a_general_teacher_matches_monte_carlo(activation):
    """A teacher with output weights other than 1 and rows neither orthogonal nor unit (the general case)."""
    student, teacher = _student(2, 3, 0), _student(3, 3, 1, scale=1.3)
    x = np.random.default_rng(2).standard_normal((400_000, 3))
    act = ACT[activation]
    f = act(x @ np.asarray(student.w).T) @ np.asarray(student.a)
    f_star = act(x @ np.asarray(teacher.w).T) @ np.asarray(teacher.a)
    samples = (f - f_star) ** 2
    se = samples.std() / np.sqrt(samples.size)
    assert abs(float(theory.population_loss(student, teacher, activation)) - samples.mean()) < 5 * se


def test_orthonormal_erf_teacher_against_the_zero_student_is_k_over_3():
    """E[erf(z/sqrt2)^2] = (2/pi) arcsin(1/2) = 1/3 per orthonormal neuron; cross terms vanish (erf odd)."""
    teacher = theory.orthonormal_teacher(5, 7, key=jax.random.key(0))
    zero = theory.TwoLayerStudent(jnp.zeros(2), jnp.zeros((2, 7)))
    assert float(theory.population_loss(zero, teacher)) == pytest.approx(5 / 3, rel=1e-12)


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_loss_is_invariant_to_rotations_and_to_permuting_student_neurons(activation):
    student, teacher = _student(4, 5, 3), theory.orthonormal_teacher(3, 5, key=jax.random.key(1))
    loss = float(theory.population_loss(student, teacher, activation))
    q, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(5, 5)))
    rotate = lambda s: s._replace(w=s.w @ jnp.asarray(q))
    assert float(theory.population_loss(rotate(student), rotate(teacher), activation)) == pytest.approx(loss, rel=1e-12)
    perm = jnp.array([2, 0, 3, 1])
    permuted = theory.TwoLayerStudent(student.a[perm], student.w[perm])
    assert float(theory.population_loss(permuted, teacher, activation)) == pytest.approx(loss, rel=1e-12)
    grad, grad_p = (theory.population_loss_grad(s, teacher, activation) for s in (student, permuted))
    np.testing.assert_allclose(np.asarray(grad_p.w), np.asarray(grad.w)[np.asarray(perm)], rtol=1e-10, atol=1e-14)


def test_masked_gradient_is_zero_on_masked_neurons_and_finite_differences_elsewhere():
    student, teacher = _student(3, 4, 5), theory.orthonormal_teacher(2, 4)
    mask = jnp.array([1.0, 0.0, 1.0])
    grad = theory.population_loss_grad(student, teacher, "erf", mask)
    assert float(grad.a[1]) == 0.0 and np.all(np.asarray(grad.w[1]) == 0.0)
    h = 1e-6
    for i in (0, 2):
        bump = jnp.zeros(3).at[i].set(h)
        up = theory.population_loss(student._replace(a=student.a + bump), teacher, "erf", mask)
        down = theory.population_loss(student._replace(a=student.a - bump), teacher, "erf", mask)
        assert float(grad.a[i]) == pytest.approx(float(up - down) / (2 * h), rel=1e-6)


def test_population_loss_rejects_bad_input_in_one_line():
    student, teacher = _student(2, 3, 6), theory.orthonormal_teacher(2, 4)
    for call, match in ((lambda: theory.population_loss(student, teacher), "share d"),
                        (lambda: theory.population_loss(student, student, "tanh"), "activation must be")):
        with pytest.raises(ValueError, match=match) as info:
            call()
        assert "\n" not in str(info.value)


def test_orthonormal_teacher():
    plain = theory.orthonormal_teacher(3, 5)
    np.testing.assert_array_equal(plain.w, np.eye(3, 5))
    np.testing.assert_array_equal(plain.a, np.ones(3))
    assert plain.w.dtype == jnp.float64
    random = theory.orthonormal_teacher(4, 6, key=jax.random.key(2))
    w = np.asarray(random.w)
    np.testing.assert_allclose(w @ w.T, np.eye(4), atol=1e-12)
    assert not np.allclose(np.abs(w), np.eye(4, 6))
    assert theory.orthonormal_teacher(2, 2, dtype=jnp.float32).w.dtype == jnp.float32
    for k, d, match in ((0, 3, "k must be >= 1"), (4, 3, "d must be >= k")):
        with pytest.raises(ValueError, match=match):
            theory.orthonormal_teacher(k, d)


def test_glorot_normal_student_variances():
    n, d = 60, 90
    student = theory.glorot_normal_student(n, d, key=jax.random.key(3))
    assert student.a.shape == (n,) and student.w.shape == (n, d)
    w = np.asarray(student.w).ravel()
    # 5,400 draws: the sample variance is within ~2% (one sd) of 2/(d+n)
    assert np.var(w) == pytest.approx(2 / (d + n), rel=0.08) and abs(w.mean()) < 0.01
    many_a = np.concatenate([np.asarray(theory.glorot_normal_student(n, d, key=jax.random.key(s)).a) for s in range(20)])
    assert np.var(many_a) == pytest.approx(2 / (n + 1), rel=0.15)
    with pytest.raises(ValueError, match="n and d must be >= 1"):
        theory.glorot_normal_student(0, 3, key=jax.random.key(0))


def test_glorot_normal_students_masks_and_scales_by_width():
    widths, d = [3, 40, 40, 1, 40], 50
    students, mask = theory.glorot_normal_students(widths, d, key=jax.random.key(4))
    assert students.a.shape == (5, 40) and students.w.shape == (5, 40, d) and mask.dtype == jnp.bool_
    for e, n in enumerate(widths):
        assert np.asarray(mask[e]).tolist() == [True] * n + [False] * (40 - n)
        assert np.all(np.asarray(students.w[e, n:]) == 0) and np.all(np.asarray(students.a[e, n:]) == 0)
    wide = np.asarray(students.w)[[1, 2, 4]].ravel()  # 6,000 draws of N(0, 2/(d+40))
    assert np.var(wide) == pytest.approx(2 / (d + 40), rel=0.08)
    # a masked padded student has the loss of the same student cut to its width
    teacher = theory.orthonormal_teacher(3, d)
    member = theory.TwoLayerStudent(students.a[0], students.w[0])
    cut = theory.TwoLayerStudent(students.a[0, :3], students.w[0, :3])
    assert float(theory.population_loss(member, teacher, "erf", mask[0].astype(jnp.float64))) == pytest.approx(
        float(theory.population_loss(cut, teacher)), rel=1e-12)
    for widths, match in (([], "widths"), ([2, 0], "widths")):
        with pytest.raises(ValueError, match=match):
            theory.glorot_normal_students(widths, 3, key=jax.random.key(0))


def _gaussian(d, n_samples=1_000_000, seed=0):
    return np.random.default_rng(seed).standard_normal((n_samples, d))


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_population_loss_matches_monte_carlo(activation):
    rng = np.random.default_rng(2)
    n, k, d = 3, 4, 5
    teacher = theory.orthonormal_teacher(k, d, key=jax.random.key(3))
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=n)), jnp.asarray(rng.normal(size=(n, d)) * 0.7))
    x = _gaussian(d, seed=4)
    act = ACT[activation]
    f = act(x @ np.asarray(student.w).T) @ np.asarray(student.a)
    f_star = act(x @ np.asarray(teacher.w).T) @ np.asarray(teacher.a)
    samples = (f - f_star) ** 2
    se = samples.std() / np.sqrt(samples.size)
    closed = float(theory.population_loss(student, teacher, activation))
    assert abs(closed - samples.mean()) < 5 * se


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_gradient_matches_finite_differences(activation):
    rng = np.random.default_rng(5)
    teacher = theory.orthonormal_teacher(3, 4)
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=2)), jnp.asarray(rng.normal(size=(2, 4))))
    grad = theory.population_loss_grad(student, teacher, activation)
    h = 1e-6
    for field in ("a", "w"):
        base = np.asarray(getattr(student, field))
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[index] += h
            down[index] -= h
            plus = theory.population_loss(student._replace(**{field: jnp.asarray(up)}), teacher, activation)
            minus = theory.population_loss(student._replace(**{field: jnp.asarray(down)}), teacher, activation)
            numeric[index] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(np.asarray(getattr(grad, field)), numeric, rtol=1e-6, atol=1e-8)


def test_mask_removes_neurons_and_their_gradients():
    teacher = theory.orthonormal_teacher(3, 4)
    rng = np.random.default_rng(6)
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=4)), jnp.asarray(rng.normal(size=(4, 4))))
    mask = jnp.array([1.0, 1.0, 0.0, 0.0])
    small = theory.TwoLayerStudent(student.a[:2], student.w[:2])
    for activation in ("erf", "relu"):
        assert np.isclose(theory.population_loss(student, teacher, activation, mask),
                          theory.population_loss(small, teacher, activation))
        grad = theory.population_loss_grad(student, teacher, activation, mask)
        assert np.all(np.asarray(grad.a)[2:] == 0) and np.all(np.asarray(grad.w)[2:] == 0)
        assert np.all(np.isfinite(np.asarray(grad.w)))


def test_student_equal_to_teacher_has_zero_loss_and_bad_input_raises():
    teacher = theory.orthonormal_teacher(4, 6, key=jax.random.key(0))
    for activation in ("erf", "relu"):
        assert abs(float(theory.population_loss(teacher, teacher, activation))) < 1e-13
    with pytest.raises(ValueError, match="activation"):
        theory.population_loss(teacher, teacher, "tanh")
    with pytest.raises(ValueError, match="d must be >= k"):
        theory.orthonormal_teacher(5, 4)


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_block_loss_equals_one_gram_matrix_form(activation):
    """The loss by blocks equals c^T K(U U^T) c with U = [w; v], c = [a; -a*] (one Gram matrix)."""
    rng = np.random.default_rng(7)
    teacher = theory.orthonormal_teacher(5, 7, key=jax.random.key(1))
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=3)), jnp.asarray(rng.normal(size=(3, 7))))
    u = jnp.concatenate([student.w, teacher.w])
    c = jnp.concatenate([student.a, -teacher.a])
    whole = c @ theory.gaussian_kernel(u @ u.T, activation) @ c
    np.testing.assert_allclose(theory.population_loss(student, teacher, activation), whole, rtol=1e-12)
    cross = theory.gaussian_cross_kernel(student.w @ teacher.w.T, jnp.sum(student.w**2, 1), jnp.ones(5), activation)
    np.testing.assert_allclose(cross, theory.gaussian_kernel(u @ u.T, activation)[:3, 3:], rtol=1e-12, atol=1e-15)
