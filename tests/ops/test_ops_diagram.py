"""ops.diagram: the committed docs/architecture.* match the dev templates, and the graph's edges
follow references and IAM statements across stacks."""

from __future__ import annotations

import json
from pathlib import Path

from ops.assembly import StackTemplate
from ops.diagram import Node, build_graph, generate, render_mermaid
from tests.synthesis import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def test_committed_diagram_is_up_to_date(dev) -> None:
    files = generate(dev.outdir, "dev")
    stale = [name for name, text in files.items() if (DOCS / name).read_text() != text]
    assert not stale, f"{stale} stale: run `make diagram` and commit docs/"


def test_committed_diagram_shows_the_data_path() -> None:
    text = (DOCS / "architecture.md").read_text()
    for edge in (
        "producers --> StreamingStack_EventsStream",
        "StreamingStack_EventsStreamA348795C --> StreamingStack_KinesisToLakeDeliveryStream",
        "StreamingStack_KinesisToLakeDeliveryStream2F387279 --> DataLakeStack_StorageRawBucket",
        "StreamingStack_KinesisToLakeDeliveryStream2F387279 --> StreamingStack_TransformFunction",
        "DataLakeStack_StorageRawBucketCFA2C318 --> DataLakeStack_CatalogRawDatabase",
        "DataLakeStack_StorageAnalyticsBucketC1082CB0 --> MlStack_TrainingPipeline",
        "MlStack_TrainingModelPackageGroup2A1BF969 --> MlStack_DeploymentModelApproved",
        "MlStack_DeploymentModelApproved534AB985 --> MlStack_DeploymentDeployerFunction",
        "DataLakeStack_StorageCuratedBucketFD39404E --> ClusterStack_WorkersGroupASG",
    ):
        assert edge in text, edge
    assert "AWS::IAM" not in text
    assert "Policy<br/>" not in text
    assert text.count("subgraph ") == 7  # one per stack
    assert (DOCS / "architecture.svg").read_text().startswith("<?xml")


def stack(stack_id: str, resources: dict, outputs: dict | None = None) -> StackTemplate:
    template = {"Resources": resources, "Outputs": outputs or {}}
    return StackTemplate(stack_id, f"app-{stack_id}", json.loads(json.dumps(template)))


def test_edges_follow_policies_and_cross_stack_outputs(tmp_path: Path) -> None:
    lake = stack(
        "Lake",
        {
            "Raw": {"Type": "AWS::S3::Bucket"},
            "Curated": {"Type": "AWS::S3::Bucket"},
            "Logs": {"Type": "AWS::S3::Bucket"},  # no edge: folded away
        },
        {"RawArn": {"Value": {"Fn::GetAtt": ["Raw", "Arn"]}}},
    )
    raw_arn = {"Fn::GetStackOutput": {"StackName": "app-Lake", "OutputName": "RawArn"}}
    job = stack(
        "Jobs",
        {
            "Role": {"Type": "AWS::IAM::Role"},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": ["s3:GetObject*"], "Resource": raw_arn},
                            {
                                "Effect": "Allow",
                                "Action": "s3:PutObject",
                                "Resource": {"Fn::ImportValue": "curated-arn"},
                            },
                        ]
                    },
                },
            },
            "Job": {
                "Type": "AWS::Glue::Job",
                "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}},
            },
        },
    )
    lake.template["Outputs"]["CuratedArn"] = {
        "Value": {"Fn::GetAtt": ["Curated", "Arn"]},
        "Export": {"Name": "curated-arn"},
    }
    graph = build_graph([lake, job], "t")
    assert graph.edges == {
        (Node("Lake", "Raw"), Node("Jobs", "Job")),
        (Node("Jobs", "Job"), Node("Lake", "Curated")),
    }
    assert Node("Lake", "Logs") not in graph.nodes
    assert "Lake_Raw --> Jobs_Job" in render_mermaid(graph)
