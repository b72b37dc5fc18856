"""Live events for the console: small notices of what changed, filtered per role when they are published."""
