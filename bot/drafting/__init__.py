"""Follow-up drafts at the edge: the model (litellm), the drafting worker, and sending by SMTP."""
