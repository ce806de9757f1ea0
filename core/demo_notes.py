"""What happens in the demo's deals and leads, in words: products, call notes, next steps.

Split from `core.demo_vocab` (who and which companies) to keep each word list short. The lead
sources and titles carry weights: they are the truth the demo's lead history is drawn from.
"""

from __future__ import annotations

DEAL_PRODUCTS = (
    "Team plan ({n} seats)",
    "Platform pilot",
    "Expansion (+{n} seats)",
    "Enterprise rollout",
    "Sales Ops bundle",
    "Forecasting add-on",
    "Renewal + upsell",
    "Regional rollout ({n} seats)",
    "Conversation insights",
    "Starter ({n} seats)",
)

STAGE_NOTES = {
    # stage -> (activity kind, summary) pairs, so a "call" never reads like an email.
    "Prospecting": (
        ("email", "Intro email to {first}: shared the ramp-time case study"),
        ("call", "Cold call to {first}, asked to follow up next week"),
        ("email", "{first} replied to the sequence, open to a short call"),
        ("call", "Connected with {first} on the sales ops pain points"),
        ("note", "Found {first} via the RevOps meetup, warm intro from a customer"),
    ),
    "Qualification": (
        ("call", "Discovery call with {first}: {n} reps, forecast lives in spreadsheets"),
        ("email", "{first} confirmed budget is set for this half"),
        ("meeting", "Mapped decision process with {first}: CRO signs, IT reviews security"),
        ("call", "{first} wants to replace the current dialer before renewal"),
        ("note", "Champion is {first}; economic buyer not met yet"),
    ),
    "Demo": (
        ("meeting", "Demo for {first} and team, strong interest in the action list"),
        ("meeting", "Technical deep dive with {first}'s IT lead on SSO and data residency"),
        ("email", "Sent the demo recording and security pack to {first}"),
        ("call", "{first} asked for a sandbox to try the Slack digest"),
        ("note", "{first}'s team uses Teams, not Slack: show the Teams app next time"),
    ),
    "Proposal": (
        ("email", "Sent proposal to {first}: {n} seats, annual billing"),
        ("call", "{first} opened the proposal, questions on onboarding timeline"),
        ("meeting", "Walked {first} through pricing options, prefers annual"),
        ("email", "{first} looping in procurement next week"),
        ("note", "Proposal in review, {first} says decision by month end"),
    ),
    "Negotiation": (
        ("email", "Redlines back from {first}'s legal team, mostly liability cap"),
        ("call", "{first} asked for a multi-year discount"),
        ("call", "Agreed start date with {first}, waiting on PO"),
        ("meeting", "Procurement call with {first}: security questionnaire done"),
        ("note", "Manager approved a discount of up to 12% for {first}"),
    ),
}

QUIET_NOTES = (
    ("call", "Left a voicemail for {first}, no answer"),
    ("email", "Follow-up email to {first}, no reply yet"),
    ("email", "{first} pushed the meeting, busy with quarter end"),
    ("call", "Tried {first} again, went to voicemail"),
)

CALL_OUTCOMES = ("connected", "connected", "voicemail", "no answer")
MEETING_OUTCOMES = ("held", "held", "held", "rescheduled")
EMAIL_OUTCOMES = ("sent", "sent", "replied")

NEXT_ACTIONS = {
    "Prospecting": ("Call {first} to qualify", "Send intro deck to {first}"),
    "Qualification": (
        "Confirm budget and timeline with {first}",
        "Book discovery call with {first}",
    ),
    "Demo": ("Run product demo for {first}'s team", "Send demo recording to {first}"),
    "Proposal": ("Follow up on the proposal with {first}", "Send revised pricing to {first}"),
    "Negotiation": ("Get redlines back from {first}", "Agree final terms with {first}"),
}

LEAD_SOURCES = {
    # source -> pull towards converting; the lead model should find this.
    "Demo request": 1.2,
    "Pricing page": 0.9,
    "Referral": 1.0,
    "Webinar": 0.0,
    "Trade show": -0.2,
    "Content download": -0.5,
    "Outbound list": -0.9,
}

LEAD_TITLES = {
    # title -> seniority pull towards converting.
    "VP Sales": 0.8,
    "Chief Revenue Officer": 0.9,
    "Head of Revenue Operations": 0.7,
    "Sales Director": 0.5,
    "Sales Manager": 0.1,
    "Account Executive": -0.5,
    "Marketing Coordinator": -0.8,
    "Student": -1.5,
}
