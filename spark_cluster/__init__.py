"""The Spark standalone cluster's node-side code: pure Python, no aws_cdk import.

`node_config` renders each node's Spark configuration and systemd units (on EC2 at boot, and
locally for the emulated cluster); `user_data` renders the cloud-init that runs it (at synth).
The whole package is shipped to the instances as a CDK S3 asset.
"""
