"""Interoperability: Open Referral HSDS 3.1, HUD's HMIS CSV export and the service
taxonomy, so providers' data is loaded from where it already lives, never retyped."""
