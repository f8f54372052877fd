"""Synthetic cohorts: the 55-patient demo that re-creates the published study, and registry-scale generators."""
