"""Figures of large-alpha rates and the kernel phase diagram (large-alpha, phase-kernel)."""

from __future__ import annotations

__all__: list[str] = []
