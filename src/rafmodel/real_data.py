"""Rules and facts from real images, measured side by side with the Gaussian theory.

:func:`realdata` builds RAF training sets from a labelled image dataset
(:class:`rafmodel.data.ImageRAF`: two classes are the rule, a third class with random
labels the facts), trains a kernel learner without intercept with the square loss
(kernel ridge: every ``lam`` from one eigendecomposition per repetition,
:func:`rafmodel.lam_path`) or the hinge loss (kernel SVM, :func:`rafmodel.simulate_many`),
and reports the mean and standard error over repetitions of ``gen_error`` (held-out
rule images), ``mem_error`` (facts) and ``rule_error`` (rule images of the training set).

The RBF ``bandwidth`` is relative to the data, as in the paper (docs/theory.md section 4,
where it is called eta): ``k(x, x') = exp(-bandwidth |x - x'|^2 / m)`` with ``m`` the median
squared distance between the (z-scored) training inputs.  The source rescales the inputs so that
``m = 2d``, which makes this the package's ``rbf`` kernel ``exp(-bandwidth |x - x'|^2 / (2d))``
(``Kernel.from_kernel("rbf", bandwidth=...)``, ``raf theory --bandwidth``).  The names ``eta`` and ``repeats`` of rafmodel 0.4
still work, with a DeprecationWarning, until 0.6; the columns are ``bandwidth`` and ``seeds``.

With ``theory=True`` each row also carries the theory at the same ``alpha, eps, lam``
for the Gaussian-equivalent kernel of this data's scale: with
``s = mean |x|^2 / d`` of the training inputs, the kernel acts on the unit-scale
inputs ``x / sqrt s`` as ``exp(-(s bandwidth)(1 - rho))``, i.e. ``(mu1, mustar)`` of
``kernel_coefficients("rbf", bandwidth=s * bandwidth)`` (for a dot-product kernel ``k``, those of
``rho -> k(s rho)``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._deprecation import renamed
from ._validation import validate_params
from .exceptions import ParameterError
from .tables import Tabular

__all__ = ["realdata", "RealDataResults", "theory_coefficients", "mixture_pool"]

#: Columns of :func:`realdata`'s table, in order (the theory's last, with ``theory=True``).
COLUMNS = ("dataset", "rule", "facts", "kernel", "bandwidth", "loss", "alpha", "eps", "lam", "d", "n", "n_test",
           "seeds", "seed", "gen_error", "gen_error_se", "mem_error", "mem_error_se", "rule_error",
           "rule_error_se", "failed")
THEORY_COLUMNS = ("theory", "scale", "mu1", "mustar", "pool", "gen_error_theory", "mem_error_theory",
                  "rule_error_theory")
#: The theories :func:`realdata` can put beside the measurements (``theory=True`` is the first).
THEORIES = ("mixture", "isotropic")


class RealDataResults(Tabular):
    """The rows of :func:`realdata` (one per ``alpha, eps, bandwidth, lam``) and how well the theory fits.

    Parameters
    ----------
    records : list of dict
        One flat dict per row, with the columns of :func:`realdata`.
    """

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = list(records)

    def __len__(self):
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i]

    def to_records(self) -> list[dict[str, Any]]:
        """The rows.

        Returns
        -------
        list of dict
            One flat dict per ``(alpha, eps, bandwidth, lam)``.
        """
        return [dict(r) for r in self.records]

    def fit_summary(self) -> str:
        """A plain statement of how far the Gaussian theory carries on these rows.

        Returns
        -------
        str
            The mean and largest gap between theory and measurement, for ``gen_error`` and
            ``mem_error``, and what the gaps mean; empty without the theory columns.
        """
        rows = [r for r in self.records if "gen_error_theory" in r]
        if not rows:
            return ""
        out = []
        for m in ("gen_error", "mem_error"):
            gaps = np.array([r[m] - r[f"{m}_theory"] for r in rows], dtype=float)
            gaps = gaps[np.isfinite(gaps)]
            if gaps.size == 0:
                return "theory: no point converged"
            out.append(f"{m}: measured - theory = {np.mean(gaps):+.3f} on average "
                       f"(|gap| up to {np.max(np.abs(gaps)):.3f})")
        if rows[0].get("theory") == "mixture":
            return ("theory (the classes as a Gaussian mixture in the kernel's feature space, docs/theory.md "
                    "section 4.2): " + "; ".join(out) + ". The mixture keeps each class's mean and the covariance "
                    "within the classes, measured on the images, and treats the clouds as Gaussian: it is "
                    "optimistic where real classes have heavier tails than Gaussian ones (large alpha and lam), "
                    "and its fixed point is that of an infinite pool of such images.")
        return ("theory (Gaussian inputs, linear teacher, same kernel coefficients): " + "; ".join(out)
                + ". The theory's data are a Gaussian cloud cut by one hyperplane; two image classes are "
                "clustered and far easier to tell apart, so the measured gen_error is far below the theory's "
                "and the theory is not a prediction of it. The facts are random labels on top of the data, as "
                "in the model: mem_error is 0 at small lam and grows with lam in both, but at the level of the "
                "theory only roughly, since the memorizing part of the kernel acts on clustered, not isotropic, "
                "inputs. The mixture theory (theory='mixture') models the classes as clusters.")


def theory_coefficients(kernel: str, scale: float, bandwidth: float | None = None,
                        **params: Any) -> tuple[float, float]:
    """``(mu1, mustar)`` of a kernel on inputs with ``|x|^2 ~ scale * d``.

    Parameters
    ----------
    kernel : str
        ``'rbf'`` or another dot-product kernel name of :func:`rafmodel.kernel_coefficients`.
    scale : float
        ``s = mean |x|^2 / d`` of the inputs, ``> 0``.
    bandwidth : float, optional
        The relative RBF bandwidth (the ``bandwidth`` of the package's ``rbf`` kernel); only for ``'rbf'``
        (``eta``, its name before 0.5, is deprecated).
    **params
        Parameters of a non-RBF kernel.

    Returns
    -------
    mu1, mustar : float
        Gaussian-equivalent coefficients on the unit-scale inputs ``x / sqrt s``.

    Raises
    ------
    ParameterError
        A bad kernel or parameter, or a kernel whose coefficients at this scale are not
        those of a positive-definite kernel.

    Examples
    --------
    >>> from rafmodel import kernel_coefficients
    >>> mu1, mustar = theory_coefficients("rbf", 1.0, bandwidth=1.0)
    >>> round(mu1, 10) == round(kernel_coefficients("rbf", bandwidth=1.0).mu1, 10)
    True
    """
    from .equivalence import KERNELS, _KERNEL_ALIASES, kernel_coefficients

    if "eta" in params:
        bandwidth = renamed("theory_coefficients", {"eta": params.pop("eta")}, {"eta": "bandwidth"},
                            {"bandwidth": bandwidth}, {"bandwidth": None})["bandwidth"]
    if kernel.lower() == "rbf":
        c = kernel_coefficients("rbf", bandwidth=float(scale) * float(bandwidth))
    else:
        f = KERNELS[_KERNEL_ALIASES.get(kernel.lower(), kernel.lower())]
        c = kernel_coefficients(lambda rho: f(np.clip(scale * rho, -1.0, 1.0), **params))
    return float(c.mu1), float(c.mustar)


def _as_list(name, v):
    v = np.atleast_1d(np.asarray(v, dtype=object))
    if v.ndim != 1 or v.size == 0:
        raise ParameterError(name, "must be a number or a non-empty list of numbers")
    return list(v)


def _learner(kernel, bandwidth):
    from .learners import Kernel

    if kernel == "rbf":
        return Kernel.from_kernel("rbf", bandwidth=bandwidth)
    return Kernel.from_kernel(kernel)


def _scale(source, setting, seeds, seed):
    from .simulation import repetition_seed

    return float(np.mean([np.mean(np.sum(source.sample(setting, repetition_seed(seed, i))[0].X ** 2, axis=1))
                          / source.d for i in range(seeds)]))


_BY_IMAGERAF = "checked by ImageRAF, before any image is read"


@validate_params("realdata", exempt={
    "dataset": _BY_IMAGERAF, "rule": _BY_IMAGERAF, "facts": _BY_IMAGERAF, "data_dir": _BY_IMAGERAF,
    "n_test": _BY_IMAGERAF,
    "alpha": "a number or a list, each value checked by CONSTRAINTS['Setting'] in the body",
    "eps": "a number or a list, each value checked by CONSTRAINTS['Setting'] in the body",
    "lam": "a number or a list, each value checked by CONSTRAINTS['Setting'] in the body",
    "kernel": "only 'rbf', checked in the body", "loss": "square or hinge, checked by get_loss in the body",
    "theory": "False, True, 'mixture' or 'isotropic', checked in the body",
    "pool": "None or an integer >= 6, checked in the body (only with the mixture theory)",
    "progress": "a flag (None: when a terminal is attached)",
    "deprecated": "the old names eta and repeats, resolved by renamed() and checked first in the body"})
def realdata(dataset: str = "digits", *, rule: Sequence[int] = (3, 5), facts: int | str = 8,
             alpha: float | Sequence[float] = 4.0, eps: float | Sequence[float] = 0.2,
             lam: float | Sequence[float] = (1e-3, 1e-2, 0.1, 1.0, 10.0), kernel: str = "rbf",
             bandwidth: float | Sequence[float] = 1.0, loss: str = "square", seeds: int = 5, seed: int = 0,
             data_dir: str | os.PathLike[str] | None = None, n_test: int | None = None, theory: bool | str = False,
             pool: int | None = None, progress: bool | None = None, **deprecated: Any) -> RealDataResults:
    """The RAF experiment on image classes, optionally beside the Gaussian theory.

    Parameters
    ----------
    dataset : {'digits', 'mnist', 'fashion-mnist', 'cifar10'}, default='digits'
        The images (see :func:`rafmodel.data.load_images`; nothing is downloaded).
    rule : pair of int, default=(3, 5)
        The rule's classes (``+1``, ``-1``).
    facts : int or 'rule', default=8
        The class whose images carry random labels, or ``"rule"``: rule-class images relabelled
        at random (label noise on the rule's own inputs, the facts of the theory).
    alpha, eps, lam : float or sequence of float
        Samples per pixel ``n / d``, fraction of facts and penalty; every combination.
    kernel : str, default='rbf'
        ``'rbf'``, or a dot-product kernel name of :func:`rafmodel.kernel_coefficients`
        (``bandwidth`` is then not used).
    bandwidth : float or sequence of float, default=1.0
        RBF bandwidth relative to the median squared distance ``m`` of the training inputs:
        ``k = exp(-bandwidth |x - x'|^2 / m)`` (larger: a narrower kernel); the ``bandwidth`` of
        :func:`rafmodel.kernel_coefficients` ``("rbf")``.  Formerly ``eta`` (deprecated).
    loss : {'square', 'hinge'}, default='square'
        Kernel ridge (all ``lam`` from one eigendecomposition) or kernel SVM.
    seeds : int, default=5
        Independent repetitions (training images, fact labels, test images), as in
        :func:`rafmodel.simulate`.  Formerly ``repeats`` (deprecated).
    seed : int, default=0
        Base seed; repetition ``i`` uses :func:`rafmodel.simulation.repetition_seed`.
    data_dir : str or path-like, optional
        Directory of the files (default the ``RAF_DATA`` environment variable).
    n_test : int, optional
        Test images per repetition (default: all held-out rule images, balanced).
    theory : bool or {'mixture', 'isotropic'}, default=False
        Add the columns ``theory, scale, mu1, mustar, gen_error_theory, mem_error_theory,
        rule_error_theory``.  ``'mixture'`` (or ``True``): the classes as a Gaussian mixture in the
        kernel's feature space, measured on the images (:func:`rafmodel.spectra.data_mixture`,
        docs/theory.md section 4.2; ``scale, mu1, mustar`` are ``nan``, and a column ``pool`` gives
        the images of its pool).  ``'isotropic'``: the
        isotropic Gaussian theory of the same kernel's coefficients on this data's scale.
    pool : int, optional
        The mixture theory's pool: images (of the rule classes and the facts' class) whose kernel
        matrix gives the mixture (:func:`rafmodel.spectra.data_mixture`).  Its feature space has
        as many directions as the pool has images, and a theory with ``n`` training images on
        ``N`` directions shows the interpolation peak of ``n`` samples in ``N`` dimensions at
        small ``lam``: a pool artefact, which real images do not show.  Default: at least 4,000
        and at least ``POOL_PER_SAMPLE`` (4) times the largest training set ``n = alpha d``,
        as far as the classes have images.  Refused, before any image is fitted, if more than the
        classes have, or (given or not) if the pool is below ``MIN_POOL_PER_SAMPLE`` (2) times the
        largest ``n``.  The eigendecompositions cost ``N^3``: a pool of 4,000 took 1.5 min on two
        shared cores, 7,998 23 min and 2.3 GB, 12,500 takes an hour or more and about 6 GB
        (computed once per ``eps`` and bandwidth and cached).  Only with the mixture theory.
    progress : bool, optional
        A progress bar on stderr (also over the steps of a mixture that is not yet cached).
    **deprecated
        ``eta`` and ``repeats``, the names of ``bandwidth`` and ``seeds`` before 0.5: they
        work until 0.6, with a :class:`DeprecationWarning`.

    Returns
    -------
    RealDataResults
        One row per ``(alpha, eps, bandwidth, lam)``; :meth:`RealDataResults.fit_summary` says
        how well the theory fits.

    Raises
    ------
    ParameterError
        Bad input, an unreadable dataset, or too few images of a class (before any fit).

    Examples
    --------
    >>> res = realdata(alpha=2.0, eps=0.2, lam=[0.01, 1.0], seeds=2)
    >>> [r["lam"] for r in res], res[0]["n"], all(r["gen_error"] < 0.2 for r in res)
    ([0.01, 1.0], 128, True)
    """
    from ._validation import validate
    from .data import ImageRAF
    from .losses import get_loss
    from .setting import Setting
    from .simulation import lam_path, simulate_many
    from .spectra import mixture_pool_size

    if deprecated:  # stacklevel 4: the warning names the caller, past the wrapper of validate_params
        new = renamed("realdata", deprecated, {"eta": "bandwidth", "repeats": "seeds"},
                      {"bandwidth": bandwidth, "seeds": seeds}, {"bandwidth": 1.0, "seeds": 5}, stacklevel=4)
        v = validate("realdata", **new)  # the old names' values, checked as the new names' at the signature
        bandwidth, seeds = v["bandwidth"], v["seeds"]
    if theory is True:
        theory = "mixture"
    elif theory is not False and theory is not None:
        theory = str(theory).strip().lower()
        if theory not in THEORIES:
            raise ParameterError("theory", f"must be False, True or one of {', '.join(THEORIES)}, got {theory!r}")
    try:
        loss_obj = get_loss(loss)
    except ValueError as e:
        raise ParameterError("loss", str(e).split(": ", 1)[-1]) from None
    if loss_obj.name not in ("square", "hinge"):
        raise ParameterError("loss", f"must be square or hinge, got {loss_obj.name!r}")
    kernel = str(kernel).strip().lower()
    etas = [float(x) for x in _as_list("bandwidth", bandwidth)]
    if kernel != "rbf":
        etas = [math.nan]
    alphas, epss, lams = (_as_list(k, x) for k, x in (("alpha", alpha), ("eps", eps), ("lam", lam)))
    from ._validation import MAX_POINTS, check_count

    points = check_count("grid", len(alphas) * len(epss) * len(lams) * len(etas), MAX_POINTS,
                         what="points (alpha x eps x lam x bandwidth)", hint="split the grid")
    check_count("seeds", points * seeds, MAX_POINTS, what="fits (points x seeds)",
                hint="use fewer seeds or fewer points")
    validate("Setting", alpha=alphas, eps=epss, lam=lams)  # every value, before the images are read
    if theory == "mixture" and min(float(x) for x in lams) <= 0:
        raise ParameterError("lam", "the mixture theory needs lam > 0 (or theory='isotropic')")
    if pool is not None:
        if theory != "mixture":
            raise ParameterError("pool", "is the mixture theory's pool: give it with theory=True or 'mixture'")
        if isinstance(pool, bool) or not isinstance(pool, (int, np.integer)) or pool < 6:
            raise ParameterError("pool", f"must be an integer >= 6, got {pool!r}")
    learners = {e: _learner(kernel, e) for e in etas}
    source = ImageRAF(dataset, rule=rule, facts=facts, data_dir=data_dir, n_test=n_test)
    groups = []
    for a in alphas:
        for e in epss:
            for h in etas:
                settings = [Setting(alpha=a, eps=e, lam=x, learner=learners[h], loss=loss_obj) for x in lams]
                for s in settings[:1]:
                    source.check(s)
                groups.append((h, settings))
    if theory == "mixture":
        pool = mixture_pool(source, max(source.shape(g[1][0])[0] for g in groups), pool)  # before any fit
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(groups), desc="realdata", unit="point", leave=False)
    records = []
    try:
        for h, settings in groups:
            if loss_obj.name == "square":
                sims = lam_path(settings[0], [s.lam for s in settings], seeds=seeds, seed=seed, data=source)
            else:
                sims = simulate_many(settings, seeds=seeds, seed=seed, data=source)
            n, d, nt = source.shape(settings[0])
            scale = mu = None
            if theory == "isotropic":
                scale = _scale(source, settings[0], seeds, seed)
                mu = theory_coefficients(kernel, scale, bandwidth=h)
            elif theory:
                scale, mu = math.nan, (math.nan, math.nan)
                pool_size = mixture_pool_size(source, pool)
            for s, sim in zip(settings, sims):
                rec = {"dataset": source.dataset, "rule": f"{source.rule[0]},{source.rule[1]}",
                       "facts": source.facts, "kernel": kernel, "bandwidth": h, "loss": loss_obj.name,
                       "alpha": s.alpha, "eps": s.eps, "lam": s.lam, "d": d, "n": n, "n_test": nt,
                       "seeds": seeds, "seed": seed}
                for m in ("gen_error", "mem_error", "rule_error"):
                    rec[m], rec[f"{m}_se"] = sim.mean(m), sim.se(m)
                rec["failed"] = sim.n_failed
                if theory:
                    rec.update(theory=theory, scale=scale, mu1=mu[0], mustar=mu[1])
                    if theory == "mixture":
                        rec["pool"] = pool_size
                records.append(rec)
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    if theory == "isotropic":
        _add_theory(records, loss_obj)
    elif theory:
        _add_mixture_theory(records, loss_obj, source, learners, pool, progress)
    return RealDataResults(records)


#: The default pool of the mixture theory: at least this many times the largest training set.
POOL_PER_SAMPLE = 4
#: The smallest pool :func:`realdata` accepts, in multiples of the largest training set.
MIN_POOL_PER_SAMPLE = 2


def mixture_pool(source: Any, n: int, pool: int | None = None) -> int:
    """The pool of the mixture theory for training sets of up to ``n`` images, or a one-line refusal.

    Parameters
    ----------
    source : rafmodel.data.ImageRAF
        The images.
    n : int
        The largest training set.
    pool : int, optional
        The pool asked for; default ``max(DEFAULT_POOL, POOL_PER_SAMPLE * n)``, as far as the
        classes have images.

    Returns
    -------
    int
        The pool to pass to :func:`rafmodel.spectra.data_mixture` (its images:
        :func:`rafmodel.spectra.mixture_pool_size`).

    Raises
    ------
    ParameterError
        ``pool`` more than the classes have, or the pool below ``MIN_POOL_PER_SAMPLE * n``
        (``pool`` if a larger one would do, else ``alpha``).

    Examples
    --------
    >>> from rafmodel.data import ImageRAF
    >>> mixture_pool(ImageRAF("digits", rule=(3, 5), facts=8), n=128)
    4000
    """
    from .spectra import DEFAULT_POOL, mixture_pool_size

    classes = [*source.rule] + ([] if source.facts == "rule" else [source.facts])
    have = int(sum(source._idx[c].size for c in classes))
    what = f"classes {', '.join(map(str, classes))} of {source.dataset} have {have} images"
    if pool is not None and pool > have:
        raise ParameterError("pool", f"{pool} images asked for, but {what}; at most {have}")
    given = pool is not None
    if not given:
        pool = max(DEFAULT_POOL, POOL_PER_SAMPLE * int(n))
    size = mixture_pool_size(source, pool)
    if size < MIN_POOL_PER_SAMPLE * n:
        need = (f"the mixture theory needs a pool of at least {MIN_POOL_PER_SAMPLE} x the largest training set, "
                f"{MIN_POOL_PER_SAMPLE * n} images (a smaller one puts its own interpolation peak into the theory)")
        if given and mixture_pool_size(source, have * len(classes)) >= MIN_POOL_PER_SAMPLE * n:
            raise ParameterError("pool", f"{need}, got {pool}")
        raise ParameterError("alpha", f"{need}, but {what} (an equal share of each class); use a smaller alpha, "
                                      "or theory='isotropic'")
    return int(pool)


def _add_mixture_theory(records, loss_obj, source, learners, pool, progress=None):
    """The mixture theory of each row, on the mixture measured once per ``(eps, bandwidth)``."""
    from .learners import Linear
    from .setting import Setting
    from .spectra import data_mixture
    from .theory.mixture import solve_mixture

    mixtures = {}
    for r in records:
        key = (r["eps"], r["bandwidth"])
        if key not in mixtures:
            h = r["bandwidth"]
            mixtures[key] = data_mixture(source, learners[h if h in learners else next(iter(learners))],
                                         eps=float(r["eps"]), pool=pool, progress=progress)
        t = solve_mixture(Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], learner=Linear(), loss=loss_obj),
                          mixtures[key])
        r["gen_error_theory"], r["mem_error_theory"], r["rule_error_theory"] = t.gen_error, t.mem_error, t.rule_error


def _add_theory(records, loss_obj):
    from .learners import Kernel
    from .setting import Setting
    from .theory import solve_many

    settings = [Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], learner=Kernel(mu1=r["mu1"], mustar=r["mustar"]),
                        loss=loss_obj) for r in records]
    res = solve_many(settings, warn=False).to_records()
    for r, t in zip(records, res):
        ok = bool(t.get("converged", True))
        r["gen_error_theory"] = float(t["gen_error"]) if ok else math.nan
        r["mem_error_theory"] = float(t["mem_error"]) if ok else math.nan
        r["rule_error_theory"] = float(t["rule_error"]) if ok else math.nan
