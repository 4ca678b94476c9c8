"""API Gateway, emulated from the contract: body validation, VTL templates, tokens and the HTTP front.

The deployed REST API runs no code of ours: it validates with the contract's models and maps with
the contract's templates. This package does the same with the same files, so the local API and
the deployed one cannot drift.
"""
