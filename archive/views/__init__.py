"""Blueprints: thin views that call services and the search bridge."""
