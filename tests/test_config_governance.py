"""governance.guard: the organization's rule files and the controls turned back on, each wrong
value a one-line error that names the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

from platform_config import parse_profile
from platform_config.governance import PROJECT_ROOT
from tests.config_testkit import error_for, profile


def _with_guard(name: str = "dev", **guard: object) -> dict[str, object]:
    raw = profile(name)
    raw["governance"] = {"guard": guard}
    return raw


def test_shipped_profiles_check_every_control_with_no_rules_of_their_own() -> None:
    for name in ("dev", "prod"):
        guard = parse_profile(name, profile(name)).governance.guard
        assert (guard.rule_files, guard.enabled_controls) == ([], [])


def test_rule_files_and_folders_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "org.guard").write_text("rule r { Resources exists }\n", encoding="utf-8")
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.guard").write_text("rule a { Resources exists }\n", encoding="utf-8")
    raw = _with_guard(rule_files=[str(tmp_path / "org.guard"), str(folder)])
    assert parse_profile("dev", raw).governance.guard.rule_files == [
        str(tmp_path / "org.guard"),
        str(folder),
    ]


def test_a_missing_rule_file_is_a_one_line_error() -> None:
    message = error_for(_with_guard(rule_files=["guard/org-rules.guard"]))
    assert "profiles.dev.governance.guard.rule_files.0: got 'guard/org-rules.guard'" in message
    assert f"no such file or folder under {PROJECT_ROOT}" in message


def test_a_rule_file_must_be_a_guard_file(tmp_path: Path) -> None:
    (tmp_path / "rules.json").write_text("{}", encoding="utf-8")
    message = error_for(_with_guard(rule_files=[str(tmp_path / "rules.json")]))
    assert "not a cfn-guard rule file; allowed: a .guard file" in message


def test_a_rule_folder_holds_guard_files_only(tmp_path: Path) -> None:
    (tmp_path / "a.guard").write_text("rule a { Resources exists }\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("notes\n", encoding="utf-8")
    message = error_for(_with_guard(rule_files=[str(tmp_path)]))
    assert "it holds 'README.md'; allowed: a folder of .guard files only" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "it is empty" in error_for(_with_guard(rule_files=[str(empty)]))


def test_an_unknown_control_id_is_a_one_line_error() -> None:
    message = error_for(_with_guard(enabled_controls=["CT.S3.PR.99"]))
    assert "profiles.dev.governance.guard.enabled_controls.0: got 'CT.S3.PR.99'" in message
    assert "not a control this platform disables" in message
    assert "CT.S3.PR.9" in message
    assert "platform_config/guard_controls.py" in message


def test_a_control_the_stage_checks_already_cannot_be_turned_on() -> None:
    message = error_for(_with_guard("prod", enabled_controls=["CT.CLOUDWATCH.PR.2"]), "prod")
    assert "config error at cdk.json context profiles.prod" in message
    assert "'CT.CLOUDWATCH.PR.2', which stage production checks already" in message
    assert "disabled in development only" in message


def test_a_disabled_control_can_be_turned_back_on() -> None:
    raw = _with_guard("prod", enabled_controls=["CT.S3.PR.9"])
    assert parse_profile("prod", raw).governance.guard.enabled_controls == ["CT.S3.PR.9"]


def test_unknown_governance_keys_are_errors() -> None:
    message = error_for(_with_guard(rules=["x.guard"]))
    assert "profiles.dev.governance.guard.rules: unknown key" in message
    assert "enabled_controls, rule_files" in message
