"""Operations commands that run against a deployed stack on AWS (or the local one through its endpoint).

They are not part of the local runtime: an operator runs them with the stack's credentials, e.g.
``make redrive`` to move a dead-letter queue's messages back.
"""
