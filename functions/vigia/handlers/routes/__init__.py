"""One router per area of the API, all served by ApiFunction (vigia.handlers.api)."""
