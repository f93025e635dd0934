"""The README's deploy section is DEPLOY.md's, from its outputs paragraph on."""

from __future__ import annotations

from local.dynamodb import PROJECT_ROOT

MARKER = "`make deploy` prints the stack's outputs"


def test_the_readme_deploy_section_is_deploy_md() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    deploy = (PROJECT_ROOT / "cdk" / "DEPLOY.md").read_text()
    assert readme[readme.index(MARKER) :] == deploy[deploy.index(MARKER) :]


def test_every_setting_the_code_reads_is_in_the_readme() -> None:
    """A name read from the environment anywhere in the project is documented."""
    import re

    from infra.settings import ENV_VARS

    readme = (PROJECT_ROOT / "README.md").read_text()
    code = "\n".join(
        path.read_text()
        for folder in ("domain", "handlers", "infra", "projections", "local", "cli", "cdk")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    )
    names = set(re.findall(r"\bSEATLEDGER_[A-Z_]+\b", code)) | set(ENV_VARS.values())
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert missing == []


def test_make_help_lists_the_local_stacks_settings() -> None:
    import re
    import subprocess

    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme[readme.index("Settings of the local stack") :].split("\n\n")[1]
    documented = re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE)
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(documented) >= 8
    assert [name for name in documented if name not in shown] == []
