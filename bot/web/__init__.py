"""What the app's own pages share: templates, the stylesheet and script, and their safety rules."""
