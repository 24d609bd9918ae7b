"""Reminders and escalation: the steps taken, who hears, what they read, how it reaches them."""
