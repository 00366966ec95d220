"""Test configuration and the fixtures shared by the test modules.

* one BLAS thread per pytest-xdist worker (the workers share the cores);
* the cache of measured spectra (``$RAFMODEL_CACHE``) in a folder of the session, so that the
  tests never write into the user's ``~/.cache/rafmodel``;
* ``raf``, ``raf_json`` and ``raf_refused``: the ``raf`` command line run in-process, its
  status and output captured (``capsys``), its JSON parsed, or its one-line refusal checked.

Plain helpers (no fixture needed) live in the ``tests/_*.py`` modules: ``_extras`` (skips when an
optional extra is absent), ``_files`` (spec files written, images checked to be drawn), ``_figures``
(a cheap stand-in for registered figures), ``_images`` (IDX and CIFAR-10 files), ``_power``
(theory against simulations, with power), ``_routes`` (the routes of the theory), ``_sim`` (the
independent simulator), ``_procs``, ``_browser``, ``_numba``.
"""

import json
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _spectra_cache_of_the_session(tmp_path_factory):
    """Measured spectra and mixtures (rafmodel.spectra) cached in a folder of the session, not the user's."""
    old = os.environ.get("RAFMODEL_CACHE")
    os.environ["RAFMODEL_CACHE"] = str(tmp_path_factory.mktemp("rafmodel-cache"))
    yield
    if old is None:
        os.environ.pop("RAFMODEL_CACHE", None)
    else:
        os.environ["RAFMODEL_CACHE"] = old


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread_per_worker():
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            yield
    else:
        yield


@pytest.fixture
def raf(capsys):
    """Run ``raf ARGV`` in-process: ``raf(argv) -> (status, stdout, stderr)``.

    argparse's own errors leave through ``SystemExit``; its code is the status.
    """
    from rafmodel.cli import main

    def run(argv):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def raf_json(raf):
    """Run ``raf ARGV`` (with ``--json`` in it), assert status 0, return the parsed output."""

    def run(argv, status=0):
        code, out, err = raf(argv)
        assert code == status, (code, err)
        return json.loads(out)

    return run


@pytest.fixture
def raf_refused(raf):
    """Run ``raf ARGV``, assert it is refused as the policy says, return the one error line.

    Refused: exit status 2, nothing on stdout, exactly one line on stderr starting with ``raf``,
    no traceback.  With ``prefix``, the line starts with ``raf COMMAND: error: PREFIX``.
    """

    def run(argv, prefix=None):
        code, out, err = raf(argv)
        lines = err.splitlines()
        assert code == 2, (code, err)
        assert len(lines) == 1 and err.endswith("\n"), err
        assert "Traceback" not in err and out == "", (out, err)
        assert lines[0].startswith("raf"), err
        if prefix is not None:
            assert lines[0].startswith(f"raf {argv[0]}: error: {prefix}"), err
        return lines[0]

    return run
