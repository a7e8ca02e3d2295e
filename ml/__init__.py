"""SageMaker training code: scripts run inside the AWS SageMaker XGBoost framework container.

The scripts import their siblings by plain module name (``import dataset``) because SageMaker
copies this folder flat into /opt/ml/code and runs ``python <script>.py``. Only the plain-data
modules ``container`` and ``contract`` are meant to be imported as ``ml.<module>`` (by the CDK app).
"""
