"""The local emulator: a page on 127.0.0.1 that plays Slack or Teams for the demo team.

Each rep's direct messages with dealbot and each team's channel are drawn from the same neutral
messages and the same handlers as on Slack and Teams (`render.py` turns them into HTML).
Proactive messages reach it through the outbox like any chat platform (`messenger.py`); typed
commands, presses and forms go through the same translators and handlers (`chat.py`); a clock it
owns can be moved forward to watch reminders, breaches and the next morning's digest
(`clock.py`, `desk.py`). `routes.py` serves the page and its small JSON API.
"""
