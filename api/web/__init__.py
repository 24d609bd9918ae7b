"""Web pages for the people who do the work, over the same services and role rules as the API."""
