"""The JSON API (/api/v1): its blueprints, what they share, and the OpenAPI document."""
