"""The five bounded services and the gateway. A service imports contracts and kit, never another service."""
