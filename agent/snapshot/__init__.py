"""What the shop index builds, saved under ``TACTFUL_HOME/snapshot`` for the next start.

Opening a shop read every item out of Chroma and, at the first ranking, every event out
of SQL. A process now loads both from files saved by whichever process built them last,
when they are still current (:mod:`agent.snapshot.shop` says what that means), and
builds from the stores as before when they are not. A snapshot never changes an answer:
the same stores give the same rankings with or without one.
"""
