"""Slack bot for staff: answers mentions, direct messages and `/exchange` with cited answers.

`assistant.slack.app.create_slack_app` builds the Bolt app; `assistant.cli.slack` runs it in
Socket Mode. Nothing is imported here so the CLI stays fast to start."""
