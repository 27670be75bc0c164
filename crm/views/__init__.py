"""Blueprints: thin controllers that check permission, call a service and render."""
