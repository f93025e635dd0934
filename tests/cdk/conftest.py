"""Synthesize the CDK app once per test session; every test reads the same template."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii's banner about the machine's Node release says nothing about the stack.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from aws_cdk.assertions import Annotations, Template  # noqa: E402

from cdk.app import build_app  # noqa: E402
from cdk.stack import SeatLedgerStack  # noqa: E402


@dataclass
class Synthesized:
    stack: SeatLedgerStack
    template: Template
    resources: dict[str, dict[str, Any]]
    annotations: Annotations
    outdir: Path
    template_path: Path

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    deps = tmp_path_factory.mktemp("lambda-deps")  # empty: no wheels needed to synthesize
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(deps_dir=deps, outdir=str(outdir))
    app.synth()
    template = Template.from_stack(stack)
    template_path = outdir / stack.template_file
    resources = json.loads(template_path.read_text())["Resources"]
    yield Synthesized(
        stack, template, resources, Annotations.from_stack(stack), outdir, template_path
    )


def ref(resource_id: str) -> dict[str, str]:
    return {"Ref": resource_id}


def arn(resource_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource_id, "Arn"]}
