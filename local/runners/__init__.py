"""Local stand-ins for Lambda event source mappings (DynamoDB stream, SQS).

Each runner reads its source with the ordinary boto3 API, builds the event exactly as Lambda
would, calls the same ``handler(event, context)`` that runs in AWS, and honours its partial
batch response as Lambda does.
"""
