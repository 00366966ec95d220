"""Mutation check of the theory's tests: does the suite catch a 1e-3 change of any term of the maps?

The map of the theory is written once (the map modules of ``rafmodel.theory.maps``), and both
routes, numpy and compiled, are built from it; so a slip in a map moves both routes alike, and it
is the *independent* checks that must see it: the closed forms against the quadrature route and
against docs/theory.md's integrals taken literally, the random-features update against
docs/theory.md's formulas verbatim, known limits (Cover's count, the ridge response, the linear
learner inside a kernel), Bayes-optimal and capacity identities -- and the route tests
(tests/test_routes.py) for what each route has of its own (the compiled operations, the compiled
logistic quadrature, the coordinates).

Each *term* of the targets is multiplied by 1.001 in turn, and the tests of ``TESTS`` are run
(in this one process, in one pytest session, fixtures and all) until one fails.  A term is, in the
functions listed in ``TARGETS``: every complete arithmetic expression (an assigned or returned
value, a tuple element, a call argument, a branch of a conditional expression) and every operand
of every sum or difference within one (so ``(X + (1 - gam) D) / (2 L^2 D)`` gives the whole
quotient, ``X``, ``(1 - gam) D``, ``1`` and ``gam``), every call of a function of one number
(``sqrt``, ``exp``, ``ndtr`` ...) that is a complete value, and the values a compiled function
stores into its output array.  Branch conditions, array indices and sizes, and the bounds of clips
and floors (``max(x, 1e-300)``) are not terms.

How: a copy of the package's source is made (the working tree is not touched) in which every term
of the targets is multiplied by a factor of its own read at run time: ``_mutf(k)``, which is
``_MUTF[k]`` in Python and, in compiled code, a load from the array's address (so numba compiles
each map once, in a fresh cache directory; the factor 1.0 leaves every number exactly as it is).
For each term its factor is set to 1.001, the tests are run until the first failure (the test
that caught the previous term is tried first), and the factor is reset.  Cached values computed
from the maps (interpolation thresholds) are cleared before every test.  A term that no test
catches is listed at the end as NOT CAUGHT, and the script exits 1, unless it is in ``EQUIVALENT``
(a change of it cannot change a result; the reason is given there and printed).  An expression
that turns out not to be a number at run time (a tuple: the syntax cannot tell) is left unchanged
and reported as not a term.

Run from the repository root (numba is a dependency; about 10 minutes on two shared cores)::

    nice -n 10 python benchmarks/mutate_maps.py                       # every target
    python benchmarks/mutate_maps.py --file theory/maps/hinge.py      # one module's terms
    python benchmarks/mutate_maps.py --list                           # the terms, without running

The summary table of the last run is in docs/user_guide/testing.md ("The routes of the theory,
and a mutation check of the tests").
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
#: The tests run against each mutant (not the slow ones): the route tests and the independent checks.
TESTS = ["tests/test_routes.py", "tests/test_channel.py", "tests/test_random_features.py", "tests/test_capacity.py",
         "tests/test_compiled_solver.py::test_owens_t_matches_scipy",
         "tests/test_compiled_solver.py::test_owens_t_is_accurate_relative_to_high_precision",
         "tests/test_numba_channel.py", "tests/test_logistic_formulas.py", "tests/test_theory.py",
         # structured inputs: the known limit (a flat spectrum) and the routes on a power law
         "tests/test_structured_inputs.py::test_a_flat_spectrum_is_the_isotropic_theory",
         "tests/test_structured_inputs.py::test_both_routes_agree_on_a_power_law",
         "tests/test_structured_inputs.py::test_directions_scale_the_interpolation_threshold",
         "tests/test_structured_inputs.py::test_a_flat_spectrum_is_the_isotropic_random_features_theory",
         "tests/test_structured_inputs.py::test_the_random_features_step_is_that_of_drawn_features",
         "tests/test_structured_inputs.py::test_the_random_features_separability_on_a_spectrum_has_its_known_limits",
         "tests/test_new_learner.py", "tests/test_optimal.py"]
FACTOR = 1.001

#: module (relative to src/rafmodel) -> the functions (dotted qualified names) holding map terms;
#: ``"f:a,b,return"``: only the values assigned to ``a`` and ``b`` and the returned one.
TARGETS = {
    # the maps, written once (both routes)
    "theory/maps/linear.py": ["to_channel", "ridge", "prior", "update", "test_overlaps", "ridge_response",
                              "square_response", "exact_threshold", "square_lam_opt"],
    "theory/maps/kernel.py": ["to_channel", "update", "test_overlaps", "square_response", "exact_threshold",
                              "square_lam_opt", "interpolator_margin"],
    "theory/maps/random_features.py": ["sample_ratio", "to_channel", "test_overlaps", "responses",
                                       "training_response", "update", "exact_threshold", "structured_update",
                                       "feature_scale:step"],
    # the one operation of the structured inputs (a numpy and a compiled version)
    "_math/ops.py": ["spectral_sums"],
    "theory/maps/square.py": ["channel"],
    "theory/maps/hinge.py": ["region2", "channel"],
    "theory/maps/gaussian.py": ["interval_moments", "truncated_moments"],
    # the logistic loss's formulas, written once (Logistic's methods, the numpy channel through
    # them, and the compiled logistic channel).  Of the proximal Newton iteration, the residual
    # (which defines the root) and the bracket; not the step's divisor, the stopping tolerance or
    # the starts (newton_start, w_exp, prox_start): the iteration runs to rounding, so a step, a
    # tolerance or a start changed by 1e-3 reaches the same root (equivalent mutants by construction)
    "_math/logistic.py": ["tails", "sigmoid_of", "derivatives", "newton:g,f", "bracket"],
    # what each route has of its own: the coordinates, the compiled Owen's T, the logistic quadratures
    "theory/maps/__init__.py": ["LearnerMap.encode", "LearnerMap.decode"],
    "theory/maps/_compiled_ops.py": ["_t_small", "_owens_t", "_spectral_sums"],
    "theory/_compiled_solver.py": ["_decode", "_encode"],
    "theory/channel.py": ["_channel_smooth", "_inverse_terms"],
    # the compiled logistic channel's integrands and sums (its elementary functions, exp and Phi,
    # are tested against numpy and scipy to 1 ulp and 3e-15 in tests/test_numba_channel.py, and
    # the loss's formulas are _math/logistic.py's); of logistic_point, the values that enter the
    # integrands, not the layout of the nodes
    "theory/_numba_channel.py": ["_weights", "_terms", "_terms_flat", "logistic_point:sq,isq,r0,c,s0,s1,s2,return"],
}
NOT_A_NUMBER = "(not a number: not a term)"
EQUIVALENT_MUTANT = "(equivalent: cannot change a result)"
#: Terms whose change cannot change any result, with the reason: ``(module, function, source)``.
EQUIVALENT = {
    ("theory/maps/hinge.py", "channel", "-BIG"):
        "the stand-in for -infinity at the interpolating limit: Phi and phi there are 0 either way",
    ("theory/maps/hinge.py", "region2", "0.0 * V"):
        "the sums' zero start (a zero of the right shape): 1.001 times zero is zero",
    ("_math/logistic.py", "newton", "x - u - g"):
        "the whole residual of the proximal Newton: c f has the root of f, and the step c f / f' "
        "(c = 1.001) converges to it as well (the stopping rule is on the step, to rounding)",
    ("_math/logistic.py", "bracket", "V"):
        "the V of sigmoid(-u - V) in the bracket's lower end: 1.001 V lowers it, the root stays inside, "
        "and the safeguarded Newton reaches the same root",
    ("_math/logistic.py", "bracket", "V * sigmoid(-u)"):
        "the bracket's upper end raised by 1e-3 of V sigmoid(-u): the root stays inside, and the "
        "safeguarded Newton reaches the same root",
    ("theory/maps/random_features.py", "feature_scale", "(y * (kappa - c * sums[0]) - L) / slope"):
        "the whole Newton step for the projection's scale: 1.001 times the step converges to the same root "
        "(the stopping rule is on the step, to rounding); the residual's own terms are targets",
    ("theory/maps/_compiled_ops.py", "_t_small", "_T_CUT / k"):
        "Owen's T's cut where the integrand is below e^-40 of its peak: moving it by 1e-3 changes nothing",
}
#: The compiled modules: their mutants are compiled without numba's cache.
COMPILED = {"theory/maps/_compiled_ops.py", "theory/_compiled_solver.py", "theory/_numba_channel.py"}
#: The map modules and the loss's formulas: Python (numpy route) and compiled (the same code objects compiled).
MAPS = {m for m in TARGETS if m.startswith("theory/maps/") and not m.endswith(("__init__.py", "_compiled_ops.py"))}
MAPS.add("_math/logistic.py")
#: Calls whose arguments are sizes, indices or types, not terms.
_NOT_TERMS = {"range", "int", "len", "empty", "zeros", "ones", "full", "bool", "float", "reshape", "broadcast_to",
              "astype", "shape", "broadcast_shapes", "isfinite", "legendre_unit", "legendre_panels", "stack",
              "_take", "type", "print"}
#: Functions of one number to one number: a call of one is a term where it is a complete value.
_MATH_CALLS = {"sqrt", "exp", "log", "tanh", "atanh", "arctanh", "ndtr", "_ndtr", "erfc", "_exp", "_sig", "owens_t",
               "_owens_t", "_t_small"}
#: Calls whose constant or named arguments are bounds (guards), not terms.
_GUARDS = {"min", "max", "clip", "maximum", "minimum"}


def _is_bound(node):
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, (ast.Constant, ast.Name, ast.Attribute))


def _call_name(node):
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_value(node):
    return isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Subscript, ast.Attribute))


class _Terms(ast.NodeVisitor):
    """Collects the term nodes of one function body (not of the functions nested in it)."""

    def __init__(self, only=None):
        self.terms = []
        self.only = only  # the names whose assignments hold terms ("return": the returned value); None: all

    def add(self, node):
        if node not in self.terms:
            self.terms.append(node)

    def expr(self, node, top):
        """Visit an expression; ``top``: it is a complete value (a term if arithmetic)."""
        if isinstance(node, ast.BinOp):
            if top:
                self.add(node)
            if isinstance(node.op, (ast.Add, ast.Sub)):
                for operand in (node.left, node.right):
                    if isinstance(operand, ast.BinOp) and isinstance(operand.op, (ast.Add, ast.Sub)):
                        self.expr(operand, False)  # a chain: its operands are the terms
                    else:
                        if not (isinstance(operand, ast.Constant) and operand.value == 0):
                            self.add(operand)
                        self.expr(operand, False)
            else:
                self.expr(node.left, False)
                self.expr(node.right, False)
        elif isinstance(node, ast.UnaryOp):
            if top and isinstance(node.operand, (ast.BinOp, ast.Call, ast.Name)):
                self.add(node)
            self.expr(node.operand, False)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _NOT_TERMS:
                return
            if top and name in _MATH_CALLS:
                self.add(node)
            for arg in node.args:
                if name in _GUARDS and _is_bound(arg):
                    continue  # a clip bound or a floor such as max(x, 1e-300): a guard, not a term
                self.expr(arg, True)
        elif isinstance(node, ast.IfExp):
            for branch in (node.body, node.orelse):
                if _is_value(branch):
                    self.add(branch)
                self.expr(branch, True)
        elif isinstance(node, ast.Tuple):
            for elt in node.elts:
                self.expr(elt, True)
        # Compare, BoolOp (conditions), Subscript (indices), Name, Constant: nothing inside

    def value(self, node, store=False):
        """An assigned or returned value; ``store``: it goes into an array (a Name is a term then)."""
        elts = node.elts if isinstance(node, ast.Tuple) else [node]
        for elt in elts:
            if store and isinstance(elt, (ast.Name, ast.Subscript)):
                self.add(elt)
            self.expr(elt, True)

    def visit_FunctionDef(self, node):  # nested functions are targets of their own
        pass

    def visit_Assign(self, node):
        if self.only is not None and not any(isinstance(t, ast.Name) and t.id in self.only for t in node.targets):
            return
        self.value(node.value, store=any(isinstance(t, (ast.Subscript, ast.Tuple)) and
                                         any(isinstance(e, ast.Subscript) for e in ast.walk(t))
                                         for t in node.targets))

    def visit_AugAssign(self, node):
        if self.only is not None and not (isinstance(node.target, ast.Name) and node.target.id in self.only):
            return
        if isinstance(node.value, ast.Call) and _call_name(node.value) not in _NOT_TERMS:
            self.add(node.value)  # an accumulated call, s += f(...)
        self.value(node.value)

    def visit_Expr(self, node):  # a call for its effect: its arguments
        if isinstance(node.value, ast.Call):
            self.expr(node.value, True)

    def visit_Return(self, node):
        if node.value is not None and (self.only is None or "return" in self.only):
            self.value(node.value)


def _find(tree, qualname):
    node = tree
    for part in qualname.split("."):
        node = next(n for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part
                    and n is not node)
    return node


def terms(module):
    """``[(function, node)]``: the terms of ``module``'s targets, in source order."""
    source = (SRC / "rafmodel" / module).read_text()
    tree = ast.parse(source)
    out = []
    for spec in TARGETS[module]:
        qualname, _, only = spec.partition(":")
        fn = _find(tree, qualname)
        visitor = _Terms(only.split(",") if only else None)
        for stmt in fn.body:
            visitor.visit(stmt)
        out += [(qualname, t) for t in sorted(visitor.terms, key=lambda n: (n.lineno, n.col_offset))]
    return source, tree, out


