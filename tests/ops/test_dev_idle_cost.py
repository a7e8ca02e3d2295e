"""The dev profile is cheap to leave deployed (issue 23): under $50 a month idle, by ops.cost on
the synthesized dev templates, with every billable resource priced; prod keeps its production
sizing (NAT gateways, an always-on master)."""

from __future__ import annotations

from ops.cost import estimate
from tests.synthesis import Synthesized

DEV_IDLE_BUDGET_USD = 50.0


def test_dev_idles_under_fifty_dollars_a_month(dev: Synthesized) -> None:
    report = estimate(dev.outdir, "dev")
    assert report.not_priced == [], [(i.logical_id, i.detail) for i in report.not_priced]
    assert report.total < DEV_IDLE_BUDGET_USD, report.stack_totals()


def test_dev_pays_for_a_nat_instance_one_shard_and_no_idle_master(dev: Synthesized) -> None:
    items = estimate(dev.outdir, "dev").items
    types = {i.resource_type for i in items}
    assert "AWS::EC2::NatGateway" not in types
    assert "AWS::EC2::EIP" not in types
    nat = {i.component: i.monthly_usd for i in items if i.resource_type == "AWS::EC2::Instance"}
    assert set(nat) == {"instance-hours", "public IPv4", "EBS /dev/xvda"}
    assert sum(v or 0 for v in nat.values()) < 10
    (stream,) = [i for i in items if i.resource_type == "AWS::Kinesis::Stream"]
    assert (stream.component, stream.detail) == ("shard-hours", "1 shards x 0.015/h")
    master = [i for i in items if i.logical_id.startswith("MasterGroupASG")]
    assert master
    assert all(i.monthly_usd == 0 for i in master)


def test_prod_keeps_nat_gateways_and_an_always_on_master(prod: Synthesized) -> None:
    items = estimate(prod.outdir, "prod").items
    gateways = [i for i in items if i.resource_type == "AWS::EC2::NatGateway"]
    assert len(gateways) == 3
    assert not [i for i in items if i.resource_type == "AWS::EC2::Instance"]
    master = [i for i in items if i.logical_id.startswith("MasterGroupASG")]
    assert sum(i.monthly_usd or 0 for i in master) > 100
