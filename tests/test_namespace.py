"""The repo's constructs/ folder must join the `constructs` namespace without shadowing it."""

from pathlib import Path

from constructs import Construct
from constructs.secure_bucket import SecureBucket
from tests.synthesis import REPO_ROOT


def test_library_and_local_constructs_both_import() -> None:
    assert Construct.__module__.startswith("constructs")
    assert Path(Construct.__module__.replace(".", "/")).parts[0] == "constructs"
    assert Path(SecureBucket.__module__.replace(".", "/")).name == "secure_bucket"


def test_constructs_folder_has_no_init() -> None:
    assert not (REPO_ROOT / "constructs" / "__init__.py").exists()
