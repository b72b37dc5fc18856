"""Protocol dispatch: an alert's protocol turned into deliveries, and the rules for sending each one once."""
