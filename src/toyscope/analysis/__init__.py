"""Analyses that work on any small network or ensemble: statistics, clustering, gates, ..."""

from ._stats import bootstrap_interval, correlation_interval, format_fraction, mean_interval, proportion_interval

__all__ = ["bootstrap_interval", "correlation_interval", "format_fraction", "mean_interval", "proportion_interval"]
