"""A synthesized cloud assembly deployed through LocalStack's CloudFormation, as `cdk deploy`
does it: what `cdk bootstrap` would have made (the assets bucket, the version parameter), the
file assets zipped into it, then one stack created from the template as synthesized."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "000000000000"  # LocalStack's default account
BOOTSTRAP_VERSION = "30"  # what the template's CheckBootstrapVersion rule reads from SSM


class DeployError(RuntimeError):
    pass


@dataclass
class Deployed:
    name: str
    outputs: dict[str, str]
    resources: dict[str, tuple[str, str]]  # logical id -> (type, physical id)

    def physical(self, kind: str) -> dict[str, str]:
        return {k: pid for k, (t, pid) in self.resources.items() if t == kind}


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _resolve(text: str) -> str:
    return text.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)


def publish_assets(endpoint: str, outdir: Path, stack: str) -> dict[str, str]:
    """Every file asset to its bucket; returns asset path -> (bucket, key) as an S3 URL path."""
    s3, ssm = client(endpoint, "s3"), client(endpoint, "ssm")
    manifest = json.loads((outdir / f"{stack}.assets.json").read_text())
    urls: dict[str, str] = {}
    buckets: set[str] = set()
    for asset in manifest["files"].values():
        source = outdir / asset["source"]["path"]
        for destination in asset["destinations"].values():
            bucket, key = _resolve(destination["bucketName"]), destination["objectKey"]
            if bucket not in buckets:
                s3.create_bucket(Bucket=bucket)
                buckets.add(bucket)
            if asset["source"].get("packaging") == "zip":
                with tempfile.TemporaryDirectory() as tmp:
                    archive = shutil.make_archive(os.path.join(tmp, "asset"), "zip", source)
                    s3.upload_file(archive, bucket, key)
            else:
                s3.upload_file(str(source), bucket, key)
            urls[asset["source"]["path"]] = f"{endpoint}/{bucket}/{key}"
    ssm.put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value=BOOTSTRAP_VERSION, Type="String"
    )
    return urls


def deploy(endpoint: str, outdir: Path, stack: str, timeout: float = 600) -> Deployed:
    urls = publish_assets(endpoint, outdir, stack)
    cfn = client(endpoint, "cloudformation")
    cfn.create_stack(
        StackName=stack,
        TemplateURL=urls[f"{stack}.template.json"],  # over the 51,200-byte body limit
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        OnFailure="DO_NOTHING",  # keep what failed, to report it
    )
    deadline = time.monotonic() + timeout
    while True:
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        status = described["StackStatus"]
        if status == "CREATE_COMPLETE":
            break
        if not status.endswith("IN_PROGRESS") or time.monotonic() > deadline:
            reason = described.get("StackStatusReason") or ""
            raise DeployError(f"stack {stack}: {status} {reason}\n{failures(cfn, stack)}")
        time.sleep(1)
    resources = {
        r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId", ""))
        for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return Deployed(stack, outputs, resources)


def failures(cfn: Any, stack: str) -> str:
    """Each resource that failed, with CloudFormation's reason."""
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    failed = [e for e in reversed(events) if e["ResourceStatus"].endswith("FAILED")]
    return "\n".join(
        f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason')}"
        for e in failed
    )