_NUMBA_HOOK = """
import numpy as _np_mut
from llvmlite import ir as _ir_mut
from numba.core import types as _types_mut
from numba.extending import intrinsic as _intrinsic_mut
from numba.extending import overload as _overload_mut

_MUTF = _np_mut.ones({n})
_MUTF_ADDRESS = _MUTF.ctypes.data


@_intrinsic_mut
def _mutf_load(typingctx, i):
    # _MUTF[i], read at run time through the array's address (a global array would be frozen
    # into the compiled code as a constant)
    def codegen(context, builder, signature, args):
        base = builder.inttoptr(_ir_mut.Constant(_ir_mut.IntType(64), _MUTF_ADDRESS), _ir_mut.DoubleType().as_pointer())
        return builder.load(builder.gep(base, [args[0]]))
    return _types_mut.float64(i), codegen


def _mutf(k):
    return float(_MUTF[k])


_mutf.__module__ = "mutate_maps_hook"  # not a map function: the compiled route must not compile it (frozen)


@_overload_mut(_mutf)
def _mutf_compiled(k):
    return lambda k: _mutf_load(k)
"""


_PYTHON_HOOK = """
_MUTF = [1.0] * {n}
_MUT_NOT_NUMBERS = set()


def _mut(x, k):
    # x * _MUTF[k] for a number or an array; an expression that is not one (a namespace, a
    # tuple: what the syntax cannot tell) is left alone and reported
    f = _MUTF[k]
    if f == 1.0:
        return x
    import numpy

    if isinstance(x, (float, int, numpy.ndarray, numpy.number)) and not isinstance(x, bool):
        return x * f
    _MUT_NOT_NUMBERS.add(k)
    return x
"""


