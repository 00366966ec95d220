"""Mutation check of the route tests: does tests/test_routes.py catch a 1e-3 change of any term of the maps?

Each *term* of the fixed-point map's implementations is multiplied by 1.001 in turn, and the route
tests (tests/test_routes.py, with numba, so the compiled route is tested too) are run until one
fails.  A term is, in the functions listed in ``TARGETS``: every complete arithmetic expression (an
assigned or returned value, a tuple element, a call argument, a branch of a conditional
expression) and every operand of every sum or difference within one (so
``(X + (1 - gam) D) / (2 L^2 D)`` gives the whole quotient, ``X``, ``(1 - gam) D``, ``1`` and
``gam``), every call of a function of one number (``sqrt``, ``exp``, ``ndtr`` ...) that is a
complete value, and the values the compiled map stores into its output array.  Branch conditions,
array indices and sizes, and the bounds of clips and floors (``max(x, 1e-300)``) are not terms.

How: a copy of the package's source is made (the working tree is not touched) in which every term
of the targets is multiplied by a factor of its own, ``_MUTF[k]``, read at run time (in a compiled
module through its address, so that numba compiles the module once, without its cache; the factor
1.0 leaves every number exactly as it is).  The tests of tests/test_routes.py are collected by
pytest and called in this one process; for each term its factor is set to 1.001, the tests are
run until the first failure (the test that caught the previous term is tried first), and the
factor is reset.  The interpolation thresholds' caches are cleared before every test.  A term
that no test catches is listed at the end as NOT CAUGHT, and the script exits 1, unless it is
in ``EQUIVALENT`` (a change of it cannot change a result; the reason is given there and
printed).  An expression that turns out not to be a number at run time (a namespace, a tuple:
the syntax cannot tell) is left unchanged and reported as not a term.

Run from the repository root, with numba installed (about 3 minutes on two shared cores, of
which the first one and a half compile and run the unchanged tests)::

    nice -n 10 python benchmarks/mutate_maps.py              # every target
    python benchmarks/mutate_maps.py --file learners.py      # one module's terms
    python benchmarks/mutate_maps.py --list                  # the terms, without running

The summary table of the last run is in docs/user_guide/testing.md ("The routes of the theory,
and a mutation check of their tests").
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
TESTS = "tests/test_routes.py"
FACTOR = 1.001

#: module (relative to src/rafmodel) -> the functions (dotted qualified names) holding map terms;
#: ``"f:a,b,return"``: only the values assigned to ``a`` and ``b`` and the returned one.
TARGETS = {
    "theory/_numba_fastpath.py": ["_interval", "_truncated", "_square", "_hinge", "_ridge", "_decode", "_encode",
                                  "_map", "_t_small", "_owens_t"],
    "theory/fastpath.py": ["_encode", "_decode", "solve_point.F"],
    "learners.py": ["Learner.encode", "Learner.decode", "_ridge_update", "_rf_responses", "Linear.to_channel",
                    "Linear.update", "Kernel.to_channel", "Kernel.update", "RandomFeatures.sample_ratio",
                    "RandomFeatures.to_channel", "RandomFeatures.update"],
    "theory/closed_form.py": ["square_channel", "hinge_channel", "_hinge_region2"],
    "theory/gaussian.py": ["TruncatedMoments.__init__", "TruncatedMoments.all", "gauss_interval_moments"],
    "theory/channel.py": ["_channel_smooth", "_inverse_terms"],
    # the compiled logistic channel's integrands and sums (its elementary functions, exp and Phi,
    # are tested against numpy and scipy to 1 ulp and 3e-15 in tests/test_numba_channel.py); of
    # logistic_point, the values that enter the integrands, not the layout of the nodes (nor _sig,
    # which only places the panel edges)
    "theory/_numba_channel.py": ["_weights", "_terms", "_terms_flat", "logistic_point:sq,isq,r0,c,s0,s1,s2,return"],
}
NOT_A_NUMBER = "(not a number: not a term)"
EQUIVALENT_MUTANT = "(equivalent: cannot change a result)"
#: Terms whose change cannot change any result, with the reason: ``(module, function, source)``.
EQUIVALENT = {
    ("theory/_numba_fastpath.py", "_hinge", "-_BIG"):
        "the stand-in for -infinity at the interpolating limit: Phi and phi there are 0 either way",
    ("theory/closed_form.py", "hinge_channel", "-BIG"):
        "the stand-in for -infinity at the interpolating limit: Phi and phi there are 0 either way",
    ("theory/_numba_fastpath.py", "_hinge", "ww * pm"):
        "N0 of the narrow region 2 is not used after it (only Nv is)",
    ("theory/_numba_fastpath.py", "_t_small", "_T_CUT / k"):
        "Owen's T's cut where the integrand is below e^-40 of its peak: moves the result by less than rounding",
}
#: The compiled modules: their mutants are compiled without numba's cache.
COMPILED = {"theory/_numba_fastpath.py", "theory/_numba_channel.py"}
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

_MUTF = _np_mut.ones({n})
_MUTF_ADDRESS = _MUTF.ctypes.data


@_intrinsic_mut
def _mutf(typingctx, i):
    # _MUTF[i], read at run time through the array's address (a global array would be frozen
    # into the compiled code as a constant)
    def codegen(context, builder, signature, args):
        base = builder.inttoptr(_ir_mut.Constant(_ir_mut.IntType(64), _MUTF_ADDRESS), _ir_mut.DoubleType().as_pointer())
        return builder.load(builder.gep(base, [args[0]]))
    return _types_mut.float64(i), codegen
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
        self.compiled = compiled

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
    new = _Factors([node for _, node in found], module in COMPILED).visit(tree)
    hook = ast.parse((_NUMBA_HOOK if module in COMPILED else _PYTHON_HOOK).format(n=n))
    # after the module's docstring and ``from __future__`` imports
    at = next(i for i, stmt in enumerate(new.body)
              if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__")
              and not (i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)))
    new.body[at:at] = hook.body
    info = [(fn, node.lineno, " ".join(ast.get_source_segment(source, node).split())) for fn, node in found]
    return ast.unparse(ast.fix_missing_locations(new)), info


class _Collect:
    def __init__(self):
        self.items = []

    def pytest_collection_modifyitems(self, items):
        self.items = list(items)


def _route_tests():
    """The items of tests/test_routes.py, the one-map tests first (the compiled ones first of those)."""
    import pytest

    c = _Collect()
    code = pytest.main([TESTS, "--collect-only", "-qq", "-p", "no:cacheprovider", "-n", "0"], plugins=[c])
    if code != 0 or not c.items:
        raise SystemExit(f"could not collect {TESTS} (pytest exit {code})")

    def rank(item):
        name = item.name
        return (0 if "compiled_map" in name else 1 if "map" in name or "limit" in name or "power" in name
                else 2 if "scalar_fixed" in name else 3)

    return sorted(c.items, key=rank)


def _clear_caches():
    # values computed from the maps (the interpolation thresholds) must not outlive a mutant
    from rafmodel.theory import capacity

    capacity._rf_capacity.cache_clear()
    capacity._alpha_c_scalar.cache_clear()


def _first_failure(items, verbose=False):
    """The name of the first item that fails, or ``None``."""
    import warnings

    for i, item in enumerate(items):
        _clear_caches()
        kwargs = dict(item.callspec.params) if hasattr(item, "callspec") else {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                item.obj(**kwargs)
        except Exception as exc:  # an assertion, or a mutant that breaks the map outright
            if type(exc).__name__ == "Skipped":
                continue
            if verbose:
                import traceback

                traceback.print_exc()
            items.insert(0, items.pop(i))  # the next term (most likely nearby) is tried on it first
            return item.name
    return None


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
        # this process runs the tests on the instrumented copy
        sys.path[:0] = [str(work), str(ROOT / "tests")]
        os.environ.pop("RAFMODEL_NUMBA", None)
        os.chdir(ROOT)
        t0 = time.time()
        items = _route_tests()
        import rafmodel

        assert Path(rafmodel.__file__).parent == work / "rafmodel", rafmodel.__file__
        mods = {m: importlib.import_module("rafmodel." + m[:-3].replace("/", ".")) for m in modules}
        failed = _first_failure(items, verbose=True)
        if failed is not None:
            print(f"the route tests fail without a mutation ({failed}); nothing to learn", file=sys.stderr)
            return 2
        print(f"# unmutated: {len(items)} route tests pass ({time.time() - t0:.0f} s); "
              f"{len(plan)} terms to perturb by x{FACTOR}", flush=True)
        rows = []
        for module, k, fn, line, seg in plan:
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
        _report(modules, rows, time.time() - t0)
        return 1 if any(r[-1] is None for r in rows) else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
