"""Input models: the covariance of the inputs and the teacher's alignment with it.

The RAF model of docs/theory.md section 1 draws isotropic inputs, ``x ~ N(0, I_d)``
(:class:`Isotropic`, the default of every :class:`~rafmodel.Setting`).  The structured models
here (docs/theory.md section 3.11) keep Gaussian inputs but give them a covariance with a
spectrum of eigenvalues ``omega`` and a teacher that puts a share ``t`` of its power on each
eigendirection: the Gaussian covariate model of kernel theory, with facts.

A spectrum is a discrete measure: atoms ``k`` with fractions ``f_k`` of the ``d`` directions,
eigenvalues ``omega_k`` and teacher power ``t_k`` (the variance of the teacher's field ``z``
along those directions, per direction).  Both are normalized, ``sum f omega = 1`` (the package's
scale, ``E|x|^2 / d = 1``; a different scale of the inputs is a different ``lam``) and ``sum f t
= 1`` (``z`` has unit variance; its scale does not change a sign label).  The same object drives
the theory (:func:`rafmodel.solve`) and the simulations (:class:`rafmodel.data.GaussianRAF`
draws ``x`` with that covariance), so that comparing them is one call.

Examples
--------
>>> import rafmodel as rm
>>> s = rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge", inputs=rm.PowerLaw(decay=1.5, source=0.5, size=500))
>>> s.inputs
PowerLaw(decay=1.5, source=0.5, size=500)
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import DeclaredInit, ParameterError, validate_params

__all__ = ["Inputs", "Isotropic", "Spectrum", "PowerLaw", "Spiked", "Mixture", "get_inputs"]

#: Most atoms a spectrum may have (one per direction of a power law at this ``size``).
MAX_ATOMS = 1_000_000
#: Largest ``second_moment / d`` at which random features on these inputs are Gaussian-equivalent
#: within the simulations' error bars (measured, docs/theory.md 3.12: 0.0085 agrees, 0.018 misses
#: by 5.8 standard errors); :func:`rafmodel.compare` warns above it.
SECOND_MOMENT_LIMIT = 0.01


class Inputs(DeclaredInit):
    """Base class of an input model: a value object with its spectrum as atoms ``(f, omega, t)``."""

    name = "inputs"

    def atoms(self) -> np.ndarray:
        """The spectrum as an array of shape ``(3, K)``: fractions ``f``, eigenvalues ``omega``, teacher power ``t``.

        Returns
        -------
        ndarray of shape (3, K)
            Normalized: ``sum f = 1``, ``sum f omega = 1``, ``sum f t = 1``; ``K = 0`` for
            isotropic inputs.  Read-only.
        """
        return self._atoms

    @property
    def directions(self) -> float:
        """Directions per input dimension, ``p / d = sum f`` (1 unless measured on data)."""
        f = self.atoms()[0]
        return float(f.sum()) if f.size else 1.0

    @property
    def second_moment(self) -> float:
        """``sum f omega^2 = tr(Sigma^2) / d`` (1 for isotropic inputs).

        Divided by ``d`` it is half the squared relative spread of ``F_i Sigma F_i' / d``, the variance
        of a random feature's pre-activation; Gaussian equivalence of random features on these
        inputs needs it small (docs/theory.md section 3.12; :data:`SECOND_MOMENT_LIMIT`).
        """
        f, w, _ = self.atoms()
        return float(np.sum(f * w * w)) if f.size else 1.0

    @property
    def isotropic(self) -> bool:
        """Whether these are the isotropic inputs of the original model (no spectrum)."""
        return self.atoms().shape[1] == 0

    def coordinates(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """The eigenvalue and the teacher power of each of ``d`` input coordinates (for simulations).

        Each atom takes ``f d`` coordinates; that must be a whole number for every atom.

        Parameters
        ----------
        d : int
            The input dimension.

        Returns
        -------
        variances : ndarray of shape (d,)
            The eigenvalue of each coordinate (the covariance is diagonal in these coordinates).
        power : ndarray of shape (d,)
            The teacher's power on each coordinate.

        Raises
        ------
        ParameterError
            ``d`` that the atoms' fractions do not divide into whole numbers of directions.
        """
        f, w, t = self.atoms()
        if f.size == 0:
            return np.ones(d), np.ones(d)
        if abs(self.directions - 1.0) > 1e-12:
            raise ParameterError("inputs", f"{self!r} has {self.directions:g} directions per input dimension (a "
                                           "spectrum measured on data): it has a theory but cannot be drawn as "
                                           "Gaussian inputs")
        counts = f * d
        whole = np.rint(counts)
        if np.any(np.abs(counts - whole) > 1e-6) or whole.sum() != d:
            raise ParameterError("d", f"{self!r} needs d at which every atom's fraction is a whole number of "
                                      f"directions (e.g. d = {self._natural_d()}), got {d}")
        reps = whole.astype(int)
        return np.repeat(w, reps), np.repeat(t, reps)

    def _natural_d(self) -> int:
        return self.atoms().shape[1]

    def key(self) -> str:
        """A short digest of the normalized spectrum: equal inputs have equal keys.

        Returns
        -------
        str
            16 hexadecimal digits of the SHA-256 of :meth:`atoms`.
        """
        key = self.__dict__.get("_key")
        if key is None:  # the atoms are read-only: hashed once (equality and grouping ask often)
            a = np.ascontiguousarray(self.atoms())
            key = self.__dict__["_key"] = hashlib.sha256(a.tobytes() + str(a.shape).encode()).hexdigest()[:16]
        return key

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Inputs) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


def _normalized(f, w, t, directions=1.0):
    f = f * (directions / f.sum())
    w = w / float(np.sum(f * w))
    t = t / float(np.sum(f * t))
    out = np.stack([f, w, t]).astype(float)
    out.setflags(write=False)
    return out


class Isotropic(Inputs):
    """Isotropic Gaussian inputs, ``x ~ N(0, I_d)``: the model of the paper (the default).

    Examples
    --------
    >>> from rafmodel import Isotropic
    >>> Isotropic().isotropic, Isotropic() == Isotropic()
    (True, True)
    """

    name = "isotropic"
    _ATOMS = np.zeros((3, 0))
    _ATOMS.setflags(write=False)

    @validate_params("Isotropic")
    def __init__(self) -> None:
        self._atoms = self._ATOMS

    def _natural_d(self) -> int:
        return 1

    def __repr__(self) -> str:
        return "Isotropic()"


class Spectrum(Inputs):
    """Gaussian inputs with a given covariance spectrum and teacher alignment.

    Parameters
    ----------
    eigenvalues : array_like of shape (K,)
        Eigenvalues of the inputs' covariance, all ``> 0`` and finite (rescaled to mean 1).
    teacher_power : array_like of shape (K,), optional
        Share of the teacher's power per direction of each eigenvalue, ``>= 0``, not all zero
        (rescaled to mean 1).  Default: a teacher drawn isotropically, ``teacher_power =
        eigenvalues``.
    weights : array_like of shape (K,), optional
        Fraction of the directions that carry each eigenvalue, ``> 0`` (rescaled to sum to
        ``directions``).  Default: one direction each.
    directions : float, default=1.0
        Directions per input dimension, ``p / d``, that the atoms stand for (``> 0``): 1 for a
        covariance of the ``d`` inputs; the number of a kernel's eigenfunctions per input
        dimension for a spectrum measured on data (:func:`rafmodel.spectra.data_spectrum`).  The
        sample ratio stays ``alpha = n / d``.

    Raises
    ------
    ParameterError
        An array that is empty, not one-dimensional, of another length than ``eigenvalues``,
        not finite or out of range, or longer than ``MAX_ATOMS``.

    Examples
    --------
    >>> from rafmodel import Spectrum
    >>> Spectrum([1.0, 1.0]) == Spectrum([3.0], weights=[1.0])  # flat spectra: isotropic inputs
    True
    """

    name = "spectrum"

    @validate_params("Spectrum", exempt={"eigenvalues": "an array, checked in the body",
                                         "teacher_power": "an array, checked in the body",
                                         "weights": "an array, checked in the body"})
    def __init__(self, eigenvalues: ArrayLike, teacher_power: ArrayLike | None = None,
                 weights: ArrayLike | None = None, directions: float = 1.0) -> None:
        w = _array("eigenvalues", eigenvalues, None, positive=True)
        t = w if teacher_power is None else _array("teacher_power", teacher_power, w.size, positive=False)
        if not np.any(t > 0):
            raise ParameterError("teacher_power", "must have at least one entry > 0")
        f = np.full(w.size, 1.0 / w.size) if weights is None else _array("weights", weights, w.size, positive=True)
        self._atoms = _merge(_normalized(f, w, t, directions))

    def __repr__(self) -> str:
        return f"Spectrum(<{self._atoms.shape[1]} atoms, key {self.key()}>)"


def _array(name, v, size, positive):
    try:
        a = np.array(v, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, "must be an array of numbers") from None
    if a.ndim != 1 or a.size == 0:
        raise ParameterError(name, f"must be a non-empty 1-d array, got shape {a.shape}")
    if size is not None and a.size != size:
        raise ParameterError(name, f"must have the length of eigenvalues ({size}), got {a.size}")
    if a.size > MAX_ATOMS:
        raise ParameterError(name, f"at most {MAX_ATOMS} entries, got {a.size}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(name, "must be finite")
    if positive and not np.all(a > 0):
        raise ParameterError(name, "must be > 0")
    if not positive and not np.all(a >= 0):
        raise ParameterError(name, "must be >= 0")
    return a


def _merge(a):
    """Atoms with one eigenvalue and one teacher power merged (so equal measures have equal keys)."""
    f, w, t = a
    if f.size <= 1:
        return a
    if np.all(w == w[0]) and np.all(t == t[0]):
        out = np.array([[f.sum()], [w[0]], [t[0]]])
        out.setflags(write=False)
        return out
    return a


class PowerLaw(Spectrum):
    """A power-law spectrum with a power-law teacher: the capacity and source exponents of kernel theory.

    ``size`` directions with eigenvalues ``omega_k`` proportional to ``k^(-decay)`` and teacher
    power ``t_k`` proportional to ``k^(-(1 + 2 decay source))``, ``k = 1 ... size`` (so that the
    teacher's coefficients ``theta_k^2 = t_k / omega_k`` decay like ``k^(decay - 1 - 2 decay
    source)``: ``decay`` is the capacity exponent and ``source`` the source exponent ``r``).
    ``size`` is the dimension ``d``: simulations of these inputs run at ``d = size``.

    Parameters
    ----------
    decay : float
        Eigenvalue decay exponent, ``> 0``.
    source : float
        Source exponent ``r >= 0`` of the teacher.
    size : int
        Number of eigenvalues (the input dimension), ``>= 2``.

    Examples
    --------
    >>> from rafmodel import PowerLaw
    >>> p = PowerLaw(decay=2.0, source=0.25, size=1000)
    >>> p.atoms().shape
    (3, 1000)
    """

    name = "power_law"

    @validate_params("PowerLaw")
    def __init__(self, *, decay: float, source: float, size: int) -> None:
        self.decay, self.source, self.size = float(decay), float(source), int(size)
        k = np.arange(1, self.size + 1, dtype=float)
        self._atoms = _normalized(np.full(k.size, 1.0 / k.size), k ** -self.decay,
                                  k ** -(1.0 + 2.0 * self.decay * self.source))

    def __repr__(self) -> str:
        return f"PowerLaw(decay={self.decay:g}, source={self.source:g}, size={self.size})"


class Spiked(Spectrum):
    """A spiked covariance: a fraction of the directions has ``spike`` times the variance of the rest.

    Parameters
    ----------
    fraction : float
        Fraction of the directions in the spike, in ``(0, 1)``.
    spike : float
        Their variance relative to the bulk's, ``> 0``.
    teacher_share : float
        Share of the teacher's power on the spike's directions, in ``[0, 1]``.

    Examples
    --------
    >>> from rafmodel import Spiked
    >>> Spiked(fraction=0.1, spike=10.0, teacher_share=0.8).atoms().round(3)
    array([[0.1  , 0.9  ],
           [5.263, 0.526],
           [8.   , 0.222]])
    """

    name = "spiked"

    @validate_params("Spiked")
    def __init__(self, *, fraction: float, spike: float, teacher_share: float) -> None:
        self.fraction, self.spike, self.teacher_share = float(fraction), float(spike), float(teacher_share)
        f = np.array([self.fraction, 1.0 - self.fraction])
        t = np.array([self.teacher_share, 1.0 - self.teacher_share]) / f
        self._atoms = _merge(_normalized(f, np.array([self.spike, 1.0]), t))

    def _natural_d(self) -> int:
        from fractions import Fraction

        return Fraction(self.fraction).limit_denominator(10_000).denominator

    def __repr__(self) -> str:
        return f"Spiked(fraction={self.fraction:g}, spike={self.spike:g}, teacher_share={self.teacher_share:g})"


def get_inputs(inputs: Inputs | str | None) -> Inputs:
    """An input model from an :class:`Inputs` object, ``"isotropic"`` or ``None`` (isotropic).

    Raises
    ------
    ParameterError
        Anything else (structured inputs are objects: :class:`Spectrum`, :class:`PowerLaw`, :class:`Spiked`).
    """
    if inputs is None or (isinstance(inputs, str) and inputs.lower() == "isotropic"):
        return _ISOTROPIC
    if isinstance(inputs, Inputs):
        return inputs
    raise ParameterError("inputs", "must be 'isotropic' or an input model (rafmodel.Spectrum, PowerLaw, Spiked), "
                                   f"got {inputs!r}")


_ISOTROPIC = Isotropic()


class Mixture(DeclaredInit):
    """Gaussian-mixture inputs: each class a Gaussian cloud with its own mean, one shared covariance.

    The model of image classes (docs/theory.md section 4.2): a rule example of class ``+1`` is
    ``x = mu_+ + g``, of class ``-1`` ``x = mu_- + g``, and a fact (a random label) is either an
    input of a third class, ``x = mu_f + g`` (``facts="class"``, the paper's set-up), or a
    rule-class input with its label redrawn (``facts="rule"``, label noise), with
    ``g ~ N(0, Sigma)`` throughout.  The predictor is ``h = w . x / sqrt(d)`` and ``n = alpha d``.
    Unlike :class:`Spectrum` there is no teacher: the label is the class.

    Parameters
    ----------
    eigenvalues : array_like of shape (K,)
        Eigenvalues ``omega_k`` of ``Sigma``, ``>= 0`` and finite, not all zero.
    means : array_like of shape (2, K) or (3, K)
        The class means in ``Sigma``'s eigenbasis: rows ``mu_+``, ``mu_-`` and (with
        ``facts="class"``) ``mu_f``.  Finite.
    d : int
        The input dimension that ``alpha = n / d`` and the predictor's ``1 / sqrt(d)`` refer to
        (the number of pixels for features measured on images).
    facts : {'class', 'rule'}, default='class'
        Where the facts' inputs come from: a third class (``means`` has 3 rows) or the rule's
        own classes (2 rows).

    Raises
    ------
    ParameterError
        An array that is not finite, of the wrong shape or out of range; ``means`` with a row
        count that does not match ``facts``.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Mixture
    >>> mix = Mixture(np.ones(100), np.vstack([np.full(100, 0.1), np.full(100, -0.1)]), d=100, facts="rule")
    >>> mix
    Mixture(<100 eigenvalues, 2 means, d=100, facts='rule'>)
    """

    name = "mixture"

    @validate_params("Mixture", exempt={"eigenvalues": "an array, checked in the body",
                                        "means": "an array, checked in the body"})
    def __init__(self, eigenvalues: ArrayLike, means: ArrayLike, d: int, facts: str = "class") -> None:
        w = _array("eigenvalues", eigenvalues, None, positive=False)
        if not np.any(w > 0):
            raise ParameterError("eigenvalues", "must have at least one entry > 0")
        try:
            mu = np.array(means, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError("means", "must be an array of numbers") from None
        facts = str(facts).strip().lower()
        rows = 3 if facts == "class" else 2
        if mu.shape != (rows, w.size):
            raise ParameterError("means", f"must have shape ({rows}, {w.size}) (rows mu_+, mu_-"
                                          f"{', mu_f' if rows == 3 else ''}) for facts={facts!r}, got {mu.shape}")
        if not np.all(np.isfinite(mu)):
            raise ParameterError("means", "must be finite")
        w.setflags(write=False)
        mu.setflags(write=False)
        self.eigenvalues, self.means, self.d, self.facts = w, mu, int(d), facts

    def key(self) -> str:
        """A short digest of the eigenvalues, means, ``d`` and ``facts``: equal mixtures have equal keys.

        Returns
        -------
        str
            16 hexadecimal digits of a SHA-256.
        """
        key = self.__dict__.get("_key")
        if key is None:
            h = hashlib.sha256(np.ascontiguousarray(self.eigenvalues).tobytes())
            h.update(np.ascontiguousarray(self.means).tobytes())
            h.update(f"{self.means.shape}|{self.d}|{self.facts}".encode())
            key = self.__dict__["_key"] = h.hexdigest()[:16]
        return key

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Mixture) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return (f"Mixture(<{self.eigenvalues.size} eigenvalues, {self.means.shape[0]} means, d={self.d}, "
                f"facts={self.facts!r}>)")
