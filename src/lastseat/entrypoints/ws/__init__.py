"""WebSocket entrypoints: live seat maps."""
