"""Figures of random features (rf-kappa, phase-rf)."""

from __future__ import annotations

__all__: list[str] = []
