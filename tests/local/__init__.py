"""Local stack components in process: the local API, identity and tokens, the Scheduler poller."""
