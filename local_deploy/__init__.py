"""Deploy the CDK app into a local moto server with the real CDK CLI; see README.md."""
