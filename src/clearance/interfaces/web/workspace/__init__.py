"""The signed-in workspace: providers, reviewers, assessors and administrators (issue 5)."""
