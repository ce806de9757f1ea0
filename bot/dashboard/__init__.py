"""The manager dashboard at `/dashboard`: panels of figures and server-drawn SVG charts."""
