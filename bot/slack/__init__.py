"""Entry point 1: the Bolt app, its HTTP server, listeners, replies and Block Kit."""