class _Factors(ast.NodeTransformer):
    """Multiplies each term by its own factor ``_MUTF[k]``, read at run time (1.0: the module unchanged).

    In a compiled module the factor is read by an intrinsic (``_mutf(k)``) and numba's cache is
    turned off.  ``x * 1.0`` is ``x`` exactly, so with every factor 1 the numbers are the module's.
    """

    def __init__(self, targets, compiled):
        self.index = {id(node): k for k, node in enumerate(targets)}
        self.compiled = compiled  # a compiled or a map module: x * _mutf(k) (a number on both routes)

    def generic_visit(self, node):
        k = self.index.get(id(node))
        node = super().generic_visit(node)
        if k is not None:
            if self.compiled:
                factor = ast.Call(func=ast.Name("_mutf", ast.Load()), args=[ast.Constant(k)], keywords=[])
                return ast.copy_location(ast.BinOp(left=node, op=ast.Mult(), right=factor), node)
            return ast.copy_location(ast.Call(func=ast.Name("_mut", ast.Load()), args=[node, ast.Constant(k)],
                                              keywords=[]), node)
        if self.compiled and isinstance(node, ast.keyword) and node.arg == "cache":
            node.value = ast.Constant(False)  # the address above is this process's
        return node


def instrumented(module):
    """``module``'s source with every term multiplied by its factor, and ``[(function, line, source)]``."""
    source, tree, found = terms(module)
    n = len(found)
    compiled = module in COMPILED or module in MAPS
    new = _Factors([node for _, node in found], compiled).visit(tree)
    hook = ast.parse((_NUMBA_HOOK if compiled else _PYTHON_HOOK).format(n=n))
    # after the module's docstring and ``from __future__`` imports
    at = next(i for i, stmt in enumerate(new.body)
              if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__")
              and not (i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)))
    new.body[at:at] = hook.body
    info = [(fn, node.lineno, " ".join(ast.get_source_segment(source, node).split())) for fn, node in found]
    return ast.unparse(ast.fix_missing_locations(new)), info


