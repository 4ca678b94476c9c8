"""What AWS runs between the resources: event source mapping, Scheduler, async targets, SES outbox.

moto stores these resources but never acts on them (no schedule fires, no queue is polled, no
Lambda target is invoked), so each behaviour is a bounded polling loop here.
"""
