"""Incidents: an alert's lifecycle in the observatory (queue, units, times) and residents' standing."""
