"""Monthly idle cost of a synthesized profile: what its resources cost with no data flowing.

    python -m ops.cost cdk.out --env dev [--format table|markdown|json] [--json]
    python -m ops.cost dev=cdk.dev.out prod=cdk.prod.out --format summary   # README table

Reads every stack template of the cloud assembly and applies the dated list prices of
ops/prices.json to each resource billed by the hour or the month whether or not data flows.
Every resource type is one of three things, and the output says which:

- priced: a rule below turns its properties into a monthly figure (one or more line items);
- usage only: billed per request, GB or run, or free (USAGE_ONLY says why), so zero when idle;
- not priced: billable while idle, or not known to be free, with no price in the table or
  properties the rule cannot read (a token instance type). Printed with the reason, never a
  silent zero.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ops.assembly import AssemblyError, StackTemplate, read_assembly, read_json

PRICES_PATH = Path(__file__).with_name("prices.json")

# Types billed per request, per GB or per run, or free: zero while idle. A glob per family.
USAGE_ONLY: dict[str, str] = {
    "AWS::CDK::Metadata": "not deployed as a resource",
    "Custom::*": "a Lambda invocation at deploy time",
    "AWS::CloudFormation::*": "no charge for AWS resource types",
    "AWS::IAM::*": "no charge",
    "AWS::KMS::Alias": "no charge (the key is priced)",
    "AWS::EC2::VPC": "no charge",
    "AWS::EC2::Subnet": "no charge",
    "AWS::EC2::RouteTable": "no charge",
    "AWS::EC2::Route": "no charge",
    "AWS::EC2::SubnetRouteTableAssociation": "no charge",
    "AWS::EC2::InternetGateway": "no charge (data transfer is usage)",
    "AWS::EC2::VPCGatewayAttachment": "no charge",
    "AWS::EC2::SecurityGroup*": "no charge",
    "AWS::EC2::FlowLog": "per GB of log data ingested",
    "AWS::EC2::LaunchTemplate": "no charge; its instances and volumes are priced on the group",
    "AWS::AutoScaling::LifecycleHook": "no charge",
    "AWS::AutoScaling::ScalingPolicy": "no charge (its alarms are priced)",
    "AWS::AutoScaling::ScheduledAction": "no charge",
    "AWS::ApplicationAutoScaling::*": "no charge",
    "AWS::Lambda::*": "per request and GB-second",
    "AWS::Logs::*": "per GB ingested and stored",
    "AWS::S3::*": "per GB stored and per request",
    "AWS::Glue::*": "per DPU-hour of runs; the Data Catalog's first million objects are free",
    "AWS::Athena::*": "per TB scanned",
    "AWS::LakeFormation::*": "no charge",
    "AWS::KinesisFirehose::DeliveryStream": "per GB ingested",
    "AWS::SNS::*": "per request and delivery",
    "AWS::SQS::*": "per request",
    "AWS::Events::Rule": "AWS service events are free; custom events per million",
    "AWS::SageMaker::Pipeline": "no charge; its steps' jobs bill per second of run",
    "AWS::SageMaker::ModelPackageGroup": "no charge",
    "AWS::SageMaker::Model": "no charge",
    "AWS::SageMaker::EndpointConfig": "no charge; priced on the endpoint that uses it",
    "AWS::Route53::RecordSet*": "per query",
    "AWS::SSM::Parameter": "standard parameters are free",
    "AWS::SecretsManager::SecretTargetAttachment": "no charge (the secret is priced)",
    "AWS::SecretsManager::ResourcePolicy": "no charge (the secret is priced)",
    "AWS::MSK::Configuration": "no charge",
}


class PriceError(Exception):
    """ops/prices.json lacks something a rule needs, or is malformed (one line, for the CLI)."""


@dataclass(frozen=True)
class LineItem:
    """One priced (or explicitly unpriced) component of a resource."""

    stack: str
    logical_id: str
    resource_type: str
    component: str
    monthly_usd: float | None  # None: not priced (reason in detail)
    detail: str

    @property
    def priced(self) -> bool:
        return self.monthly_usd is not None


@dataclass
class CostReport:
    """Every line item of one profile, with per-stack and total figures."""

    label: str
    as_of: str
    region: str
    spot_discount: float
    items: list[LineItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def stack_totals(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for item in self.items:
            totals.setdefault(item.stack, 0.0)
            totals[item.stack] += item.monthly_usd or 0.0
        return {stack: round(total, 2) for stack, total in totals.items()}

    @property
    def total(self) -> float:
        return round(sum(item.monthly_usd or 0.0 for item in self.items), 2)

    @property
    def not_priced(self) -> list[LineItem]:
        return [item for item in self.items if not item.priced]

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.label,
            "prices_as_of": self.as_of,
            "region": self.region,
            "assumed_spot_discount": self.spot_discount,
            "total_monthly_usd": self.total,
            "stacks": self.stack_totals(),
            "items": [asdict(item) for item in self.items],
            "not_priced": [asdict(item) for item in self.not_priced],
            "notes": self.notes,
        }


class PriceTable:
    """ops/prices.json: named unit prices and per-instance-type hourly tables."""

    def __init__(self, raw: dict[str, Any]) -> None:
        try:
            self.as_of = str(raw["as_of"])
            self.region = str(raw["region"])
            self.hours = float(raw["hours_per_month"])
            self.spot_discount = float(raw["spot_discount"]["value"])
            self._prices = {name: float(p["usd"]) for name, p in raw["prices"].items()}
            self._types = {
                table: {name: float(usd) for name, usd in raw[table]["usd"].items()}
                for table in (
                    "ec2_instance_hour",
                    "msk_broker_hour",
                    "sagemaker_hosting_instance_hour",
                )
            }
        except (KeyError, TypeError, ValueError) as error:
            raise PriceError(f"prices file: missing or malformed entry {error}") from None
        if not 0 <= self.spot_discount < 1:
            raise PriceError(f"prices file: spot_discount {self.spot_discount} is not in [0, 1)")

    @classmethod
    def load(cls, path: Path = PRICES_PATH) -> PriceTable:
        try:
            raw = read_json(path)
        except AssemblyError as error:
            raise PriceError(str(error)) from None
        if not isinstance(raw, dict):
            raise PriceError(f"{path}: not a JSON object")
        return cls(raw)

    def unit(self, name: str) -> float:
        if name not in self._prices:
            raise PriceError(f"prices file: no price named {name!r}")
        return self._prices[name]

    def hourly(self, name: str) -> float:
        """A per-hour unit price as a monthly figure."""
        return self.unit(name) * self.hours

    def instance_hour(self, table: str, instance_type: object) -> float | None:
        """The hourly price of `instance_type`, or None when it is a token or not in the table."""
        if not isinstance(instance_type, str):
            return None
        return self._types[table].get(instance_type)


# -- resource rules ---------------------------------------------------------------------------

Row = tuple[str, float | None, str]  # (component, monthly USD or None when not priced, detail)


def _int(value: object) -> int | None:
    """An integer property (CloudFormation often writes numbers as strings), None for a token."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _money(value: float) -> str:
    return f"${value:,.2f}"


