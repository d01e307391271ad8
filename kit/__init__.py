"""wushe's shared runtime: settings, database, outbox/relay/inbox, bus, auth, telemetry, app factory."""
