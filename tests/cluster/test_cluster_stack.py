"""ClusterStack, per profile: the properties the issue asks for, read from the synthesized
templates (the session's one synth per profile)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from platform_config import PlatformConfig, parse_profile
from spark_cluster.node_config import ClusterSettings
from tests.synthesis import Synthesized, cdk_json_context, platform_app

STACK = "ClusterStack"
AL2023_ARM64 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64"


def config_of(synthesized: Synthesized) -> PlatformConfig:
    profile = synthesized.profile
    return parse_profile(profile, cdk_json_context()["profiles"][profile])


def resources(synthesized: Synthesized, resource_type: str) -> dict[str, dict[str, Any]]:
    template = synthesized.template_json(STACK)["Resources"]
    return {k: v["Properties"] for k, v in template.items() if v["Type"] == resource_type}


def launch_templates(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    found = resources(synthesized, "AWS::EC2::LaunchTemplate")
    return {p["LaunchTemplateName"]: p["LaunchTemplateData"] for p in found.values()}


def groups(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    found = resources(synthesized, "AWS::AutoScaling::AutoScalingGroup")
    return {p["AutoScalingGroupName"]: p for p in found.values()}


def flatten(value: Any) -> str:
    """A template string with every intrinsic replaced by a placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return delimiter.join(flatten(part) for part in parts)
    if isinstance(value, dict) and "Fn::Base64" in value:
        return flatten(value["Fn::Base64"])
    return "resolved"


def user_data(synthesized: Synthesized, name: str) -> dict[str, Any]:
    text = flatten(launch_templates(synthesized)[name]["UserData"])
    header, _, body = text.partition("\n")
    assert header == "#cloud-config"
    assert "Token[" not in text
    return json.loads(body)


def test_launch_templates_are_locked_down(synthesized: Synthesized) -> None:
    config = config_of(synthesized)
    prefix = f"dataplatform-{synthesized.profile}-spark"
    templates = launch_templates(synthesized)
    # Unique per profile: CDK's default name would clash between two profiles in one account.
    assert set(templates) == {f"{prefix}-master", f"{prefix}-workers"}
    parameters = synthesized.template_json(STACK)["Parameters"]
    for data in templates.values():
        assert data["MetadataOptions"] == {
            "HttpEndpoint": "enabled",
            "HttpPutResponseHopLimit": 1,
            "HttpTokens": "required",
        }
        assert "KeyName" not in data
        assert [n["AssociatePublicIpAddress"] for n in data["NetworkInterfaces"]] == [False]
        assert data["Monitoring"] == {"Enabled": config.cluster.detailed_monitoring}
        devices = {d["DeviceName"]: d["Ebs"] for d in data["BlockDeviceMappings"]}
        assert set(devices) == {"/dev/xvda", "/dev/sdb"}
        for ebs in devices.values():
            assert ebs["VolumeType"] == "gp3"
            assert ebs["Encrypted"] is True
            assert ebs["KmsKeyId"] == {"Fn::GetAtt": ["VolumeKeyD8D75A26", "Arn"]}
        assert devices["/dev/xvda"]["VolumeSize"] == config.cluster.volumes.root_gib
        assert devices["/dev/sdb"]["VolumeSize"] == config.cluster.volumes.data_gib
        # Amazon Linux 2023 arm64 from the public SSM parameter: no lookup at synth.
        image = parameters[data["ImageId"]["Ref"]]
        assert image["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
        assert image["Default"] == AL2023_ARM64


def test_volume_key_rotates_and_lets_auto_scaling_use_it(synthesized: Synthesized) -> None:
    key = synthesized.template_json(STACK)["Resources"]["VolumeKeyD8D75A26"]["Properties"]
    assert key["EnableKeyRotation"] is True
    sids = {s.get("Sid") for s in key["KeyPolicy"]["Statement"]}
    assert {"AutoScalingEncryptsVolumes", "AutoScalingGrantsVolumesToEc2"} <= sids
    for key in resources(synthesized, "AWS::KMS::Key").values():
        assert key["EnableKeyRotation"] is True


def test_master_is_one_on_demand_instance_in_every_az(synthesized: Synthesized) -> None:
    config = config_of(synthesized)
    master = groups(synthesized)[f"dataplatform-{synthesized.profile}-spark-master"]
    # prod's is always on; dev's is started when used (make cluster-start), so idles at none.
    sizes = ("1", "1", "1") if config.cluster.master_always_on else ("0", "0", "1")
    assert (master["MinSize"], master["DesiredCapacity"], master["MaxSize"]) == sizes
    assert config.cluster.master_always_on is (synthesized.profile == "prod")
    assert "MixedInstancesPolicy" not in master
    assert len(master["VPCZoneIdentifier"]) == config.network.max_azs
    assert all("privateSubnet" in json.dumps(s) for s in master["VPCZoneIdentifier"])
    template = launch_templates(synthesized)[f"dataplatform-{synthesized.profile}-spark-master"]
    assert template["InstanceType"] == config.cluster.master_instance_type


def test_workers_mix_graviton_types_and_spot(synthesized: Synthesized) -> None:
    cluster = config_of(synthesized).cluster
    workers = groups(synthesized)[f"dataplatform-{synthesized.profile}-spark-workers"]
    capacity = (workers["MinSize"], workers["DesiredCapacity"], workers["MaxSize"])
    expected = (cluster.workers.min_capacity, cluster.workers.desired_capacity)
    assert capacity == (*map(str, expected), str(cluster.workers.max_capacity))
    assert workers["CapacityRebalance"] is True
    policy = workers["MixedInstancesPolicy"]
    overrides = [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]]
    assert overrides == cluster.worker_instance_types
    assert len({name.split(".")[0] for name in overrides}) >= 2
    assert policy["InstancesDistribution"] == {
        "OnDemandAllocationStrategy": "lowest-price",
        "OnDemandBaseCapacity": cluster.workers.on_demand_base_capacity,
        "OnDemandPercentageAboveBaseCapacity": 100 - cluster.workers.spot_percentage,
        "SpotAllocationStrategy": "price-capacity-optimized",
    }
    assert len(workers["VPCZoneIdentifier"]) == config_of(synthesized).network.max_azs


