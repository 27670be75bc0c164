"""Domain logic: plain functions over a SQLAlchemy session, no request or current user."""
