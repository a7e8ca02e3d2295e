"""The lifecycle agent against a fake IMDSv2 (a real HTTP server in a thread) and moto.

moto's Auto Scaling comes with moto_cfn_models' lifecycle-action patches, so a scale-in holds
the instance in Terminating:Wait until the agent completes the action. Clocks: the agent's
monotonic clock and sleep are fakes; moto's wall clock is pinned with time_machine.
"""

from __future__ import annotations

import datetime as dt
import signal

import boto3
import pytest
import time_machine
from moto import mock_aws

import moto_cfn_models
from spark_cluster import lifecycle_agent as agent_module
from spark_cluster.imds import (
    INSTANCE_ID,
    SPOT_INSTANCE_ACTION,
    TARGET_LIFECYCLE_STATE,
    ImdsClient,
    ImdsError,
    LocalImds,
)
from spark_cluster.lifecycle_agent import (
    SCALE_IN,
    SPOT_INTERRUPTION,
    AgentConfig,
    AgentConfigError,
    LifecycleAgent,
)

T0 = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
GROUP = "spark-workers"
HOOK = "drain-worker"
WORKER_PID = 4242


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeWorker:
    """Executors that exit a few polls after SIGPWR; the JVM exits on SIGTERM."""

    def __init__(self, executors=("app-1/0", "app-1/1"), polls_to_drain=3):
        self.running = list(executors)
        self.polls_to_drain = polls_to_drain
        self.signals = []
        self.jvm_alive = True

    def send_signal(self, pid, signum):
        assert pid == WORKER_PID
        self.signals.append(signum)
        if signum in (signal.SIGTERM, signal.SIGKILL):
            self.jvm_alive = False

    def executors(self, pid):
        if signal.SIGPWR in self.signals:
            if self.polls_to_drain == 0:
                self.running = []
            self.polls_to_drain -= 1
        return list(self.running)

    def state_at_master(self):
        return "DECOMMISSIONED" if signal.SIGPWR in self.signals else "ALIVE"

    def alive(self, pid):
        return self.jvm_alive


@pytest.fixture
def aws(aws_credentials):
    with time_machine.travel(T0, tick=False), mock_aws():
        moto_cfn_models.register()
        yield boto3.client("autoscaling", region_name="us-east-1")


def _group_with_hook(autoscaling, *, desired=2, timeout=300):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")
    template = ec2.create_launch_template(
        LaunchTemplateName="workers",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "m7g.large"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=GROUP,
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=desired,
        LaunchTemplate={"LaunchTemplateId": template},
        VPCZoneIdentifier=subnet["Subnet"]["SubnetId"],
    )
    autoscaling.put_lifecycle_hook(
        LifecycleHookName=HOOK,
        AutoScalingGroupName=GROUP,
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=timeout,
        DefaultResult="CONTINUE",
    )


def _states(autoscaling):
    instances = autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"]
    return {i["InstanceId"]: i["LifecycleState"] for i in instances}


def _config(imds_url, **overrides):
    values = {
        "group_name": GROUP,
        "hook_name": HOOK,
        "worker_ui_url": "http://127.0.0.1:9",
        "hook_timeout_s": 30,
        "drain_timeout_s": 120,
        "imds_url": imds_url,
    }
    values.update(overrides)
    return AgentConfig(**values)


