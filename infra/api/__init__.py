"""The HTTP API: Powertools REST resolver, request and response models, the seat map page."""
