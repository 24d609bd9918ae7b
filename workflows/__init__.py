"""Durable Temporal workflows that drive each case's deadlines and escalation."""
