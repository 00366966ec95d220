"""The README's Python quickstart, run exactly as written, saved as a script (no main guard)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_one_python_quickstart():
    assert len(_python_blocks()) == 1


@pytest.mark.slow
def test_the_quickstart_runs_as_a_script(tmp_path):
    (tmp_path / "quickstart.py").write_text(_python_blocks()[0] + '\nprint("QUICKSTART DONE")\n')
    out = subprocess.run([sys.executable, "quickstart.py"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("QUICKSTART DONE")
