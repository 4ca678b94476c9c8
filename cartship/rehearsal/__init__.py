"""A rehearsal of .github/workflows/deploy.yml on this machine, job by job, as GitHub runs it.

The workflow file itself is read (never a copy of its steps); each job starts from a fresh clone of
the commit with only what its steps download, the artifact, checkout, Python and AWS-credentials
actions are played by local equivalents that keep their documented behaviour (docs/shipping.md,
"Rehearsing the pipeline"), and every ``run:`` step runs as written. What a job on GitHub would lack
(a file, an output, a permission) makes the rehearsal fail the same way.
"""
