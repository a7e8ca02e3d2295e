"""SparkSecurityGroups: the master's and the workers' security groups, open to each other on
Spark's pinned ports only."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2

from constructs import Construct


@dataclass(frozen=True)
class SparkPorts:
    """Spark's pinned ports. Driver and block-manager ports are ranges of `max_retries + 1`."""

    master: int
    master_ui: int
    worker: int
    worker_ui: int
    block_manager: int
    driver: int
    driver_ui: int
    max_retries: int

    def driver_range(self) -> ec2.Port:
        return ec2.Port.tcp_range(self.driver, self.driver + self.max_retries)

    def driver_ui_range(self) -> ec2.Port:
        return ec2.Port.tcp_range(self.driver_ui, self.driver_ui + self.max_retries)

    def block_manager_range(self) -> ec2.Port:
        return ec2.Port.tcp_range(self.block_manager, self.block_manager + self.max_retries)


class SparkSecurityGroups(Construct):
    """Two security groups with no ingress from anywhere but each other, and no port 22:

    - master <- workers: the master RPC port, the master UI (its JSON status, read by the
      workers' drain agent), and the driver and block-manager ranges (drivers submitted on
      the master, in client mode, talk to their executors both ways);
    - workers <- master: the worker RPC port, the worker UI and the driver UI range (the
      master's UI proxies them), the driver and block-manager ranges;
    - workers <- workers: the driver and block-manager ranges (shuffle, block migration during
      decommissioning, drivers in cluster mode).

    Egress is HTTPS anywhere (AWS APIs through NAT or endpoints, package and artifact
    downloads) and the same Spark ports to the other group. Nothing reaches a UI from outside:
    use SSM port forwarding, which arrives on the instance itself.

    Props:
        vpc: where the groups live.
        ports: Spark's pinned ports (see SparkPorts).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, ports: SparkPorts
    ) -> None:
        super().__init__(scope, construct_id)
        self.master = ec2.SecurityGroup(
            self,
            "Master",
            vpc=vpc,
            description="Spark master: Spark ports from the workers only",
            allow_all_outbound=False,
        )
        self.workers = ec2.SecurityGroup(
            self,
            "Workers",
            vpc=vpc,
            description="Spark workers: Spark ports from the master and other workers only",
            allow_all_outbound=False,
        )
        https = ec2.Port.tcp(443)
        for group in (self.master, self.workers):
            group.add_egress_rule(ec2.Peer.any_ipv4(), https, "HTTPS to AWS APIs and downloads")

        def allow(
            source: ec2.SecurityGroup, target: ec2.SecurityGroup, port: ec2.Port, why: str
        ) -> None:
            target.add_ingress_rule(source, port, why)
            source.add_egress_rule(target, port, why)

        workers, master = self.workers, self.master
        allow(workers, master, ec2.Port.tcp(ports.master), "Workers register with the master")
        allow(workers, master, ec2.Port.tcp(ports.master_ui), "Workers read the master status")
        allow(workers, master, ports.driver_range(), "Executors to drivers on the master")
        allow(workers, master, ports.block_manager_range(), "Executors to the driver blocks")
        allow(master, workers, ec2.Port.tcp(ports.worker), "Master to worker RPC")
        allow(master, workers, ec2.Port.tcp(ports.worker_ui), "Master UI proxies worker UIs")
        allow(master, workers, ports.driver_ui_range(), "Master UI proxies driver UIs")
        allow(master, workers, ports.driver_range(), "Drivers on the master to executors")
        allow(master, workers, ports.block_manager_range(), "Drivers fetch executor blocks")
        workers.add_ingress_rule(workers, ports.block_manager_range(), "Shuffle and migration")
        workers.add_ingress_rule(workers, ports.driver_range(), "Drivers in cluster mode")
        workers.add_egress_rule(workers, ports.block_manager_range(), "Shuffle and migration")
        workers.add_egress_rule(workers, ports.driver_range(), "Drivers in cluster mode")
