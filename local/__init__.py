"""What runs only on a workstation: `make up`'s stack (DynamoDB Local, moto, the pollers and
runners that stand in for Lambda's event source mappings), the local API adapter and its
token issuer. Nothing here ships to Lambda."""
