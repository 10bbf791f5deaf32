"""Adapter: the Genesys Cloud Platform API client, the orgs file, and the audit's fetching.

Knows no Slack: both entry points call it and render what it returns.
"""