def _clear_caches():
    # values computed from the maps (the interpolation thresholds) must not outlive a mutant
    from rafmodel.theory import capacity

    capacity._capacity.cache_clear()
    capacity._alpha_c_scalar.cache_clear()


def _first_failure(items, verbose=False, durations=None):
    """The name of the first item that fails, or ``None`` (each run with its fixtures, in this session).

    ``durations``: a dict that receives each item's run time (the unmutated pass).
    """
    import warnings

    from _pytest.runner import runtestprotocol

    for i, item in enumerate(items):
        _clear_caches()
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reports = runtestprotocol(item, nextitem=None, log=False)
        if durations is not None:
            durations[item.nodeid] = time.perf_counter() - t
        if any(r.failed for r in reports):
            if verbose:
                for r in reports:
                    if r.failed:
                        print(r.longreprtext[-3000:], file=sys.stderr)
            items.insert(0, items.pop(i))  # the next term (most likely nearby) is tried on it first
            return item.nodeid.split("::", 1)[-1]
    return None


def _rank(item):
    """The cheap independent checks first, then the route tests of one map evaluation, the fixed points last."""
    name = item.nodeid
    if "fixed_points" in name or "test_theory" in name:
        return 2
    return 1 if "test_routes" in name else 0


class _Mutate:
    """A pytest plugin that runs the mutation loop in place of the session's test loop."""

    def __init__(self, plan, modules):
        self.plan, self.modules, self.status = plan, modules, 0

    def pytest_runtestloop(self, session):
        items = sorted(session.items, key=_rank)
        mods = {m: importlib.import_module("rafmodel." + m[:-3].replace("/", ".").removesuffix(".__init__"))
                for m in self.modules}
        t0 = time.time()
        durations = {}
        failed = _first_failure(items, verbose=True, durations=durations)
        if failed is not None:
            print(f"the tests fail without a mutation ({failed}); nothing to learn", file=sys.stderr)
            self.status = 2
            return True
        # the cheapest tests first (a term's catcher is then found soonest); the one that caught
        # the previous term is moved to the front each time
        items.sort(key=lambda item: durations[item.nodeid])
        print(f"# unmutated: {len(items)} tests pass ({time.time() - t0:.0f} s); "
              f"{len(self.plan)} terms to perturb by x{FACTOR}", flush=True)
        rows = []
        for module, k, fn, line, seg in self.plan:
            factors = mods[module]._MUTF
            factors[k] = FACTOR
            t = time.time()
            try:
                caught = _first_failure(items)
            finally:
                factors[k] = 1.0
            if caught is None:
                if k in getattr(mods[module], "_MUT_NOT_NUMBERS", ()):
                    caught = NOT_A_NUMBER
                elif (module, fn, seg) in EQUIVALENT:
                    caught = EQUIVALENT_MUTANT
            rows.append((module, line, fn, seg, caught))
            print(f"{module}:{line} {fn}: {seg[:60]} -> {caught or 'NOT CAUGHT'} ({time.time() - t:.1f} s)",
                  flush=True)
        _report(self.modules, rows, time.time() - t0)
        self.status = 1 if any(r[-1] is None for r in rows) else 0
        return True


