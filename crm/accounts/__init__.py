"""Accounts: signing in, passwords and their hashes, personal API tokens, user administration."""
