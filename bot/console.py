"""``newsdigest chat``: try the bot in a terminal, with the same command logic as on Telegram."""

from __future__ import annotations

from collections.abc import Callable

from bot.commands import Button, Chat, Commands
from bot.formatting import html_to_plain
from digests.storage import CONSOLE_KIND

CONSOLE_CHAT = Chat(id=0, kind=CONSOLE_KIND, operator=True)  # whoever is at the terminal runs the bot
INTRO = "newsdigest console: type a command such as /latest or /topic Global; /help lists them; /quit leaves."


def run_console(commands: Commands, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
    """Read commands until /quit or end of input; buttons are shown numbered and pressed by typing the number."""
    write(INTRO)
    buttons: list[Button] = []
    while True:
        try:
            line = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if not line:
            continue
        if line in ("/quit", "/exit", "quit", "exit"):
            return
        if line.isdecimal():
            if not 1 <= int(line) <= len(buttons):
                write(f"There is no button {line}: " + (f"type 1 to {len(buttons)}." if buttons else
                                                         "the last answer has none."))
                continue
            replies = commands.press(CONSOLE_CHAT, buttons[int(line) - 1].data)
        elif line.startswith("/"):
            name, *args = line[1:].split() or [""]
            name = name.split("@")[0]  # /latest@SomeBot, as in a group
            if not name:
                write("Type a command after the slash, for example /latest. /help lists them.")
                continue
            replies = commands.handle(CONSOLE_CHAT, name, args)
        else:
            write("Commands start with a slash, for example /latest. /help lists them.")
            continue
        buttons = []
        for reply in replies:
            write(html_to_plain(reply.text))
            for row in reply.buttons:
                for button in row:
                    if button.url:
                        write(f"  {button.text}: {button.url}")
                        continue
                    buttons.append(button)
                    write(f"  [{len(buttons)}] {button.text}")
            if reply.buttons:
                write("Type a number to press a button.")
            write("")
