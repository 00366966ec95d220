"""A learner's two interpolation thresholds at one fraction of facts, as one record.

The theory computes each threshold (:func:`rafmodel.theory.capacity.interpolation_threshold`,
dispatched on the learner and the loss); this module asks it for both, with the input checked
first, so that ``raf capacity`` needs no setting (no ``alpha``, ``lam`` or loss) to get them.
"""

from __future__ import annotations

from typing import Any

from ._validation import check_unit_interval
from .exceptions import ParameterError

__all__ = ["interpolation_thresholds"]


def interpolation_thresholds(learner: Any, eps: float) -> dict[str, float]:
    """Both interpolation thresholds of ``learner`` on RAF data with a fraction ``eps`` of facts.

    Parameters
    ----------
    learner : Learner
        A learner with an exact theory (:func:`rafmodel.theory.has_theory`).
    eps : float
        Fraction of facts, in ``[0, 1]``.

    Returns
    -------
    dict
        ``alpha_c``: below it the learner separates every training label with a margin
        (hinge / max-margin at ``lam = 0``); ``alpha_c_square``: below it the learner fits every
        label exactly (min-norm interpolator).  ``inf`` where it fits any amount of data.

    Raises
    ------
    ParameterError
        ``eps`` outside ``[0, 1]``, a learner without an exact theory, or a threshold that
        cannot be computed at this ``eps``.

    Examples
    --------
    >>> import rafmodel as rm
    >>> t = interpolation_thresholds(rm.Linear(), 0.2)
    >>> round(t["alpha_c"], 4), t["alpha_c_square"]
    (2.9923, 1.0)
    """
    from .losses import Hinge, Square
    from .theory import has_theory
    from .theory.capacity import interpolation_threshold

    eps = float(check_unit_interval("eps", eps))
    if not has_theory(learner):
        raise ParameterError("learner", f"{getattr(learner, 'name', type(learner).__name__)!r} has no exact "
                                        "theory, hence no interpolation threshold")
    P = {k: float(v) for k, v in learner.params().items()}
    try:
        margin = float(interpolation_threshold(learner, Hinge(), eps, P))
    except RuntimeError as e:
        raise ParameterError("eps", str(e)) from None
    exact = float(interpolation_threshold(learner, Square(), eps, P))
    return {"alpha_c": margin, "alpha_c_square": exact}
