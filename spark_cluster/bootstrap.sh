#!/bin/bash
# Boots one Spark standalone node on Amazon Linux 2023. cloud-init runs it once, as root, after
# writing /etc/spark-cluster/bootstrap.env, boot.json and cloudwatch-agent.json (see
# spark_cluster/user_data.py). It fails closed: any error stops the boot before Spark starts,
# and the output is in /var/log/cloud-init-output.log (shipped to CloudWatch Logs: the agent
# starts right after the packages are installed).
#
# It ends by signalling the node's Auto Scaling group (SignalResource, with the instance role):
# SUCCESS once the node is up (spark_cluster.boot_check: the master ALIVE, a worker registered
# with it), FAILURE on any error or exit before that. The group's CreationPolicy (and its
# rolling update) waits for these, so a node that does not boot fails the deployment. The API
# takes no reason: the reason is the "FAILED:" line of this log.
set -Eeuo pipefail

readonly ETC=${SPARK_BOOTSTRAP_ETC:-/etc/spark-cluster} # tests point it elsewhere
# shellcheck source=/dev/null
. "$ETC/bootstrap.env"

log() { echo "spark-bootstrap: $*"; }
reason=""
fail() {
  reason=$*
  exit 1
}

imds() {
  local token
  token=$(curl --fail --silent --show-error --max-time 5 --request PUT \
    --header "X-aws-ec2-metadata-token-ttl-seconds: 300" \
    "http://169.254.169.254/latest/api/token")
  curl --fail --silent --show-error --max-time 5 \
    --header "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$1"
}

# signal STATUS: SUCCESS or FAILURE to the group's waiting stack operation. Outside one (a
# scale-out, or a group whose creation waits for nothing) CloudFormation refuses it: logged.
signal() {
  [ -n "$SIGNAL_RESOURCE" ] || return 0
  local instance
  instance=$(imds meta-data/instance-id) || instance=unknown-instance
  if aws cloudformation signal-resource --region "$SIGNAL_REGION" \
    --stack-name "$SIGNAL_STACK" --logical-resource-id "$SIGNAL_RESOURCE" \
    --unique-id "$instance" --status "$1" >/dev/null; then
    log "signalled $1 to $SIGNAL_RESOURCE of $SIGNAL_STACK"
  else
    log "CloudFormation did not take the $1 signal (no stack operation waits for it)"
  fi
}

download=$(mktemp -d)
signalled=""
# An ERR trap names the command that failed; the EXIT trap signals FAILURE on any early exit,
# including `set -u` errors and fail(), which ERR does not see.
trap 'reason="line $LINENO: \`$BASH_COMMAND\` exited with status $?"' ERR
finish() {
  local status=$?
  rm -rf "$download"
  if [ "$status" -ne 0 ] && [ -z "$signalled" ]; then
    echo "spark-bootstrap: FAILED: ${reason:-exit status $status}" >&2
    signal FAILURE || true
  fi
}
trap finish EXIT

# fetch URL DEST: https (TLS only, no redirects to plain http) or s3:// (the instance role).
fetch() {
  case "$1" in
    s3://*) aws s3 cp --only-show-errors "$1" "$2" ;;
    https://*) curl --fail --silent --show-error --location --proto '=https' --retry 5 \
      --output "$2" "$1" ;;
    *) fail "unsupported URL scheme: $1" ;;
  esac
}

# verify EXPECTED_SHA512 FILE: a missing digest is an error, never a skipped check.
verify() {
  if [ -z "$1" ]; then
    fail "no SHA-512 pinned for $2: set cluster.distribution.*.sha512 in cdk.json"
  fi
  echo "$1  $2" | sha512sum --check --strict --quiet || fail "SHA-512 mismatch for $2"
}

log "installing Amazon Corretto $CORRETTO_VERSION, the CloudWatch agent and boto3"
dnf install --assumeyes --quiet "java-$CORRETTO_VERSION-amazon-corretto-headless" \
  amazon-cloudwatch-agent python3-boto3 unzip

