"""HTTP API models shared by the services and the gateway."""
