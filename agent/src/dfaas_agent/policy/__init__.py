"""Strategy `external`'s policy endpoint: `schema` (pure: the request, the answer's
checks) and `client` (the HTTP client the control loop asks it with)."""
