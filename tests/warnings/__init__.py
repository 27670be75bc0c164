"""Warnings (预警): rules, evaluation, handling, pages and API."""
