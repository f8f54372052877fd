"""The response engine of Lemal et al. (2019): symptom scores, CR/MR/PR/NR per assessment and per patient, Table 2 counts."""
