"""Building requests: templates, output schemas, request bodies, batch files, tokens and cost."""
