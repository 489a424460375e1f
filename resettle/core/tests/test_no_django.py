"""resettle.core is pure Python: importing every module of it loads no Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import resettle.core


def test_core_imports_no_django() -> None:
    modules = [m.name for m in pkgutil.walk_packages(resettle.core.__path__, "resettle.core.")
               if ".tests" not in m.name]
    assert len(modules) > 15
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PATH": "/usr/bin:/bin"})
    assert result.stdout.strip() == "", f"core modules pulled in Django: {result.stdout}"
