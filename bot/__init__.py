"""The Telegram side of newsdigest: commands, formatting, scheduling and delivery."""
