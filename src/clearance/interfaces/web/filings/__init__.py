"""The filing service's JSON API (/api/v1/filings) for providers' automation and reviewers' tools."""