def _report(modules, rows, seconds):
    """The summary tables (markdown) and the terms not caught."""
    real = [r for r in rows if r[-1] != NOT_A_NUMBER]
    missed = [r for r in real if r[-1] is None]
    equivalent = [r for r in real if r[-1] == EQUIVALENT_MUTANT]
    print(f"\n# {len(real)} terms perturbed by x{FACTOR}: {len(real) - len(missed) - len(equivalent)} caught, "
          f"{len(equivalent)} equivalent (cannot change a result), {len(missed)} not caught ({seconds:.0f} s); "
          f"{len(rows) - len(real)} expressions were not numbers (not terms)")
    print("\n| module | terms | caught | equivalent | not caught |\n|---|---|---|---|---|")
    for module in modules:
        mine = [r for r in real if r[0] == module]
        eq = sum(r[-1] == EQUIVALENT_MUTANT for r in mine)
        no = sum(r[-1] is None for r in mine)
        print(f"| {module} | {len(mine)} | {len(mine) - eq - no} | {eq} | {no} |")
    catchers = {}
    for *_, test in real:
        if test not in (None, EQUIVALENT_MUTANT):
            key = test.split("[")[0]
            catchers[key] = catchers.get(key, 0) + 1
    print("\n| test (the first to fail) | terms it caught |\n|---|---|")
    for key, n in sorted(catchers.items(), key=lambda kv: -kv[1]):
        print(f"| {key} | {n} |")
    for module, line, fn, seg, _ in equivalent:
        print(f"EQUIVALENT: {module}:{line} {fn}: {seg}: {EQUIVALENT[module, fn, seg]}")
    for module, line, fn, seg, _ in missed:
        print(f"NOT CAUGHT: {module}:{line} {fn}: {seg}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", action="append", choices=sorted(TARGETS), help="only this module's terms (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the terms and stop")
    args = ap.parse_args(argv)
    modules = args.file or list(TARGETS)
    if args.list:
        for module in modules:
            source, _, found = terms(module)
            for fn, node in found:
                print(f"{module}:{node.lineno} {fn}: {' '.join(ast.get_source_segment(source, node).split())}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="rafmodel-mutants-"))
    try:
        shutil.copytree(SRC / "rafmodel", work / "rafmodel", ignore=shutil.ignore_patterns("__pycache__"))
        plan = []
        for module in modules:
            text, info = instrumented(module)
            (work / "rafmodel" / module).write_text(text)
            plan += [(module, k, *row) for k, row in enumerate(info)]
        # this process runs the tests on the instrumented copy, compiled into a fresh numba cache
        sys.path[:0] = [str(work), str(ROOT / "tests")]
        os.environ.pop("RAFMODEL_NUMBA", None)
        os.environ["NUMBA_CACHE_DIR"] = str(work / "numba-cache")
        os.chdir(ROOT)
        import pytest

        import rafmodel

        assert Path(rafmodel.__file__).parent == work / "rafmodel", rafmodel.__file__
        plugin = _Mutate(plan, modules)
        # not the tests that start worker processes: a child would load this process's compiled
        # code from the cache, with this process's addresses of the factors
        pytest.main([*TESTS, "-q", "-m", "not slow", "-k", "not worker_processes and not theory_jobs",
                     "-p", "no:cacheprovider", "-n", "0"], plugins=[plugin])
        return plugin.status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
