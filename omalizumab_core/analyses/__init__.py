"""The analyses, one module per question a page answers (Table 1, Table 2, time to response, symptoms, follow-up, dosing, safety, biology, one patient, the MDT candidate, the publication)."""
