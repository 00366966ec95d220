"""Rows of the figures' tables, in the package vocabulary."""

from __future__ import annotations

import numpy as np

__all__ = ["theory_rows", "simulation_rows", "frame", "curve"]

_ERRORS = ("gen_error", "mem_error", "rule_error")


def theory_rows(results, **extra) -> list[dict]:
    """One row per theory point: ``extra`` labels, the setting's parameters, the errors, ``converged``."""
    rows = []
    for r in results:
        s = r.setting
        row = {**extra, "model": s.learner.name, "loss": s.loss.name, **s.labels(), **s.params()}
        row.update({k: getattr(r, k) for k in _ERRORS})
        row.update(converged=bool(r.converged), source="theory")
        rows.append(row)
    return rows


def simulation_rows(sims, **extra) -> list[dict]:
    """One row per simulated point, with ``*_se`` and ``d``, ``seeds``, ``failed``."""
    rows = []
    for sim in sims:
        rec = sim.to_dict()
        row = {**extra, **{k: v for k, v in rec.items() if k not in ("m", "m_se", "q", "q_se", "n_test", "seed")}}
        row["source"] = "simulation"
        rows.append(row)
    return rows


def frame(rows):
    """The rows as a DataFrame (columns in order of first appearance)."""
    import pandas as pd

    cols = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return pd.DataFrame.from_records(rows, columns=cols)


def curve(results, metric):
    """``metric`` of the converged points, ``nan`` elsewhere (gaps in the drawn line, never values)."""
    return np.where(np.asarray(results.converged), np.asarray(getattr(results, metric), dtype=float), np.nan)
