"""A six-patient synthetic cohort with scores of the example instrument (documentation and tests).

Plainly synthetic: no row describes a real patient, and the instrument is the
shipped *example* definition (``example_symptom_diary``), not a validated
questionnaire. It exists so that the instrument analyses have examples that
run, and so that their results can be checked by hand:

======  ==========================  ======================  =======================
Patient Paper's symptom score        Example diary total     Course
======  ==========================  ======================  =======================
EX-1    MR (−62.5 %)                 24 → 10 → 4 (items)    still treated, month 6
EX-2    MR (−62.5 %)                 20 → 12 → 9            still treated, month 6
EX-3    PR (−25 %)                   16 → 10 (month 2)      stopped at month 4
EX-4    PR (−25 %)                   10 → 11 → 10           still treated, month 6
EX-5    CR (−100 %)                  30 → 0                 still treated, month 6
EX-6    NR (0 %)                     6 → 6                  still treated, month 6
======  ==========================  ======================  =======================
"""

from __future__ import annotations

from functools import lru_cache

PATIENTS = """patient_id,diagnosis,treatment_end_month,end_reason,last_follow_up_month
EX-1,ISM,,,6
EX-2,ISM,,,6
EX-3,ISM,4,lack_of_efficacy,4
EX-4,ISM,,,6
EX-5,MCAS,,,6
EX-6,MCAS,,,6
"""

SYMPTOMS = """patient_id,symptom,month,score
EX-1,flushing,0,1
EX-1,pruritus,0,1
EX-1,flushing,3,0.5
EX-1,pruritus,3,0.25
EX-2,flushing,0,1
EX-2,diarrhoea,0,1
EX-2,flushing,6,0.5
EX-2,diarrhoea,6,0.25
EX-3,flushing,0,1
EX-3,flushing,2,0.75
EX-4,fatigue,0,1
EX-4,fatigue,3,0.75
EX-5,flushing,0,1
EX-5,flushing,3,0
EX-6,fatigue,0,1
EX-6,fatigue,3,1
"""

SCORES = """patient_id,instrument,item,month,value
EX-1,example_symptom_diary,itch,0,8
EX-1,example_symptom_diary,flushing,0,6
EX-1,example_symptom_diary,abdominal_pain,0,5
EX-1,example_symptom_diary,fatigue,0,5
EX-1,example_symptom_diary,itch,3,4
EX-1,example_symptom_diary,flushing,3,2
EX-1,example_symptom_diary,abdominal_pain,3,2
EX-1,example_symptom_diary,fatigue,3,2
EX-1,example_symptom_diary,total,6,4
EX-2,example_symptom_diary,total,0,20
EX-2,example_symptom_diary,total,3,12
EX-2,example_symptom_diary,total,6,9
EX-3,example_symptom_diary,total,0,16
EX-3,example_symptom_diary,total,2,10
EX-4,example_symptom_diary,total,0,10
EX-4,example_symptom_diary,total,3,11
EX-4,example_symptom_diary,total,6,10
EX-5,example_symptom_diary,total,0,30
EX-5,example_symptom_diary,total,3,0
EX-6,example_symptom_diary,total,0,6
EX-6,example_symptom_diary,total,3,6
"""


def instrument_example_files() -> list[tuple[str, bytes]]:
    """The example cohort as an upload: three CSV files and the example definition.

    Examples
    --------
    >>> [name for name, _ in instrument_example_files()]
    ['patients.csv', 'symptoms.csv', 'instrument_scores.csv', 'example_symptom_diary.toml']
    """
    from omalizumab_core.data.instruments import example_instrument_text

    return [
        ("patients.csv", PATIENTS.encode()),
        ("symptoms.csv", SYMPTOMS.encode()),
        ("instrument_scores.csv", SCORES.encode()),
        ("example_symptom_diary.toml", example_instrument_text().encode()),
    ]


@lru_cache(maxsize=1)
def instrument_example_cohort():
    """The six-patient example cohort, loaded through the same validation as an upload.

    Examples
    --------
    >>> cohort = instrument_example_cohort()
    >>> cohort.n_patients, sorted(cohort.instruments)
    (6, ['example_symptom_diary'])
    """
    import dataclasses

    from omalizumab_core.data.loading import load_upload

    cohort = load_upload(instrument_example_files(), synthetic=True)
    return dataclasses.replace(cohort, source="Instrument example cohort (synthetic, example instrument)")


@lru_cache(maxsize=1)
def instrument_example_scored():
    """The example cohort scored with the paper's rule.

    Examples
    --------
    >>> instrument_example_scored().outcomes["best_response"].tolist()
    ['MR', 'MR', 'PR', 'PR', 'CR', 'NR']
    """
    from omalizumab_core.engine.scoring import score_cohort

    return score_cohort(instrument_example_cohort())
