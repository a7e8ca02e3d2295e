"""Network constructs: the platform VPC and its security groups."""
