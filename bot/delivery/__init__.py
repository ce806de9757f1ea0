"""Outbound delivery: the worker that drains the outbox through each platform's messenger."""