def test_dev_is_cheap_and_prod_is_sized(dev: Synthesized, prod: Synthesized) -> None:
    dev_workers = groups(dev)["dataplatform-dev-spark-workers"]
    prod_workers = groups(prod)["dataplatform-prod-spark-workers"]
    assert dev_workers["MinSize"] == "0"
    assert int(prod_workers["MinSize"]) >= 2
    evening = list(resources(dev, "AWS::AutoScaling::ScheduledAction").values())
    assert evening == [
        {
            "AutoScalingGroupName": {"Ref": "MasterGroupASG3908527C"},
            "DesiredCapacity": 0,
            "Recurrence": "0 19 * * *",
            "TimeZone": "UTC",
        },
        {
            "AutoScalingGroupName": {"Ref": "WorkersGroupASG4E50A46C"},
            "DesiredCapacity": 0,
            "MinSize": 0,
            "Recurrence": "0 19 * * *",
            "TimeZone": "UTC",
        },
    ]
    assert resources(prod, "AWS::AutoScaling::ScheduledAction") == {}


def test_termination_hook_waits_for_the_drain(synthesized: Synthesized) -> None:
    workers = config_of(synthesized).cluster.workers
    hooks = list(resources(synthesized, "AWS::AutoScaling::LifecycleHook").values())
    assert hooks == [
        {
            "AutoScalingGroupName": {"Ref": "WorkersGroupASG4E50A46C"},
            "DefaultResult": "CONTINUE",
            "HeartbeatTimeout": workers.lifecycle_hook_timeout_seconds,
            "LifecycleHookName": f"dataplatform-{synthesized.profile}-spark-worker-drain",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
        }
    ]


