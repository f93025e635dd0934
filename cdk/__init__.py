"""The AWS stack (CDK v2): the same tables, rules and handlers the local stack runs.

`python -m cdk.app` is the CDK app; `make synth` / `make deploy` drive it. One construct per
concern: storage, indexer, stream forwarder, bus, rule consumers, API, firewall, alarms.
"""
