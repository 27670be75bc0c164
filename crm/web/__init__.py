"""What the pages and the API share at the edge of a request: input cleaning, query parameters,
number formatting for templates, security headers and safe redirects."""
