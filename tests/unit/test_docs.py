"""The README's deploy section is DEPLOY.md's, from its outputs paragraph on."""

from __future__ import annotations

from infra.dynamodb_local import PROJECT_ROOT

MARKER = "`make deploy` prints the stack's outputs"


def test_the_readme_deploy_section_is_deploy_md() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    deploy = (PROJECT_ROOT / "infra" / "cdk" / "DEPLOY.md").read_text()
    assert readme[readme.index(MARKER) :] == deploy[deploy.index(MARKER) :]
