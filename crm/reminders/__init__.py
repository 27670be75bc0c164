"""Reminders: what is due, recording it exactly once, the jobs and their scheduler, and the
channels that deliver (in-app, e-mail, group-chat robots)."""
