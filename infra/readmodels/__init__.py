"""Read models in DynamoDB: views kept exact by log position, and the queries that read them."""
