"""Funders' views: aggregates only, with small cells suppressed (``suppression``)."""

from matcher.funding.suppression import SUPPRESSED_RANGE, SuppressedTable, suppress

__all__ = ["SUPPRESSED_RANGE", "SuppressedTable", "suppress"]
