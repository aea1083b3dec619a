"""Tests of the hard rules, one module per rule family."""
