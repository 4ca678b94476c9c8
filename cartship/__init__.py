"""cartship: build once, promote the same artifact through dev, staging and prod.

``make package`` builds the zips once; cartship publishes them to the artifact bucket under their
content hash, records a release manifest, and moves environments between releases without ever
rebuilding. Every environment's current release and its promotion history live in the artifact
bucket, so "what runs in prod?" is one ``make status ENV=prod`` away.
"""
