"""ML constructs: the SageMaker training pipeline, model serving, the endpoint and its deployer."""
