"""The news side of newsdigest: sources, parsing, cleaning, summaries, storage and digests.

Nothing in this package knows about Telegram; ``bot`` calls into it.
"""
