"""Filings (备案) and registrations (登记): the approval process of DESIGN.md "The process"."""
