"""Figures of the rule-fact trade-off and of kernels along lam (tradeoff, kernel-lambda)."""

from __future__ import annotations

__all__: list[str] = []
