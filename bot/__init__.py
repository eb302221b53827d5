"""The Telegram side of newsdigest: commands, formatting, scheduling and delivery."""

import os

# python-telegram-bot 22 warns that RetryAfter.retry_after will become a timedelta; opt in now, as its
# deprecation notice advises (bot/delivery.py reads either form).
os.environ.setdefault("PTB_TIMEDELTA", "true")
