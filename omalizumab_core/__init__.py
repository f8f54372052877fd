"""Omalizumab outcomes in mast cell disorders: the pure-Python core of the dashboard.

Implements the symptom-score response method of Lemal et al., J Allergy Clin
Immunol Pract 2019;7:2387-95 (see docs/method.md). Never imports streamlit.
"""

__version__ = "0.1.0"
