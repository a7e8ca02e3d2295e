"""SageMaker pipeline definitions as typed Python, rendered to the 2020-12-01 JSON schema.

Pure Python with no AWS CDK import: `definition` is the generic model (parameters, steps,
properties, functions), `training` builds this platform's training pipeline from it. The CDK
construct (constructs/ml/training_pipeline.py) passes CDK tokens in as plain strings and resolves
them when it writes the body into the template.
"""
