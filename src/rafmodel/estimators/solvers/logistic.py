"""The logistic-loss solver: penalized logistic regression, certified by the gradient norm.

Inexact Newton on the primal, conjugate gradients with float32 Hessian-vector products and
float64 gradients (:func:`_logistic_newton`; explicit features and the Gaussian-equivalent
kernel as the features ``[B, mustar I_n]``, ``lam > 0``), stopped below ``1e-3`` of the
certificate and at a gradient that bounds the coefficients' relative error by
:data:`LOGISTIC_RTOL`; otherwise, or if the certificate is not reached, scikit-learn's Newton
for explicit features and L-BFGS on the representer coefficients for kernels (the gradient
norm then in the RKHS metric).  At ``lam = 0``: the hard-margin direction on separable data
(the ``lam -> 0+`` limit), the unregularized minimizer otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ...exceptions import SolverError
from ...losses import Logistic
from ..base import register_solver
from ._numerics import _chol_solve, _grad_tol, _lowrank_solve
from .hinge import _hard_margin, _separability

__all__ = ["solve_logistic", "LOGISTIC_RTOL"]


#: Relative accuracy the logistic Newton solver guarantees on its coefficients:
#: it stops at a gradient norm below ``LOGISTIC_RTOL * lam * |w|``, which bounds
#: ``|w - w*| / |w|`` by ``LOGISTIC_RTOL`` (the objective is ``lam``-strongly convex).
LOGISTIC_RTOL = 1e-8


class _Design:
    """The design ``A = [B, r I_n]`` (``r = 0``: ``A = B``) of a logistic primal.

    Keeps a float32 copy of ``B`` for the Newton solver's inner conjugate-gradient products,
    and evaluates ``A x`` together with ``A' s(A x)`` (``s`` acting row by row) in **one**
    pass over ``B``: by blocks of rows small enough to stay in cache between the two
    products (the products are memory bound, so this saves about a quarter of their time).

    Parameters
    ----------
    B : ndarray of shape (n, p)
        The features.
    r : float, optional
        Multiple of the identity block (the Gaussian-equivalent kernel's ``mustar``).
    """

    #: Bytes of ``B`` per block of rows (float32: about 128 rows of 1000 features).
    BLOCK_BYTES = 1 << 19

    def __init__(self, B, r=0.0):
        self.B, self.r = np.ascontiguousarray(B, dtype=float), float(r)
        self.B32 = None  # filled by the first float32 product, in the same pass
        self.n, self.p = B.shape
        self.m = self.p + (self.n if self.r > 0 else 0)
        rows = max(8, self.BLOCK_BYTES // (4 * max(self.p, 1)))
        self._blocks = [slice(i, min(i + rows, self.n)) for i in range(0, self.n, rows)]

    def dot(self, x):
        """``A x`` in float64."""
        h = self.B @ x[:self.p]
        if self.r > 0:
            h += self.r * x[self.p:]
        return h

    def _split(self, g, u):
        return np.concatenate([g, self.r * u]) if self.r > 0 else g

    def tdot32(self, s):
        """``A' s`` from the float32 copy (float64 out); the first call makes the copy, block by
        block in the same pass."""
        s32 = s.astype(np.float32)
        if self.B32 is None:
            self.B32 = np.empty(self.B.shape, dtype=np.float32)
            out = np.zeros(self.p)
            for b in self._blocks:
                Bb = self.B32[b]
                Bb[...] = self.B[b]
                out += Bb.T @ s32[b]
            return self._split(out, s)
        return self._split((self.B32.T @ s32).astype(float), s)

    def hessp32(self, q, D):
        """``(A q, A'(D A q))`` from the float32 copy, one pass over it (float64 out)."""
        if self.B32 is None:
            self.B32 = self.B.astype(np.float32)
        p, r = self.p, self.r
        q32 = q[:p].astype(np.float32)
        D32 = D.astype(np.float32)
        Aq = np.empty(self.n)
        out = np.zeros(p)
        for b in self._blocks:
            Bb = self.B32[b]
            v = Bb @ q32
            if r > 0:
                v = v + (r * q[p:][b]).astype(np.float32)
            Aq[b] = v
            out += Bb.T @ (D32[b] * v)
        return Aq, self._split(out, D * Aq)

    def margins_grad(self, x, y):
        """``(h, sigma, A'(y sigma))`` with ``h = A x``, ``sigma = expit(-y h)``, in float64,
        one pass over ``B``."""
        p, r = self.p, self.r
        h = np.empty(self.n)
        out = np.zeros(p)
        xp = x[:p]
        for b in self._blocks:
            Bb = self.B[b]
            hb = Bb @ xp
            if r > 0:
                hb += r * x[p:][b]
            h[b] = hb
            out += Bb.T @ (y[b] * expit(-y[b] * hb))
        sig = expit(-y * h)
        return h, sig, self._split(out, y * sig)


def _logistic_newton(A, y, lam, gtol, rtol=LOGISTIC_RTOL, max_outer=100, max_cg=1000):
    """Penalized logistic regression ``sum log(1 + exp(-y_i a_i.x)) + (lam/2)|x|^2``
    (``lam > 0``) by inexact Newton with mixed-precision conjugate gradients.

    Each Newton system ``(lam I + A' D A) d = -g``, ``D = diag(sigma (1 - sigma))``, is
    solved by conjugate gradients whose Hessian-vector products ``lam v + A'(D (A v))`` use
    a float32 copy of the features (half the memory traffic of float64; the products are
    memory bound); ``A d`` is accumulated from those products, so the Armijo line search
    on ``x + t d`` costs no pass over the features.  Far from the solution the margins
    ``A x`` are tracked through these float32 steps; once the gradient is below ``1e-4`` of
    its initial norm they are recomputed in float64 and so is the gradient, at every outer
    step (iterative refinement: the float32 inner solves only need a relative accuracy
    ``eta >= 1e-5``, the float64 gradient sets the attainable accuracy).  Forcing term
    ``eta = min(0.5, sqrt(|g| / |g0|))`` (superlinear), then just enough to land below the
    target.

    Stops at a float64 gradient norm below both ``gtol`` and ``rtol * lam * |x|``; since the
    objective is ``lam``-strongly convex, ``|x - x*| <= |g| / lam <= rtol |x|``.  Stops
    earlier, at the best point found, if an outer step no longer halves the float64
    gradient norm (floating-point floor); the caller checks the certificate.

    Parameters
    ----------
    A : _Design
        The design.
    y : ndarray of shape (n,)
        Labels in ``{-1, +1}``.
    lam : float
        Ridge penalty, ``> 0``.
    gtol : float
        Gradient norm to reach.
    rtol : float, optional
        Relative accuracy of the coefficients to guarantee (see above).
    max_outer, max_cg : int, optional
        Caps on Newton steps and on conjugate-gradient iterations per step.

    Returns
    -------
    x : ndarray of shape (m,)
        The coefficients.
    grad_norm : float
        Norm of the float64 gradient at ``x``.
    h : ndarray of shape (n,)
        The outputs ``A x`` (float64).
    """
    from scipy.special import log_expit

    m = A.m
    x = np.zeros(m)
    h = np.zeros(A.n)
    exact, gn0 = False, None
    best = (np.inf, x, h)
    base, tries = None, 0  # float64 stage: the point the last Newton step left, and retries
    for _ in range(max_outer):
        if exact:
            h, sig, Ats = A.margins_grad(x, y)
        else:
            sig = expit(-y * h)
            Ats = A.tdot32(y * sig)
        g = lam * x - Ats
        gn = float(np.linalg.norm(g))
        if gn0 is None:
            gn0 = gn
        if exact:
            if gn < best[0]:
                best = (gn, x, h)
            target = min(gtol, rtol * lam * float(np.linalg.norm(x)))
            if gn <= target:
                break
            if base is not None and gn > 0.5 * base[0]:
                # the full Newton step did not halve the float64 gradient: halve the step
                # (at most 3 times: beyond, the floating-point floor is reached)
                if tries == 3:
                    break
                tries += 1
                x = base[1] + 0.5 ** tries * base[2]
                continue
            eta = min(0.5, max(1e-5, 0.5 * target / gn))
        elif gn <= 1e-4 * gn0:
            exact = True
            continue
        else:
            eta = min(0.5, np.sqrt(gn / gn0))
        # conjugate gradients on (lam I + A' D A) d = -g, float32 products
        D = sig * (1.0 - sig)
        d, Ad = np.zeros(m), np.zeros(A.n)
        r = -g
        q = r.copy()
        rr = float(r @ r)
        stop = (eta * gn) ** 2
        for _ in range(max_cg):
            Aq, Hq = A.hessp32(q, D)
            Hq += lam * q
            qHq = float(q @ Hq)
            if not qHq > 0:
                break
            a = rr / qHq
            d += a * q
            Ad += a * Aq
            r -= a * Hq
            rr_new = float(r @ r)
            if rr_new <= stop:
                break
            q = r + (rr_new / rr) * q
            rr = rr_new
        gd = float(g @ d)
        if not gd < 0:
            if exact:
                break
            exact = True  # the float32 route has run out of accuracy
            continue
        if exact:
            # Newton's quadratic region: the full step, judged by the next float64 gradient
            base, tries = (gn, x, d), 0
            x = x + d
            continue
        f0 = -float(log_expit(y * h).sum()) + 0.5 * lam * float(x @ x)
        t = 1.0
        while t > 1e-8:
            xt = x + t * d
            if -float(log_expit(y * (h + t * Ad)).sum()) + 0.5 * lam * float(xt @ xt) <= f0 + 1e-4 * t * gd:
                break
            t *= 0.5
        else:
            exact = True  # no decrease visible at float32 margins
            continue
        x = x + t * d
        h = h + t * Ad
    gn, x, h = best
    return x, gn, h


@register_solver(Logistic)
def solve_logistic(rep, y, lam, loss):
    """Penalized logistic regression, certified by the gradient norm; ``lam = 0``: the
    max-margin direction on separable data, the unregularized minimizer otherwise."""
    info = {}
    if lam == 0:
        separable, _ = _separability(rep, y)
        info["separable"] = separable
        if separable:
            theta, hm = _hard_margin(rep, y)
            return theta, {**hm, **info}
    theta = None
    if rep.lowrank is not None and lam > 0:
        theta, gn = _logistic_lowrank(rep.lowrank, y, lam)
        name = "Newton-CG (primal, kernel as features [B, mustar I], mixed precision)"
        if gn > _grad_tol(len(y)):
            theta = None  # not certified: the representer route below
    if theta is not None:
        return theta, {**info, "solver": name, "grad_norm": gn}
    A = rep.train
    if rep.kind == "features" and lam > 0:
        # Newton-CG on the primal (mixed precision), stopped below 1e-3 of the certificate
        # and at a gradient that bounds the coefficients' relative error by LOGISTIC_RTOL
        theta, gn, _ = _logistic_newton(_Design(A), y, lam, 1e-3 * _grad_tol(len(y)))
        name = "Newton-CG (primal, mixed precision)"
        if gn > _grad_tol(len(y)):
            theta = None  # not certified: scikit-learn's Newton below
    if theta is None and rep.kind == "features":
        from sklearn.linear_model import LogisticRegression

        solver = "newton-cholesky" if A.shape[1] <= 2000 else "lbfgs"
        lr = LogisticRegression(fit_intercept=False, solver=solver, tol=1e-10, max_iter=5000,
                                C=np.inf if lam == 0 else 1.0 / lam)
        theta = lr.fit(A, y).coef_.ravel()
        g = -(A.T @ (y * expit(-y * (A @ theta)))) + lam * theta
        gn = float(np.linalg.norm(g))
        name = f"scikit-learn LogisticRegression ({solver})"
    elif theta is None:
        from scipy.optimize import minimize

        K = A

        def fun(c):
            h = K @ c
            r = -y * expit(-y * h)
            return np.logaddexp(0.0, -y * h).sum() + 0.5 * lam * c @ h, K @ r + lam * h

        theta = minimize(fun, np.zeros(len(y)), jac=True, method="L-BFGS-B",
                         options={"maxiter": 50_000, "gtol": 1e-10, "ftol": 1e-16}).x
        h = K @ theta
        # gradient of the objective with respect to the function values, in the RKHS metric
        grad = -y * expit(-y * h) + lam * theta
        gn = float(np.sqrt(max(grad @ K @ grad, 0.0)))
        name = "L-BFGS-B (representer coefficients)"
    if gn > _grad_tol(len(y)):
        raise SolverError(f"logistic solver not converged (gradient norm {gn:.3g})")
    return theta, {**info, "solver": name, "grad_norm": gn}


def _logistic_lowrank(lr, y, lam):
    """Kernel logistic regression for ``K = B B' + s2 I`` as the explicit-feature primal on
    ``[B, sqrt(s2) I_n]`` (Newton-CG, :func:`_logistic_newton`, stopped as for explicit features), ``K`` never formed.

    Returns ``(c, grad_norm)``: the representer coefficients ``c = K^{-1} h`` of the outputs
    ``h`` found (Woodbury; for ``s2 = 0``, ``c = B (B'B)^{-1} w``, so ``K c = h`` either way)
    and the certificate of the kernel route, ``|g + lam c|_K`` with ``g = loss'(K c)``
    (at most the primal gradient norm).  ``(None, inf)`` where ``c`` cannot be formed.
    """
    B, s2 = lr.B, lr.s2
    n, p = B.shape
    if s2 == 0 and p >= n:
        return None, np.inf
    x, gn, h = _logistic_newton(_Design(B, np.sqrt(s2)), y, lam, 1e-3 * _grad_tol(n))
    if not np.isfinite(gn):
        return None, np.inf
    c = _lowrank_solve(B, s2, h) if s2 > 0 else B @ _chol_solve(B.T @ B, x)
    h = lr.matvec(c)
    grad = -y * expit(-y * h) + lam * c  # gradient in the function values, RKHS metric
    return c, float(np.sqrt(max(float(grad @ lr.matvec(grad)), 0.0)))
