"""Statistics shared by the analyses: exact confidence intervals and tests, Kaplan–Meier, competing risks (Aalen–Johansen, Gray), multiple-testing adjustment."""