def test_security_groups_open_only_spark_ports_to_each_other(synthesized: Synthesized) -> None:
    ports = config_of(synthesized).cluster.ports
    groups_ = resources(synthesized, "AWS::EC2::SecurityGroup")
    for group in groups_.values():
        assert "SecurityGroupIngress" not in group  # every ingress rule names a peer group
    ingress = resources(synthesized, "AWS::EC2::SecurityGroupIngress").values()
    opened = set()
    for rule in ingress:
        assert "CidrIp" not in rule
        assert "CidrIpv6" not in rule
        assert rule["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("SecurityGroups")
        assert not rule["FromPort"] <= 22 <= rule["ToPort"]
        opened.add((rule["FromPort"], rule["ToPort"]))
    retries = ports.max_retries
    assert opened == {
        (ports.master, ports.master),
        (ports.master_ui, ports.master_ui),
        (ports.driver_ui, ports.driver_ui + retries),
        (ports.worker, ports.worker),
        (ports.worker_ui, ports.worker_ui),
        (ports.driver, ports.driver + retries),
        (ports.block_manager, ports.block_manager + retries),
    }
    egress = resources(synthesized, "AWS::EC2::SecurityGroupEgress").values()
    assert all("CidrIp" not in rule for rule in egress)
    for group in groups_.values():
        assert group["SecurityGroupEgress"] == [
            {
                "CidrIp": "0.0.0.0/0",
                "Description": "HTTPS to AWS APIs and downloads",
                "FromPort": 443,
                "IpProtocol": "tcp",
                "ToPort": 443,
            }
        ]


def test_private_zone_and_a_scoped_record_upsert(synthesized: Synthesized) -> None:
    dns = config_of(synthesized).cluster.dns
    zones = list(resources(synthesized, "AWS::Route53::HostedZone").values())
    assert len(zones) == 1
    assert zones[0]["Name"] == f"{dns.zone_name}."
    assert len(zones[0]["VPCs"]) == 1  # a private zone, on the platform's VPC
    assert resources(synthesized, "AWS::Route53::RecordSet") == {}  # the master writes it
    synthesized.template(STACK).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": "MasterRoleD0E33FFD"}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "route53:ChangeResourceRecordSets",
                            "Condition": {
                                "ForAllValues:StringEquals": {
                                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                                        f"{dns.master_record}.{dns.zone_name}"
                                    ],
                                    "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
                                    "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
                                }
                            },
                            "Effect": "Allow",
                            "Resource": Match.any_value(),
                        }
                    ]
                )
            },
        },
    )


def statements(synthesized: Synthesized, role: str) -> list[dict[str, Any]]:
    for policy in resources(synthesized, "AWS::IAM::Policy").values():
        if policy["Roles"] == [{"Ref": role}]:
            return policy["PolicyDocument"]["Statement"]
    raise AssertionError(f"no policy for {role}")


def test_roles_are_granted_least_privilege(synthesized: Synthesized) -> None:
    profile = synthesized.profile
    namespace = config_of(synthesized).cluster.metrics_namespace
    master = statements(synthesized, "MasterRoleD0E33FFD")
    workers = statements(synthesized, "WorkersRole8D2DAD04")
    for role in resources(synthesized, "AWS::IAM::Role").values():
        for policy in role.get("ManagedPolicyArns", []):
            assert "FullAccess" not in json.dumps(policy)
            assert "AmazonSSMManagedInstanceCore" in json.dumps(policy)
    metric = {s["Action"]: s for s in master if s["Action"] == "cloudwatch:PutMetricData"}
    assert metric["cloudwatch:PutMetricData"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": [namespace, f"{namespace}/Nodes"]}
    }
    lifecycle = [s for s in workers if "autoscaling:CompleteLifecycleAction" in s["Action"]]
    assert lifecycle[0]["Action"] == [
        "autoscaling:CompleteLifecycleAction",
        "autoscaling:RecordLifecycleActionHeartbeat",
    ]
    assert flatten(lifecycle[0]["Resource"]).endswith(
        f":autoScalingGroup:*:autoScalingGroupName/dataplatform-{profile}-spark-workers"
    )
    assert not any("route53" in json.dumps(s) for s in workers)
    assert not any("autoscaling:" in json.dumps(s) for s in master)
    for role_statements in (master, workers):
        text = json.dumps(role_statements)
        assert "secretsmanager:GetSecretValue" in text
        assert "PublishOutputFnGetAttStorageCuratedBucket" in text
        assert "PublishOutputFnGetAttStorageAnalyticsBucket" in text
        writes = [s for s in role_statements if "s3:PutObject" in s["Action"]]
        assert len(writes) == 1
        assert "AnalyticsBucket" in json.dumps(writes[0]["Resource"])


