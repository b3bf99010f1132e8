"""HAProxy adapter: rendered configuration, validation, hitless reload, runtime API."""
