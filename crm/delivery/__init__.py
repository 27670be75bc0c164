"""Sending recorded reminders: the channels (e-mail, group-chat webhook) and the outbox loop.

Network I/O lives here and nowhere else; ``crm.services.notify`` decides what to send and
records it, this package sends what was recorded.
"""
