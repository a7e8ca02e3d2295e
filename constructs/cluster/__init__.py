"""The self-managed Spark cluster: node groups, their security groups, the master's private DNS
name, the shared secret, scaling on the cluster's own metrics, and its alarms."""