def _agent(config, autoscaling, worker, clock):
    return LifecycleAgent(
        config,
        imds=ImdsClient(config.imds_url, timeout_s=2),
        autoscaling=autoscaling,
        worker_pid=lambda: WORKER_PID,
        status=worker,
        send_signal=worker.send_signal,
        alive=worker.alive,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


def test_terminated_drains_heartbeats_and_completes(aws):
    _group_with_hook(aws)
    aws.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
    (leaving,) = [i for i, s in _states(aws).items() if s == "Terminating:Wait"]
    clock = FakeClock()
    # Executors take 25 one-second polls to drain: past the 10 s heartbeat interval twice.
    worker = FakeWorker(polls_to_drain=25)
    heartbeats = []
    moto_heartbeat = aws.record_lifecycle_action_heartbeat

    def heartbeat(**kwargs):
        heartbeats.append(kwargs)
        return moto_heartbeat(**kwargs)

    aws.record_lifecycle_action_heartbeat = heartbeat
    answers = {INSTANCE_ID: leaving, TARGET_LIFECYCLE_STATE: "InService"}
    with LocalImds(answers) as imds:
        agent = _agent(_config(imds.url), aws, worker, clock)
        assert agent.run(max_polls=2) is None  # InService: nothing happens
        assert worker.signals == []
        imds.set(TARGET_LIFECYCLE_STATE, "Terminated")
        report = agent.run(max_polls=1)

    assert report.reason == SCALE_IN
    assert worker.signals == [signal.SIGPWR, signal.SIGTERM]
    assert report.executors_at_signal == ["app-1/0", "app-1/1"]
    assert report.drain_s == pytest.approx(25.0)
    assert not report.timed_out
    assert report.heartbeats == 2 == len(heartbeats)
    assert heartbeats[0] == {
        "LifecycleHookName": HOOK,
        "AutoScalingGroupName": GROUP,
        "InstanceId": leaving,
    }
    assert report.master_state == "DECOMMISSIONED"
    assert report.worker_stopped
    assert report.lifecycle_completed
    assert leaving not in _states(aws)  # CONTINUE: Auto Scaling terminated it
    ec2 = boto3.client("ec2", region_name="us-east-1")
    state = ec2.describe_instances(InstanceIds=[leaving])["Reservations"][0]["Instances"][0]
    assert state["State"]["Name"] in ("shutting-down", "terminated")


def test_imds_v2_handshake_is_used(aws):
    with LocalImds({TARGET_LIFECYCLE_STATE: "InService"}) as imds:
        client = ImdsClient(imds.url)
        assert client.target_lifecycle_state() == "InService"
        assert client.spot_instance_action() is None  # 404: no notice
        assert client.spot_instance_action() is None
    assert imds.requests[0] == ("PUT", "/latest/api/token")
    assert [r for r in imds.requests if r[0] == "PUT"] == [("PUT", "/latest/api/token")]


def test_spot_notice_drains_at_once_then_completes_when_terminated(aws):
    _group_with_hook(aws)
    instance = next(iter(_states(aws)))
    clock = FakeClock()
    worker = FakeWorker(polls_to_drain=2)
    notice = '{"action": "terminate", "time": "2031-03-04T05:08:07Z"}'
    answers = {INSTANCE_ID: instance, TARGET_LIFECYCLE_STATE: "InService"}
    with LocalImds(answers) as imds:
        agent = _agent(_config(imds.url), aws, worker, clock)
        imds.set(SPOT_INSTANCE_ACTION, notice)
        report = agent.run(max_polls=2)
        assert report.reason == SPOT_INTERRUPTION
        assert worker.signals == [signal.SIGPWR, signal.SIGTERM]  # drained once, not twice
        assert not report.lifecycle_completed
        assert report.heartbeats == 0
        # Auto Scaling now terminates the interrupted instance: the hook holds it.
        aws.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
        (leaving,) = [i for i, s in _states(aws).items() if s == "Terminating:Wait"]
        imds.set(INSTANCE_ID, leaving)
        agent._instance_id = None
        imds.set(TARGET_LIFECYCLE_STATE, "Terminated")
        assert agent.run(max_polls=1).lifecycle_completed
    assert worker.signals == [signal.SIGPWR, signal.SIGTERM, signal.SIGPWR, signal.SIGTERM]


def test_spot_drain_is_bounded_by_the_notice(aws):
    clock = FakeClock()
    worker = FakeWorker(polls_to_drain=10_000)
    with LocalImds({SPOT_INSTANCE_ACTION: '{"action": "stop"}'}) as imds:
        agent = _agent(_config(imds.url), aws, worker, clock)
        report = agent.drain(SPOT_INTERRUPTION)
    assert report.timed_out
    assert report.drain_s == pytest.approx(agent_module.SPOT_DRAIN_LIMIT_S)
    assert worker.signals == [signal.SIGPWR, signal.SIGTERM]


def test_worker_ignoring_sigterm_is_killed(aws):
    clock = FakeClock()
    worker = FakeWorker(polls_to_drain=0)
    worker.send_signal = lambda pid, signum: worker.signals.append(signum)  # never exits
    with LocalImds({}) as imds:
        agent = _agent(_config(imds.url, stop_grace_s=5), aws, worker, clock)
        assert not agent.stop_worker(WORKER_PID)
    assert worker.signals == [signal.SIGTERM, signal.SIGKILL]


def test_token_failure_is_reported_and_retried(aws, caplog):
    clock = FakeClock()
    worker = FakeWorker()
    with LocalImds({TARGET_LIFECYCLE_STATE: "Terminated"}, refuse_tokens=True) as imds:
        agent = _agent(_config(imds.url), aws, worker, clock)
        with pytest.raises(ImdsError, match=r"IMDSv2 token request \(PUT .*/latest/api/token\)"):
            agent.poll()
        assert agent.run(max_polls=3) is None
    assert worker.signals == []  # nothing is drained on a guess
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 3
    assert "hop limit" in errors[0]
    assert clock.sleeps == [5.0, 5.0, 5.0]


def test_v1_style_get_without_token_is_refused():
    with LocalImds({TARGET_LIFECYCLE_STATE: "InService"}) as imds:
        client = ImdsClient(imds.url)
        client._token = "stale"  # IMDS answers 401: the client fetches a new token once
        assert client.target_lifecycle_state() == "InService"


def test_complete_failure_is_logged_not_raised(aws, caplog):
    _group_with_hook(aws)
    instance = next(iter(_states(aws)))  # InService: no action to complete
    with LocalImds({INSTANCE_ID: instance}) as imds:
        agent = _agent(_config(imds.url), aws, FakeWorker(), FakeClock())
        assert not agent.complete()
    assert "No active Lifecycle Action" in caplog.text


def test_config_from_cluster_env():
    env = {
        "SPARK_WORKER_GROUP_NAME": GROUP,
        "SPARK_LIFECYCLE_HOOK_NAME": HOOK,
        "SPARK_LIFECYCLE_HOOK_TIMEOUT_SECONDS": "900",
        "SPARK_DECOMMISSION_TIMEOUT_SECONDS": "600",
        "SPARK_WORKER_UI_URL": "http://10.0.1.5:8081",
        "SPARK_MASTER_UI_URL": "http://master.spark.internal:8080",
        "AWS_REGION": "eu-west-1",
    }
    config = AgentConfig.from_environment(env)
    assert config.heartbeat_interval_s == 300
    assert config.drain_limit_s == 630
    assert config.poll_interval_s == 5.0
    assert config.region == "eu-west-1"
    assert config.imds_url == "http://169.254.169.254"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SPARK_WORKER_GROUP_NAME": ""}, "SPARK_WORKER_GROUP_NAME: empty"),
        ({"SPARK_LIFECYCLE_HOOK_TIMEOUT_SECONDS": "10"}, "got 10; allowed: 30-7200"),
        ({"SPARK_AGENT_POLL_SECONDS": "soon"}, "SPARK_AGENT_POLL_SECONDS: got 'soon'"),
    ],
)
def test_bad_config_is_one_line(changes, message, capsys):
    env = {"SPARK_WORKER_GROUP_NAME": GROUP, "SPARK_LIFECYCLE_HOOK_NAME": HOOK, **changes}
    with pytest.raises(AgentConfigError, match=message):
        AgentConfig.from_environment(env)
    assert agent_module.main([], env=env) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message.split(":")[0] in err
