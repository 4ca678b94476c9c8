"""The web console of `make local`: what the event-driven system is doing, in one page.

A live timeline, pending schedules (Fire now), queues and DLQs (Redrive), the outbox's emails, the
trace of one request and a Send form built from the contract. The page is server-rendered HTML
fragments driven by htmx (and its server-sent-events extension) with Pico CSS, installed by
``npm ci`` from ``package-lock.json`` (integrity hashes) and served from here; nothing is fetched
from elsewhere at run time.
"""
