"""Statistics shared by the analyses: exact confidence intervals and tests, Kaplan–Meier, multiple-testing adjustment."""