def test_secret_is_generated_encrypted_and_readable_by_the_nodes_only(
    synthesized: Synthesized,
) -> None:
    (secret,) = resources(synthesized, "AWS::SecretsManager::Secret").values()
    assert secret["GenerateSecretString"] == {
        "ExcludePunctuation": True,
        "IncludeSpace": False,
        "PasswordLength": 64,
    }
    assert secret["KmsKeyId"] == {"Fn::GetAtt": ["SecretKeyBCA64351", "Arn"]}
    # Reads are denied in the secret's policy; the key denies no use, because Secrets Manager
    # decrypts with the caller's own rights when CloudFormation creates the secret or an
    # operator puts a new value (a Decrypt deny in the key policy rolled the stack back).
    key = synthesized.template_json(STACK)["Resources"]["SecretKeyBCA64351"]["Properties"]
    # The one deny is every key's CT.KMS.PR.3 guard (grants for AWS resources only); nothing
    # denies the encrypt and decrypt that CloudFormation and an operator need.
    denies = [s for s in key["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"]
    assert [s["Action"] for s in denies] == ["kms:CreateGrant"]
    (policy,) = resources(synthesized, "AWS::SecretsManager::ResourcePolicy").values()
    assert policy["SecretId"] == {"Ref": "SecretA29EB826"}
    (deny,) = [s for s in policy["ResourcePolicy"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Action"] == "secretsmanager:GetSecretValue"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"] == [
        {"Fn::GetAtt": ["MasterRoleD0E33FFD", "Arn"]},
        {"Fn::GetAtt": ["WorkersRole8D2DAD04", "Arn"]},
    ]


def test_logs_are_encrypted_with_retention(synthesized: Synthesized) -> None:
    config = config_of(synthesized)
    (group,) = resources(synthesized, "AWS::Logs::LogGroup").values()
    assert group["RetentionInDays"] == config.cluster.log_retention_days
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["LogsKeyB5D1D597", "Arn"]}
    assert group["LogGroupName"] == f"/dataplatform-{synthesized.profile}/spark"


def test_workers_scale_on_the_clusters_own_metrics(synthesized: Synthesized) -> None:
    scaling = config_of(synthesized).cluster.scaling
    policies = resources(synthesized, "AWS::AutoScaling::ScalingPolicy")
    tracking = policies["ScalingCoresUsedTarget7CC3C199"]["TargetTrackingConfiguration"]
    assert tracking["TargetValue"] == scaling.target_cores_used_percent
    queries = tracking["CustomizedMetricSpecification"]["Metrics"]
    assert [q["Id"] for q in queries] == ["used", "total", "utilisation"]
    assert queries[2]["Expression"] == "100 * used / total"
    assert [q["MetricStat"]["Metric"]["MetricName"] for q in queries[:2]] == [
        "CoresUsed",
        "CoresTotal",
    ]
    step = policies["WorkersGroupWaitingAppsStepUpperPolicyB83D4A61"]
    assert step["PolicyType"] == "StepScaling"
    # Cooldown is valid for SimpleScaling only and fails deployment in some regions; CDK warns
    # that StepScalingActionProps#cooldown is deprecated on every synth even when it is unset
    # (aws/aws-cdk#37833), so this pins that the policy really carries none.
    assert "Cooldown" not in step
    assert step["StepAdjustments"][0]["ScalingAdjustment"] == scaling.workers_per_waiting_app
    synthesized.template(STACK).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "WaitingApps",
            "Namespace": "Platform/Spark",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
        },
    )


