"""The covariance figure shows the matrix it is given and each spectrum, with the threshold line."""

from __future__ import annotations

import numpy as np

from toyscope import viz


def test_heatmap_is_the_matrix_and_spectra_are_floored_on_a_log_axis():
    cov = np.array([[2.0, -0.5, 0.0], [-0.5, 1.0, 0.0], [0.0, 0.0, 0.0]])
    spectra = {"after": np.array([2.2, 0.8, 0.0]), "before": np.array([1.0, 0.5, 0.25])}
    fig = viz.covariance_spectrum_figure(cov, spectra, labels=["a", "b", "c"], title="cov", relative_threshold=0.1)
    ax_c, ax_s = fig.axes[:2]
    np.testing.assert_array_equal(ax_c.images[0].get_array(), cov)
    assert ax_c.images[0].get_clim() == (-2.0, 2.0)  # symmetric around 0
    assert [t.get_text() for t in ax_c.get_xticklabels()] == ["a", "b", "c"]
    assert ax_s.get_yscale() == "log"
    np.testing.assert_allclose(ax_s.lines[0].get_ydata(), [2.2, 0.8, 1e-12])
    np.testing.assert_allclose(ax_s.lines[1].get_ydata(), spectra["before"])
    assert ax_s.lines[2].get_ydata()[0] == 0.1 * 2.2  # threshold relative to the first spectrum
    assert [t.get_text() for t in ax_s.get_legend().get_texts()] == ["after", "before", "10% of largest"]


def test_singular_vector_panels_are_the_eigenvectors_up_to_sign():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    cov = a @ a.T
    fig = viz.singular_vectors_figure(cov, labels=list("abcde"))
    shown_u = fig.axes[0].images[0].get_array()
    shown_v = fig.axes[1].images[0].get_array()
    values, vectors = np.linalg.eigh(cov)
    vectors = vectors[:, np.argsort(values)[::-1]]  # largest first, as the SVD orders them
    np.testing.assert_allclose(np.abs(shown_u), np.abs(vectors), atol=1e-8)
    np.testing.assert_allclose(np.abs(shown_v), np.abs(vectors), atol=1e-8)
