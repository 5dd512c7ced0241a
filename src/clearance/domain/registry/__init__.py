"""The public registry's domain: entries, provinces, number formats, statistics. Pure: standard
library and pydantic only, so the filing service (issue 5) can build entries without the web or
the database."""
