"""Tests of capacity pools."""
