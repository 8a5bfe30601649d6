"""gitdesk: a helpdesk for IT service providers that lives in a git repository."""
