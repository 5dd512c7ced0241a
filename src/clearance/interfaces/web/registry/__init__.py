"""Public registry pages, open-data twins, Atom feed and the versioned JSON API."""
