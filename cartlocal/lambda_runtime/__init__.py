"""Lambda's execution environment: the built zips under the real runtime interface client.

A worker serves one function's Runtime API and starts awslambdaric in the unzipped artifact, so a
function runs locally exactly as the bytes Terraform uploads; envelopes shape what Lambda hands it.
"""
