"""No import cycle inside local_deploy: import-linter's acyclic_siblings contract (pyproject.toml)
over the real package, and the same contract type over a small package that has one, so the check
is shown to fail on a cycle as deep as the one it replaced (cli -> demo.cli -> demo.stages -> cli,
the last import inside a function)."""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_local_deploy_has_no_import_cycle():
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No import cycle inside local_deploy KEPT" in result.stdout


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_the_contract_breaks_on_a_cycle_through_a_subpackage(tmp_path: Path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/cli.py": "from pkg.demo import cli\n",
            "pkg/demo/__init__.py": "",
            "pkg/demo/cli.py": "from pkg.demo import stages\n",
            "pkg/demo/stages.py": """\
                def deploy():
                    from pkg import cli

                    return cli
            """,
            "contract.toml": """\
                [tool.importlinter]
                root_package = "pkg"

                [[tool.importlinter.contracts]]
                name = "No import cycle inside pkg"
                type = "acyclic_siblings"
                ancestors = ["pkg"]
            """,
        },
    )
    result = _lint_imports(tmp_path, "--config", "contract.toml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No import cycle inside pkg BROKEN" in result.stdout
    assert ".demo -> .cli" in result.stdout
