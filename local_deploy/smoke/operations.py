"""OperationsStack: the platform dashboard exists and shows every stack's moving parts."""

from __future__ import annotations

from local_deploy.smoke import Check, SmokeContext, expect

STACK_ID = "OperationsStack"


def dashboard_shows_every_part(ctx: SmokeContext) -> str:
    names = ctx.physical_ids("AWS::CloudWatch::Dashboard")
    expect(len(names) == 1, f"expected one dashboard in {ctx.stack_name}, found {names}")
    body = ctx.client("cloudwatch").get_dashboard(DashboardName=names[0])["DashboardBody"]
    prefix = ctx.config.name_prefix
    wanted = {
        "Kinesis stream": f"{prefix}-events",
        "Firehose delivery": f"{prefix}-events-from-kinesis",
        "Glue job": f"{prefix}-events-curation",
        "SageMaker endpoint": "AWS/SageMaker",
        "Lambda": "AWS/Lambda",
    }
    if ctx.config.cluster.enabled:
        wanted["Spark metrics"] = ctx.config.cluster.metrics_namespace
        wanted["Auto Scaling"] = "AWS/AutoScaling"
    missing = sorted(part for part, text in wanted.items() if text not in body)
    expect(not missing, f"dashboard {names[0]} does not show {missing}")
    return f"dashboard {names[0]}: {', '.join(sorted(wanted))}"


CHECKS: list[Check] = [dashboard_shows_every_part]