def test_alarms_go_to_the_alarm_topic(synthesized: Synthesized) -> None:
    alarms = {
        p["AlarmName"].rsplit("-spark-", 1)[1]: p
        for p in resources(synthesized, "AWS::CloudWatch::Alarm").values()
        if "AlarmName" in p
    }
    assert set(alarms) == {"workers-below-min", "master-missing", "master-not-reporting"}
    # The platform topic, AlertingStack's (tests/stacks/test_alerting.py checks every alarm's
    # target).
    (topic,) = next(iter(alarms.values()))["AlarmActions"]
    assert topic["Fn::GetStackOutput"]["StackName"].endswith("-alerting")
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
    (rule,) = resources(synthesized, "AWS::Events::Rule").values()
    assert rule["EventPattern"]["detail-type"] == ["EC2 Spot Instance Interruption Warning"]
    assert rule["Targets"][0]["Arn"] == topic


def _expression(alarm: dict[str, Any]) -> str:
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    return str(expression)


def test_master_alarms_follow_whether_the_master_is_always_on(
    dev: Synthesized, prod: Synthesized
) -> None:
    def master_alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
        return {
            p["AlarmName"].rsplit("-spark-master-", 1)[1]: p
            for p in resources(synthesized, "AWS::CloudWatch::Alarm").values()
            if "-spark-master-" in p.get("AlarmName", "")
        }

    always_on = master_alarms(prod)  # one master always: none in service, or silent, is an alarm
    assert always_on["missing"]["MetricName"] == "GroupInServiceInstances"
    assert always_on["missing"]["Threshold"] == 1
    assert always_on["not-reporting"]["MetricName"] == "CoresTotal"
    assert {a["TreatMissingData"] for a in always_on.values()} == {"breaching"}
    started = master_alarms(dev)  # started when used: only while the group asks for one
    assert _expression(started["missing"]) == "in_service - desired"
    assert (started["missing"]["ComparisonOperator"], started["missing"]["Threshold"]) == (
        "LessThanThreshold",
        0,
    )
    assert _expression(started["not-reporting"]) == "IF(desired >= 1, FILL(reports, 0), 1)"
    assert started["not-reporting"]["Threshold"] == 1
    for alarm in started.values():
        names = {
            m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m
        }
        assert "GroupDesiredCapacity" in names
        assert alarm["TreatMissingData"] == "notBreaching"


def test_user_data_bootstraps_each_role(synthesized: Synthesized) -> None:
    prefix = f"dataplatform-{synthesized.profile}-spark"
    cluster = config_of(synthesized).cluster
    for name, role in ((f"{prefix}-master", "master"), (f"{prefix}-workers", "worker")):
        document = user_data(synthesized, name)
        files = {f["path"]: f for f in document["write_files"]}
        assert document["runcmd"] == [["/usr/local/sbin/spark-bootstrap"]]
        env = files["/etc/spark-cluster/bootstrap.env"]["content"]
        assert f"ROLE='{role}'" in env
        assert f"SPARK_URL='{cluster.distribution.spark.url}'" in env
        assert "CORRETTO_VERSION='17'" in env
        boot = json.loads(files["/etc/spark-cluster/boot.json"]["content"])
        assert boot["master_host"] == f"{cluster.dns.master_record}.{cluster.dns.zone_name}"
        # The settings the stack writes are exactly what the node needs (plus the secret).
        ClusterSettings(auth_secret="x" * 64, **boot["settings"])
        assert boot["settings"]["lifecycle_hook_name"] == f"{prefix}-worker-drain"
        agent = json.loads(files["/etc/spark-cluster/cloudwatch-agent.json"]["content"])
        assert agent["metrics"]["namespace"] == f"{cluster.metrics_namespace}/Nodes"
        assert len(flatten(launch_templates(synthesized)[name]["UserData"])) < 16 * 1024


def test_cluster_off_leaves_the_stack_out(tmp_path: object) -> None:
    context = cdk_json_context()
    context["profiles"]["dev"]["cluster"]["enabled"] = False
    app = platform_app.create_app(context={**context, "env": "dev"}, outdir=str(tmp_path))
    platform_app.build(app)
    assert app.node.try_find_child(STACK) is None
    assert app.node.try_find_child("MlStack") is not None


