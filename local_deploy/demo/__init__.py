"""``make demo-local`` (``python -m local_deploy demo``): the whole platform's story in one run.

deploy -> produce sessions (a malformed share) -> deliver (Firehose played locally) -> Glue ETL
-> training export UNLOAD through the Athena API -> SageMaker pipeline -> approve -> invoke the
endpoint with held-out rows -> query the captured requests back with SQL through Athena.

Each stage reuses the piece that ``python -m local_deploy`` already runs on its own (``up``,
``deliver``, ``run-job``, ``run-pipeline``, ``approve``) and talks to the emulator through the
same AWS APIs any client uses. The counts a stage reports are checked, not only printed: a
stage whose identity does not hold fails the demo, naming the stage and the reason.

Modules: ``stages`` (the nine stages and their checks), ``display`` (rich progress on a
terminal, plain lines elsewhere, and the summary table), ``runner`` (order, timing, the stages'
own output sent to a log file), ``cli`` (arguments).
"""
