"""Every input form read and validated into a Cohort: reading, validation, contract, codes, vocabulary, problems."""