log "starting the CloudWatch agent (ships this boot's log from here on)"
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
  -c "file:$ETC/cloudwatch-agent.json"

if ! id spark >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$WORK_DIR" --shell /sbin/nologin spark
fi

log "mounting the data volume at /data"
for _ in $(seq 1 60); do
  [ -b "$DATA_DEVICE" ] && break
  sleep 2
done
[ -b "$DATA_DEVICE" ] || fail "data volume $DATA_DEVICE did not appear"
if ! blkid "$DATA_DEVICE" >/dev/null 2>&1; then
  mkfs.xfs -q "$DATA_DEVICE"
fi
mkdir -p /data
if ! grep -q " /data " /etc/fstab; then
  echo "$DATA_DEVICE /data xfs defaults,nofail,noatime 0 2" >>/etc/fstab
fi
mountpoint -q /data || mount /data

log "installing Spark $SPARK_VERSION"
fetch "$SPARK_URL" "$download/spark.tgz"
verify "$SPARK_SHA512" "$download/spark.tgz"
mkdir -p "/opt/spark-$SPARK_VERSION"
tar --extract --gzip --file "$download/spark.tgz" --strip-components 1 \
  --directory "/opt/spark-$SPARK_VERSION" --no-same-owner
ln -sfn "/opt/spark-$SPARK_VERSION" "$SPARK_HOME"
for jar in hadoop-aws aws-java-sdk-bundle; do
  if [ "$jar" = hadoop-aws ]; then
    url=$HADOOP_AWS_URL sha=$HADOOP_AWS_SHA512
  else
    url=$AWS_SDK_BUNDLE_URL sha=$AWS_SDK_BUNDLE_SHA512
  fi
  fetch "$url" "$download/$jar.jar"
  verify "$sha" "$download/$jar.jar"
  install -m 0644 "$download/$jar.jar" "$SPARK_HOME/jars/$jar.jar"
done

log "installing the spark_cluster package"
fetch "$PACKAGE_URL" "$download/spark_cluster.zip"
rm -rf "$PACKAGE_DIR/spark_cluster"
mkdir -p "$PACKAGE_DIR/spark_cluster"
unzip -q -o "$download/spark_cluster.zip" -d "$PACKAGE_DIR/spark_cluster"

mkdir -p "$WORK_DIR/local" "$WORK_DIR/worker" "$LOG_DIR" "$CONF_DIR"
chown -R spark:spark "$WORK_DIR" "$LOG_DIR"
chmod 0750 "$WORK_DIR" "$LOG_DIR"

if [ "$ROLE" = master ]; then
  address=$(imds meta-data/local-ipv4)
  log "pointing $MASTER_HOST at $address"
  change=$(printf '{"Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"%s","Type":"A","TTL":%s,"ResourceRecords":[{"Value":"%s"}]}}]}' \
    "$MASTER_HOST" "$RECORD_TTL" "$address")
  aws route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" \
    --change-batch "$change" >/dev/null
  # The History Server needs its log directory to exist; S3 has none until an object marks it.
  aws s3api put-object --bucket "$EVENT_LOG_BUCKET" --key "$EVENT_LOG_KEY" >/dev/null
fi

log "rendering the Spark configuration and units"
PYTHONPATH="$PACKAGE_DIR" python3 -m spark_cluster.node_config --role "$ROLE" \
  --boot-config "$ETC/boot.json"
chown -R spark:spark "$CONF_DIR"

log "starting $UNITS"
systemctl daemon-reload
read -r -a unit_names <<<"$UNITS"
systemctl enable --now "${unit_names[@]}"

log "waiting until the $ROLE is up (at most $READY_TIMEOUT s)"
if ! ready=$(PYTHONPATH="$PACKAGE_DIR" python3 -m spark_cluster.boot_check --role "$ROLE" \
  --env-file "$CONF_DIR/cluster.env" --timeout-seconds "$READY_TIMEOUT" 2>&1); then
  fail "$ready"
fi
log "$ready"
signalled=SUCCESS
signal SUCCESS
log "done"
