"""The shell: command line, Slack listeners, rendering, storage and settings."""