@pytest.mark.parametrize("output", ["MasterHost", "HostedZoneId", "SecretArn", "WorkerGroupName"])
def test_outputs_for_operators_and_the_emulator(synthesized: Synthesized, output: str) -> None:
    assert output in synthesized.template_json(STACK)["Outputs"]


def group_resources(synthesized: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """Group name -> (logical ID, the whole resource: its policies as well as its Properties)."""
    template = synthesized.template_json(STACK)["Resources"]
    return {
        resource["Properties"]["AutoScalingGroupName"]: (logical_id, resource)
        for logical_id, resource in template.items()
        if resource["Type"] == "AWS::AutoScaling::AutoScalingGroup"
    }


def _joined_parts_after(value: Any, text: str) -> Any:
    """In a Fn::Join of the user data, the part that follows the string part ending in `text`."""
    parts = value["Fn::Base64"]["Fn::Join"][1]
    for index, part in enumerate(parts):
        if isinstance(part, str) and part.endswith(text):
            return parts[index + 1]
    raise AssertionError(f"no part ends with {text!r}")


def test_deployments_wait_for_the_nodes_boot_signals(synthesized: Synthesized) -> None:
    prefix = f"dataplatform-{synthesized.profile}-spark"
    cluster_config = config_of(synthesized).cluster
    workers_config = cluster_config.workers
    groups_by_name = group_resources(synthesized)
    for name, minimum in (
        # A master started when used (dev) has none at creation.
        (f"{prefix}-master", 1 if cluster_config.master_always_on else 0),
        (f"{prefix}-workers", workers_config.min_capacity),
    ):
        _, group = groups_by_name[name]
        if minimum == 0:
            # Nothing is sure to launch at creation: nothing to wait for (BootSignals' docs).
            assert "CreationPolicy" not in group
        else:
            assert group["CreationPolicy"] == {
                "ResourceSignal": {"Count": minimum, "Timeout": "PT20M"}
            }
            assert int(group["Properties"]["MinSize"]) == minimum
        rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
        assert rolling["WaitOnResourceSignals"] is True
        assert rolling["PauseTime"] == "PT20M"
        assert rolling["MinInstancesInService"] < int(group["Properties"]["MaxSize"])
        # Scheduled actions and scaling policies keep managing the size between deployments.
        assert group["UpdatePolicy"]["AutoScalingScheduledAction"] == {
            "IgnoreUnmodifiedGroupSizeProperties": True
        }
    master_update = groups_by_name[f"{prefix}-master"][1]["UpdatePolicy"]
    assert master_update["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1
    assert master_update["AutoScalingRollingUpdate"]["MinInstancesInService"] == 0


def test_each_node_signals_its_own_group_of_this_stack(synthesized: Synthesized) -> None:
    prefix = f"dataplatform-{synthesized.profile}-spark"
    groups_by_name = group_resources(synthesized)
    for name in (f"{prefix}-master", f"{prefix}-workers"):
        logical_id, _ = groups_by_name[name]
        raw = launch_templates(synthesized)[name]["UserData"]
        assert _joined_parts_after(raw, "SIGNAL_STACK='") == {"Ref": "AWS::StackName"}
        assert _joined_parts_after(raw, "SIGNAL_REGION='") == {"Ref": "AWS::Region"}
        document = user_data(synthesized, name)
        env = {f["path"]: f for f in document["write_files"]}["/etc/spark-cluster/bootstrap.env"]
        assert f"SIGNAL_RESOURCE='{logical_id}'\n" in env["content"]
        assert "READY_TIMEOUT='600'\n" in env["content"]


def test_nodes_may_signal_this_stack_only(synthesized: Synthesized) -> None:
    for role in ("MasterRoleD0E33FFD", "WorkersRole8D2DAD04"):
        signal = [s for s in statements(synthesized, role) if "SignalResource" in json.dumps(s)]
        # cfn-signal needs no credentials, but `aws cloudformation signal-resource` signs with
        # the instance role: SignalResource on the stack resource type, this stack's ARN.
        assert signal == [
            {
                "Action": "cloudformation:SignalResource",
                "Effect": "Allow",
                "Resource": {"Ref": "AWS::StackId"},
            }
        ]
