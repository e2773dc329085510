"""Notifications: an outbox written with the event, delivered in the application and by email."""