class Pricer:
    """Applies a PriceTable to the resources of one template."""

    def __init__(self, prices: PriceTable, resources: dict[str, dict[str, Any]]) -> None:
        self.prices = prices
        self.resources = resources

    def ref_target(self, value: object, resource_type: str) -> dict[str, Any] | None:
        """The resource a `Ref` (or `Fn::GetAtt`) points to, when it is in this template."""
        if isinstance(value, dict):
            if "Ref" in value:
                logical_id = value["Ref"]
            elif "Fn::GetAtt" in value:
                logical_id = value["Fn::GetAtt"][0]
            else:
                return None
            target = self.resources.get(logical_id)
            if target is not None and target.get("Type") == resource_type:
                return target
        return None

    # Each rule yields (component, monthly USD or None, detail).

    def nat_gateway(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        price = self.prices.unit("nat_gateway_hour")
        yield (
            "gateway-hours",
            self.prices.hourly("nat_gateway_hour"),
            f"{price}/h x {self.prices.hours:g} h",
        )

    def eip(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        price = self.prices.unit("public_ipv4_hour")
        yield (
            "public IPv4",
            self.prices.hourly("public_ipv4_hour"),
            f"{price}/h x {self.prices.hours:g} h",
        )

    def vpc_endpoint(self, _id: str, props: dict[str, Any]) -> Iterator[Row]:
        kind = props.get("VpcEndpointType", "Gateway")
        if kind == "Gateway":
            yield "gateway endpoint", 0.0, "gateway endpoints (S3, DynamoDB) have no hourly charge"
            return
        if kind != "Interface":
            yield f"{kind} endpoint", None, f"not priced: no price for {kind} endpoints"
            return
        subnets = props.get("SubnetIds")
        if not isinstance(subnets, list):
            yield "endpoint AZ-hours", None, "not priced: SubnetIds is not a list (a token)"
            return
        price = self.prices.unit("interface_endpoint_az_hour")
        monthly = len(subnets) * self.prices.hourly("interface_endpoint_az_hour")
        yield "endpoint AZ-hours", monthly, f"{len(subnets)} AZ x {price}/h"

    def kinesis_stream(self, _id: str, props: dict[str, Any]) -> Iterator[Row]:
        mode = props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
        retention = _int(props.get("RetentionPeriodHours", 24))
        if mode == "ON_DEMAND":
            price = self.prices.unit("kinesis_on_demand_stream_hour")
            yield (
                "on-demand stream-hours",
                self.prices.hourly("kinesis_on_demand_stream_hour"),
                f"{price}/h; data, and retention beyond 24 h, are billed per GB",
            )
            return
        shards = _int(props.get("ShardCount", 1))
        if shards is None or retention is None:
            yield "shard-hours", None, "not priced: ShardCount or RetentionPeriodHours is a token"
            return
        price = self.prices.unit("kinesis_shard_hour")
        yield (
            "shard-hours",
            shards * self.prices.hourly("kinesis_shard_hour"),
            f"{shards} shards x {price}/h",
        )
        if retention > 24:
            extended = self.prices.unit("kinesis_extended_retention_shard_hour")
            yield (
                f"extended retention ({retention} h)",
                shards * self.prices.hourly("kinesis_extended_retention_shard_hour"),
                f"{shards} shards x {extended}/h",
            )

    def msk_cluster(self, _id: str, props: dict[str, Any]) -> Iterator[Row]:
        group = props.get("BrokerNodeGroupInfo", {})
        brokers = _int(props.get("NumberOfBrokerNodes"))
        broker_type = group.get("InstanceType")
        hourly = self.prices.instance_hour("msk_broker_hour", broker_type)
        if brokers is None or hourly is None:
            yield "broker-hours", None, f"not priced: broker type {broker_type!r} not in the table"
        else:
            yield (
                "broker-hours",
                brokers * hourly * self.prices.hours,
                f"{brokers} x {broker_type} x {hourly}/h",
            )
        size = _int(group.get("StorageInfo", {}).get("EBSStorageInfo", {}).get("VolumeSize"))
        if brokers is None or size is None:
            yield "broker storage", None, "not priced: NumberOfBrokerNodes or VolumeSize is a token"
        else:
            price = self.prices.unit("msk_storage_gb_month")
            yield (
                "broker storage",
                brokers * size * price,
                f"{brokers} x {size} GB x {price}/GB-month",
            )

    def msk_serverless(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        price = self.prices.unit("msk_serverless_cluster_hour")
        yield (
            "cluster-hours",
            self.prices.hourly("msk_serverless_cluster_hour"),
            f"{price}/h; partition-hours are billed as topics create them (not in the template)",
        )

    def kms_key(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        yield "key-month", self.prices.unit("kms_key_month"), "customer-managed key"

    def route53_zone(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        yield "zone-month", self.prices.unit("route53_hosted_zone_month"), "hosted zone"

    def secret(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        yield "secret-month", self.prices.unit("secrets_manager_secret_month"), "secret"

    def dashboard(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        yield (
            "dashboard-month",
            self.prices.unit("cloudwatch_dashboard_month"),
            "dashboard (free tier not applied)",
        )

    def alarm(self, _id: str, props: dict[str, Any]) -> Iterator[Row]:
        metrics = props.get("Metrics")
        if isinstance(metrics, list):
            stats = [m["MetricStat"] for m in metrics if isinstance(m, dict) and "MetricStat" in m]
            expressions = " ".join(str(m.get("Expression", "")) for m in metrics)
            if "ANOMALY_DETECTION_BAND" in expressions:
                yield (
                    "alarm metrics",
                    None,
                    "not priced: anomaly detection alarms are not in the table",
                )
                return
            count = max(len(stats), 1)
            periods = [_int(s.get("Period")) for s in stats]
        else:
            count = 1
            periods = [_int(props.get("Period"))]
        high_res = any(p is not None and p < 60 for p in periods)
        name = (
            "cloudwatch_alarm_high_res_metric_month"
            if high_res
            else "cloudwatch_alarm_metric_month"
        )
        price = self.prices.unit(name)
        resolution = "high-resolution" if high_res else "standard"
        yield "alarm metrics", count * price, f"{count} {resolution} metric(s) x {price}/month"

    def composite_alarm(self, _id: str, _props: dict[str, Any]) -> Iterator[Row]:
        yield "alarm-month", self.prices.unit("cloudwatch_composite_alarm_month"), "composite alarm"

    def sagemaker_endpoint(self, _id: str, props: dict[str, Any]) -> Iterator[Row]:
        config = self.ref_target(props.get("EndpointConfigName"), "AWS::SageMaker::EndpointConfig")
        if config is None:
            yield "instance-hours", None, "not priced: the endpoint config is not in this template"
            return
        for variant in config.get("Properties", {}).get("ProductionVariants", []):
            name = variant.get("VariantName", "?")
            if "ServerlessConfig" in variant:
                yield f"variant {name}", 0.0, "serverless variant: billed per request"
                continue
            count = _int(variant.get("InitialInstanceCount"))
            instance_type = variant.get("InstanceType")
            hourly = self.prices.instance_hour("sagemaker_hosting_instance_hour", instance_type)
            if count is None or hourly is None:
                yield f"variant {name}", None, f"not priced: {instance_type!r} not in the table"
            else:
                monthly = count * hourly * self.prices.hours
                yield f"variant {name}", monthly, f"{count} x {instance_type} x {hourly}/h"

    def ec2_instance(self, _id: str, props: dict[str, Any]) -> Iterator[Row]:
        instance_type = props.get("InstanceType")
        hourly = self.prices.instance_hour("ec2_instance_hour", instance_type)
        if hourly is None:
            yield "instance-hours", None, f"not priced: {instance_type!r} not in the table"
        else:
            yield "instance-hours", hourly * self.prices.hours, f"1 x {instance_type} x {hourly}/h"
        interfaces = props.get("NetworkInterfaces", [])
        if any(i.get("AssociatePublicIpAddress") in (True, "true") for i in interfaces):
            price = self.prices.unit("public_ipv4_hour")
            yield (
                "public IPv4",
                self.prices.hourly("public_ipv4_hour"),
                f"auto-assigned address, {price}/h x {self.prices.hours:g} h",
            )
        mappings = props.get("BlockDeviceMappings", [])
        if not mappings:
            yield (
                "EBS root",
                None,
                "not priced: no BlockDeviceMappings, so the AMI's root volume size is unknown",
            )
        yield from self.volumes(mappings, 1)

    def auto_scaling_group(self, logical_id: str, props: dict[str, Any]) -> Iterator[Row]:
        minimum = _int(props.get("MinSize"))
        mixed = props.get("MixedInstancesPolicy")
        spec = (
            mixed["LaunchTemplate"]["LaunchTemplateSpecification"]
            if mixed
            else props.get("LaunchTemplate")
        )
        template = self.ref_target((spec or {}).get("LaunchTemplateId"), "AWS::EC2::LaunchTemplate")
        if minimum is None or template is None:
            yield (
                "instances",
                None,
                "not priced: MinSize is a token, or no launch template in this template",
            )
            return
        data = template.get("Properties", {}).get("LaunchTemplateData", {})
        scheduled = [
            r
            for r in self.resources.values()
            if r.get("Type") == "AWS::AutoScaling::ScheduledAction"
            and r.get("Properties", {}).get("AutoScalingGroupName") == {"Ref": logical_id}
        ]
        note = f"; {len(scheduled)} scheduled action(s) not modelled" if scheduled else ""
        if mixed:
            yield from self.mixed_instances(minimum, mixed, data, note)
        else:
            instance_type = data.get("InstanceType")
            hourly = self.prices.instance_hour("ec2_instance_hour", instance_type)
            spot = (
                "Spot" if data.get("InstanceMarketOptions", {}).get("MarketType") == "spot" else ""
            )
            if hourly is None:
                yield "instances", None, f"not priced: {instance_type!r} not in the table"
            elif spot:
                rate = hourly * (1 - self.prices.spot_discount)
                yield (
                    "instances (Spot)",
                    minimum * rate * self.prices.hours,
                    f"MinSize {minimum} x {instance_type} Spot at {hourly}/h less an assumed "
                    f"{self.prices.spot_discount:.0%}{note}",
                )
            else:
                yield (
                    "instances",
                    minimum * hourly * self.prices.hours,
                    f"MinSize {minimum} x {instance_type} x {hourly}/h On-Demand{note}",
                )
        yield from self.volumes(data.get("BlockDeviceMappings", []), minimum)

    def mixed_instances(
        self, minimum: int, mixed: dict[str, Any], data: dict[str, Any], note: str
    ) -> Iterator[Row]:
        overrides = mixed["LaunchTemplate"].get("Overrides") or [
            {"InstanceType": data.get("InstanceType")}
        ]
        if any("WeightedCapacity" in o for o in overrides):
            yield "instances", None, "not priced: weighted capacities are not modelled"
            return
        distribution = mixed.get("InstancesDistribution", {})
        base = _int(distribution.get("OnDemandBaseCapacity", 0)) or 0
        percent = _int(distribution.get("OnDemandPercentageAboveBaseCapacity", 100))
        percent = 100 if percent is None else percent
        types = [o.get("InstanceType") for o in overrides]
        hourly = [self.prices.instance_hour("ec2_instance_hour", t) for t in types]
        if any(h is None for h in hourly):
            missing = [t for t, h in zip(types, hourly, strict=True) if h is None]
            yield "instances", None, f"not priced: {missing} not in the table"
            return
        priced = {t: h for t, h in zip(types, hourly, strict=True) if h is not None}
        # lowest-price (the default) launches the cheapest override; prioritized the first.
        if distribution.get("OnDemandAllocationStrategy") == "prioritized":
            chosen = types[0]
        else:
            chosen = min(priced, key=lambda t: priced[t])
        rate = priced[chosen]
        above = max(minimum - base, 0)
        on_demand = min(base, minimum) + above * percent / 100
        spot = minimum - on_demand
        yield (
            "instances (On-Demand)",
            on_demand * rate * self.prices.hours,
            f"{on_demand:g} of MinSize {minimum} x {chosen} x {rate}/h{note}",
        )
        spot_rate = rate * (1 - self.prices.spot_discount)
        yield (
            "instances (Spot)",
            spot * spot_rate * self.prices.hours,
            f"{spot:g} of MinSize {minimum} x {chosen} at {rate}/h less an assumed "
            f"{self.prices.spot_discount:.0%} Spot discount",
        )

    def volumes(self, mappings: list[dict[str, Any]], count: int) -> Iterator[Row]:
        """EBS volumes of each of `count` instances."""
        for mapping in mappings:
            ebs = mapping.get("Ebs")
            if not isinstance(ebs, dict):
                continue  # instance store or NoDevice: no EBS charge
            device = mapping.get("DeviceName", "?")
            size = _int(ebs.get("VolumeSize"))
            kind = ebs.get("VolumeType", "gp2")
            if size is None:
                yield f"EBS {device}", None, "not priced: VolumeSize missing (the AMI's) or a token"
                continue
            if kind not in ("gp3", "gp2"):
                yield f"EBS {device}", None, f"not priced: volume type {kind!r} not in the table"
                continue
            price = self.prices.unit(f"ebs_{kind}_gb_month")
            monthly = count * size * price
            detail = f"{count} x {size} GB {kind} x {price}/GB-month"
            if kind == "gp3":
                iops = max((_int(ebs.get("Iops")) or 3000) - 3000, 0)
                throughput = max((_int(ebs.get("Throughput")) or 125) - 125, 0)
                monthly += count * iops * self.prices.unit("ebs_gp3_iops_month")
                monthly += count * throughput * self.prices.unit("ebs_gp3_throughput_month")
                if iops or throughput:
                    detail += f" + {iops} IOPS and {throughput} MB/s above the baseline"
            yield f"EBS {device}", monthly, detail


RULES: dict[str, Callable[[Pricer, str, dict[str, Any]], Iterator[Row]]] = {
    "AWS::EC2::NatGateway": Pricer.nat_gateway,
    "AWS::EC2::EIP": Pricer.eip,
    "AWS::EC2::VPCEndpoint": Pricer.vpc_endpoint,
    "AWS::Kinesis::Stream": Pricer.kinesis_stream,
    "AWS::MSK::Cluster": Pricer.msk_cluster,
    "AWS::MSK::ServerlessCluster": Pricer.msk_serverless,
    "AWS::KMS::Key": Pricer.kms_key,
    "AWS::KMS::ReplicaKey": Pricer.kms_key,
    "AWS::AutoScaling::AutoScalingGroup": Pricer.auto_scaling_group,
    "AWS::EC2::Instance": Pricer.ec2_instance,
    "AWS::SageMaker::Endpoint": Pricer.sagemaker_endpoint,
    "AWS::Route53::HostedZone": Pricer.route53_zone,
    "AWS::SecretsManager::Secret": Pricer.secret,
    "AWS::CloudWatch::Dashboard": Pricer.dashboard,
    "AWS::CloudWatch::Alarm": Pricer.alarm,
    "AWS::CloudWatch::CompositeAlarm": Pricer.composite_alarm,
}


def usage_only_reason(resource_type: str) -> str | None:
    """Why a type costs nothing while idle, or None when it may (or is priced by a rule)."""
    for pattern, reason in USAGE_ONLY.items():
        if fnmatch.fnmatchcase(resource_type, pattern):
            return reason
    return None


def price_stack(stack: StackTemplate, prices: PriceTable) -> list[LineItem]:
    """The line items of one stack: priced, or not priced with the reason."""
    pricer = Pricer(prices, stack.resources)
    items = []
    for logical_id, resource in stack.resources.items():
        resource_type = resource.get("Type", "?")
        rule = RULES.get(resource_type)
        if rule is not None:
            rows: Sequence[Row] = list(rule(pricer, logical_id, resource.get("Properties", {})))
        elif usage_only_reason(resource_type) is not None:
            continue
        else:
            rows = [
                ("resource", None, "not priced: no price rule for this type in ops/prices.json")
            ]
        for component, monthly, detail in rows:
            rounded = None if monthly is None else round(monthly, 4)
            items.append(
                LineItem(stack.stack_id, logical_id, resource_type, component, rounded, detail)
            )
    return items


def estimate(outdir: Path, label: str, prices: PriceTable | None = None) -> CostReport:
    """The idle cost report of the assembly in `outdir`."""
    prices = prices or PriceTable.load()
    report = CostReport(
        label=label, as_of=prices.as_of, region=prices.region, spot_discount=prices.spot_discount
    )
    for stack in read_assembly(outdir):
        report.items.extend(price_stack(stack, prices))
    report.notes.append(
        f"{prices.region} list prices as of {prices.as_of} (ops/prices.json), "
        f"{prices.hours:g} h a month, no free tier; Spot at an assumed "
        f"{prices.spot_discount:.0%} below On-Demand."
    )
    report.notes.append(
        "Auto Scaling groups are priced at MinSize; resources created at run time (the "
        "deployer's SageMaker endpoint, training jobs) are not in the templates."
    )
    return report


# -- output -----------------------------------------------------------------------------------


def _amount(item: LineItem) -> str:
    return "not priced" if item.monthly_usd is None else _money(item.monthly_usd)


def render_table(report: CostReport) -> str:
    rows = [("Stack", "Resource", "Type", "Component", "USD/month", "How")]
    rows += [
        (i.stack, i.logical_id, i.resource_type, i.component, _amount(i), i.detail)
        for i in report.items
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = [
        "  ".join(
            cell.rjust(widths[c]) if c == 4 else cell.ljust(widths[c])
            for c, cell in enumerate(row[:5])
        )
        + "  "
        + row[5]
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    for stack, total in report.stack_totals().items():
        lines.append(f"{stack:<{widths[0]}}  {_money(total):>12} / month")
    lines.append(
        f"{'Total (' + report.label + ')':<{widths[0]}}  {_money(report.total):>12} / month idle"
    )
    if report.not_priced:
        lines.append(f"{len(report.not_priced)} item(s) not priced: see 'not priced' above.")
    lines += [f"Note: {note}" for note in report.notes]
    return "\n".join(lines)


def render_markdown(report: CostReport) -> str:
    lines = [
        f"Idle cost of the `{report.label}` profile, generated by `make cost ENV={report.label}`.",
        "",
        "| Stack | Resource | Component | USD/month | How |",
        "|---|---|---|---:|---|",
    ]
    lines += [
        f"| {i.stack} | {i.logical_id} | {i.component} | {_amount(i)} | {i.detail} |"
        for i in report.items
    ]
    for stack, total in report.stack_totals().items():
        lines.append(f"| **{stack}** | | | **{_money(total)}** | |")
    lines.append(f"| **Total ({report.label})** | | | **{_money(report.total)}** | |")
    lines.append("")
    lines += [f"{note}" for note in report.notes]
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def render_summary(reports: Sequence[CostReport]) -> str:
    """One markdown table, stacks by profiles, with the totals: the README's idle-cost table."""
    labels = [report.label for report in reports]
    stacks: list[str] = []
    for report in reports:
        stacks += [stack for stack in report.stack_totals() if stack not in stacks]
    lines = [
        "| Stack | " + " | ".join(f"{label} (USD/month idle)" for label in labels) + " |",
        "| --- |" + " ---: |" * len(labels),
    ]
    for stack in stacks:
        cells = [_money(report.stack_totals().get(stack, 0.0)) for report in reports]
        lines.append(f"| {stack} | " + " | ".join(cells) + " |")
    totals = [f"**{_money(report.total)}**" for report in reports]
    lines.append("| **Total** | " + " | ".join(totals) + " |")
    unpriced = sum(len(report.not_priced) for report in reports)
    lines.append("")
    if unpriced:
        lines.append(f"{unpriced} item(s) not priced: run `make cost` for the reasons.")
    lines += reports[0].notes
    lines.append(
        "Generated by `python -m ops.cost dev=cdk.dev.out prod=cdk.prod.out --format summary`."
    )
    return "\n".join(lines)


def _assembly_argument(value: str) -> tuple[str | None, Path]:
    label, sep, folder = value.partition("=")
    return (label, Path(folder)) if sep and label else (None, Path(value))


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m ops.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "assemblies",
        nargs="+",
        type=_assembly_argument,
        metavar="[PROFILE=]ASSEMBLY",
        help="cloud assembly folder(s) (cdk.out), each optionally labelled: dev=cdk.dev.out",
    )
    parser.add_argument("--env", default=None, help="the profile's name, for one assembly")
    parser.add_argument(
        "--format", choices=("table", "markdown", "json", "summary"), default="table"
    )
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--prices", type=Path, default=PRICES_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.env is not None and len(args.assemblies) > 1:
        parser.error("--env names one assembly; label several as PROFILE=ASSEMBLY")
    try:
        prices = PriceTable.load(args.prices)
        reports = [
            estimate(folder, label or args.env or folder.name, prices)
            for label, folder in args.assemblies
        ]
    except (AssemblyError, PriceError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    fmt = "json" if args.json else args.format
    if fmt == "summary":
        print(render_summary(reports))
        return 0
    for report in reports:
        if fmt == "json":
            print(json.dumps(report.to_json(), indent=2))
        elif fmt == "markdown":
            print(render_markdown(report))
        else:
            print(render_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
