"""NONMEM-style event tables: a realistic dataset, ADDL/II and SS expansion, EVID inference,
every contradictory record named by row and ID, several bad rows in one error, round trips."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroscape.errors import DataError
from neuroscape.io.nonmem import (COLUMNS, DoseEvent, EventRecord, EventTable, Observation,
                                  format_events, read_events, write_events)

# Three patients on escitalopram 10 mg/day: patient 1 uses ADDL/II, patient 2 writes each dose,
# patient 3 starts at steady state (SS=1) then moves to 20 mg after a washout reset (EVID 4).
DATASET = """\
# escitalopram TDM study (mg, h, ng/mL)
id,time,evid,amt,cmt,rate,ii,addl,ss,dv,drug,mdv
1,0,1,10,1,.,24,6,0,.,escitalopram,1
1,2,0,.,2,.,.,.,.,9.8,escitalopram,0
1,168,0,.,2,.,.,.,.,21.4,escitalopram,0
1,180,0,.,2,.,.,.,.,14.9,escitalopram,0

2,0,1,10,1,.,.,.,.,.,escitalopram,1
2,24,1,10,1,.,.,.,.,.,escitalopram,1
2,48,1,10,1,.,.,.,.,.,escitalopram,1
2,50,0,.,2,.,.,.,.,16.2,escitalopram,0
2,52,2,.,.,.,.,.,.,.,.,1
3,0,1,10,1,.,24,0,1,.,escitalopram,1
3,3,0,.,2,.,.,.,.,30.5,escitalopram,0
3,0,4,20,1,5,24,2,0,.,escitalopram,1
3,6,0,.,2,.,.,.,.,11.0,escitalopram,0
"""


@pytest.fixture(scope="module")
def table():
    return read_events(DATASET)


def test_realistic_dataset_reads(table):
    assert table.ids() == (1, 2, 3)
    assert len(table.records) == 13 and table.warnings == ()
    first = table.records[0]
    assert first == EventRecord(id=1, time=0.0, evid=1, amt=10.0, cmt=1, rate=None, ii=24.0, addl=6,
                                ss=0, dv=None, drug="escitalopram", mdv=1)


def test_addl_expands_into_individual_doses(table):
    doses = table.dose_events(1)
    assert [d.time_h for d in doses] == [0, 24, 48, 72, 96, 120, 144]
    assert all(d == DoseEvent(d.time_h, 10.0, "escitalopram", 1, None) for d in doses)
    assert table.dose_events(2) == [DoseEvent(t, 10.0, "escitalopram", 1, None) for t in (0, 24, 48)]


def test_steady_state_and_reset_with_dose(table):
    doses = table.dose_events(3, ss_doses=20)
    ss_block = [d for d in doses if d.amount_mg == 10]
    assert [d.time_h for d in ss_block] == [-24.0 * k for k in range(20, -1, -1)]
    assert [(d.time_h, d.rate) for d in doses if d.amount_mg == 20] == [(0, 5), (24, 5), (48, 5)]
    assert len(table.dose_events(3, ss_doses=5)) == 6 + 3
    assert table.reset_times(3) == [0.0]


def test_observations(table):
    assert table.observations(1) == [Observation(2, 9.8, 2, "escitalopram"),
                                     Observation(168, 21.4, 2, "escitalopram"),
                                     Observation(180, 14.9, 2, "escitalopram")]
    assert [o.time_h for o in table.observations(2)] == [50]  # the EVID 2 record is not one


def test_id_is_needed_when_there_are_several(table):
    with pytest.raises(DataError, match=r"3 IDs \(1, 2, 3\); pass id="):
        table.dose_events()
    with pytest.raises(DataError, match="ID 9 is not in the table; IDs: 1, 2, 3"):
        table.observations(9)
    single = read_events("ID,TIME,EVID,AMT\n7,0,1,5\n7,1,0,.\n")
    assert single.dose_events() == [DoseEvent(0, 5, None, None, None)]


def test_round_trip_through_a_file(table, tmp_path):
    path = tmp_path / "events.csv"
    write_events(table, path)
    again = read_events(path)
    assert again == table
    assert read_events(str(path)) == table
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)


def test_whitespace_format_and_header_case():
    text = "Id  Time Evid Amt\n1 0 1 10\n1 2.5 0 .\n"
    table = read_events(text, format="space")
    assert [(r.time, r.evid) for r in table.records] == [(0, 1), (2.5, 0)]
    with pytest.raises(DataError, match="format 'tsv'.*allowed: csv, space"):
        read_events(text, format="tsv")


def test_missing_evid_is_inferred_with_a_warning():
    text = "ID,TIME,AMT,MDV,DV\n1,0,10,1,.\n1,1,0,1,.\n1,2,.,0,5.5\n"
    with pytest.warns(UserWarning, match="no EVID column; EVID inferred from AMT"):
        table = read_events(text)
    assert [r.evid for r in table.records] == [1, 2, 0]
    assert len(table.warnings) == 1 and "inferred" in table.warnings[0]
    # written back, EVID is explicit: no warning, and the table compares equal
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_events(format_events(table)) == table


HEAD = "ID,TIME,EVID,AMT,II,ADDL,SS,RATE,DV\n"


@pytest.mark.parametrize("rows,match", [
    ("1,0,1,0,.,.,.,.,.", r"row 1 \(ID 1\): EVID 1 \(dose\) needs AMT > 0, got AMT 0"),
    ("1,0,1,.,.,.,.,.,.", r"row 1 \(ID 1\): EVID 1 \(dose\) needs AMT > 0, got AMT \."),
    ("1,0,4,.,.,.,.,.,.", r"row 1 \(ID 1\): EVID 4 \(reset and dose\) needs AMT > 0"),
    ("1,0,1,10,24,.,.,.,.", r"row 1 \(ID 1\): II 24 without ADDL or SS"),
    ("1,0,1,10,.,3,.,.,.", r"row 1 \(ID 1\): ADDL 3 without II"),
    ("1,0,1,10,.,.,1,.,.", r"row 1 \(ID 1\): SS 1 without II > 0"),
    ("1,0,1,10,24,.,2,.,.", r"row 1 \(ID 1\): SS 2 is not supported"),
    ("1,-1,0,.,.,.,.,.,3", r"row 1 \(ID 1\): TIME -1 is negative"),
    ("1,0,1,-5,.,.,.,.,.", r"row 1 \(ID 1\): AMT -5 is negative"),
    ("1,0,1,5,.,.,.,-1,.", r"row 1 \(ID 1\): RATE -1 is negative"),
    ("1,0,0,5,.,.,.,.,1", r"row 1 \(ID 1\): AMT 5 on an EVID 0 \(observation\) record"),
    ("1,0,0,.,24,2,.,.,1", r"row 1 \(ID 1\): II/ADDL on an EVID 0 \(observation\) record"),
    ("1,0,7,.,.,.,.,.,.", r"row 1 \(ID 1\): EVID 7 is not one of 0 \(observation\), 1 \(dose\)"),
    ("1,0,1,10,.,.,.,.,.\n1,5,0,.,.,.,.,.,1\n1,4,0,.,.,.,.,.,2",
     r"row 3 \(ID 1\): TIME 4 is before the previous TIME 5 of this ID"),
    ("1,0,1,ten,.,.,.,.,.", r"row 1 \(ID 1\): AMT 'ten' is not a number"),
    ("1,0,1,10,.,1.5,.,.,.", r"row 1 \(ID 1\): ADDL '1.5' is not a whole number"),
    ("1,nan,0,.,.,.,.,.,.", r"row 1 \(ID 1\): TIME 'nan' is not a finite number"),
    ("x,0,0,.,.,.,.,.,.", r"row 1 \(ID x\): ID 'x' is not a number"),
    ("1,.,0,.,.,.,.,.,.", r"row 1 \(ID 1\): TIME is missing"),
    ("1,0,0,.,.,.,.,.", r"row 1: 8 values for 9 columns"),
    ("1,0,0,.,.,.,.,.,1\n2,0,0,.,.,.,.,.,1\n1,1,0,.,.,.,.,.,1",
     r"row 3 \(ID 1\): ID 1 appears again after other IDs"),
])
def test_contradictory_records_name_the_row_and_id(rows, match):
    with pytest.raises(DataError, match=match):
        read_events(HEAD + rows + "\n")


def test_a_reset_may_go_back_in_time():
    table = read_events(HEAD + "1,10,1,5,.,.,.,.,.\n1,0,3,.,.,.,.,.,.\n1,1,0,.,.,.,.,.,2\n")
    assert table.reset_times() == [0]


def test_several_bad_rows_are_reported_together():
    text = HEAD + "\n".join([
        "1,0,1,0,.,.,.,.,.",       # row 1: dose without amount
        "1,1,0,.,.,.,.,.,4.2",     # row 2: fine
        "2,0,1,10,.,3,.,.,.",      # row 3: ADDL without II
        "2,x,0,.,.,.,.,.,1",       # row 4: non-numeric TIME
        "3,5,0,.,.,.,.,.,1",       # row 5: fine
        "3,2,0,.,.,.,.,.,1",       # row 6: time goes back
    ]) + "\n"
    with pytest.raises(DataError) as info:
        read_events(text)
    message = str(info.value)
    assert "4 problem(s)" in message
    for needle in ["row 1 (ID 1): EVID 1", "row 3 (ID 2): ADDL 3", "row 4 (ID 2): TIME 'x'",
                   "row 6 (ID 3): TIME 2 is before"]:
        assert needle in message
    assert message.index("row 1 ") < message.index("row 3 ") < message.index("row 6 ")


@pytest.mark.parametrize("text,match", [
    ("ID,TIME,EVID,AMT,WT,AGE\n1,0,0,.,70,40\n",
     r"unknown column\(s\) WT, AGE; allowed: ID, TIME, EVID, AMT, CMT, RATE, II, ADDL, SS, DV, DRUG, MDV"),
    ("ID,TIME,TIME,AMT\n1,0,0,.\n", r"column\(s\) TIME given more than once"),
    ("ID,EVID,AMT\n1,0,.\n", r"missing column\(s\) TIME"),
    ("ID,TIME,DV\n1,0,3\n", r"missing column\(s\) EVID or AMT"),
    ("# only a comment\n\n", r"no header line"),
])
def test_header_errors(text, match):
    with pytest.raises(DataError, match=match):
        read_events(text)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(DataError, match="cannot read event table"):
        read_events(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="needs a path or the table's text"):
        read_events(42)


def test_building_a_table_directly_is_checked():
    good = EventRecord(id=1, time=0.0, evid=1, amt=5.0)
    assert EventTable((good,)).dose_events() == [DoseEvent(0.0, 5.0, None, None, None)]
    with pytest.raises(DataError, match=r"row 2 \(ID 1\): ADDL 2 without II"):
        EventTable((good, EventRecord(id=1, time=1.0, evid=1, amt=5.0, addl=2)))


def test_record_attributes_match_columns():
    assert [f.name.upper() for f in dataclasses.fields(EventRecord)] == list(COLUMNS)


# ---- properties -------------------------------------------------------------------------------

_times = st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False)
_amounts = st.floats(min_value=1e-6, max_value=1e4, allow_nan=False)
_optional = lambda s: st.one_of(st.none(), s)  # noqa: E731
_drugs = _optional(st.sampled_from(["escitalopram", "bupropion", "L-dopa", 'odd, "name"']))


@st.composite
def _record(draw, id_, time):
    kind = draw(st.sampled_from(["obs", "dose", "repeat", "ss", "other", "reset"]))
    cmt, drug = draw(_optional(st.integers(1, 9))), draw(_drugs)
    if kind == "obs":
        return EventRecord(id_, time, 0, cmt=cmt, drug=drug, mdv=draw(st.sampled_from([None, 0])),
                           dv=draw(_optional(st.floats(-1e6, 1e6, allow_nan=False))))
    if kind in ("other", "reset"):
        return EventRecord(id_, time, 2 if kind == "other" else 3, mdv=draw(st.sampled_from([None, 1])))
    ii = draw(st.floats(0.5, 1000, allow_nan=False)) if kind in ("repeat", "ss") else None
    return EventRecord(id_, time, draw(st.sampled_from([1, 4])), amt=draw(_amounts), cmt=cmt,
                       rate=draw(_optional(st.floats(0, 1e3, allow_nan=False))), ii=ii,
                       addl=draw(st.integers(1, 50)) if kind == "repeat" else draw(st.sampled_from([None, 0])),
                       ss=1 if kind == "ss" else draw(st.sampled_from([None, 0])), drug=drug)


@st.composite
def _tables(draw):
    ids = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=4, unique=True))
    records = []
    for id_ in ids:
        times = sorted(draw(st.lists(_times, min_size=1, max_size=6)))
        records += [draw(_record(id_, t)) for t in times]
    return EventTable(tuple(records))


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_write_then_read_gives_an_equal_table(table):
    text = format_events(table)
    assert read_events(text) == table
    # expansion is consistent with the records: one dose per ADDL (+ SS) per dose record
    for id_ in table.ids():
        expected = sum((r.addl or 0) + 1 + (20 if r.ss == 1 else 0)
                       for r in table.records if r.id == id_ and r.evid in (1, 4))
        doses = table.dose_events(id_)
        assert len(doses) == expected
        assert [d.time_h for d in doses] == sorted(d.time_h for d in doses)


_HEADER = ["ID", "TIME", "EVID", "AMT", "II", "ADDL", "SS", "DV", "DRUG"]
# per column: mostly plausible values, some contradictory or malformed, so both paths are reached
_CHOICES = [["1", "1", "2", "0", "x"], ["0", "1", "24", "0.5", "-1", "nan", "."],
            ["0", "0", "1", "1", "2", "3", "4", "7", "."], [".", ".", "10", "0", "-5", "1e3"],
            [".", ".", ".", "24", "0"], [".", ".", "2", "0", "1.5"], [".", ".", "0", "1", "2"],
            [".", "3.5", "-2", "inf", ""], [".", "escitalopram", '"']]
_row = st.tuples(*[st.sampled_from(c) for c in _CHOICES]).map(list)
_rows = st.lists(st.one_of(_row, _row, _row, _row.map(lambda r: r[:-1])), max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), _rows), st.sampled_from(["csv", "space"]))
def test_random_text_raises_only_data_errors(body, fmt):
    sep = "," if fmt == "csv" else " "
    if isinstance(body, list):
        body = "\n".join(sep.join(cells) for cells in body)
    try:
        table = read_events(sep.join(_HEADER) + "\n" + body + "\n", format=fmt)
    except DataError:
        return
    for id_ in table.ids():  # a table that reads must expand without error
        table.dose_events(id_)
        table.observations(id_)


def test_event_table_becomes_a_plan_and_simulates():
    from neuroscape import Subject, simulate
    from neuroscape.io.nonmem import read_events, to_plan

    text = "ID,TIME,EVID,AMT,CMT,II,ADDL,DRUG\n1,0,1,10,1,24,4,escitalopram\n1,30,0,.,2,.,.,escitalopram\n"
    plan = to_plan(read_events(text))
    assert [d.at_h for d in plan.doses] == [0.0, 24.0, 48.0, 72.0, 96.0]
    assert all(d.route == "oral" and d.dose_mg == 10.0 for d in plan.doses)
    traj = simulate(Subject(), plan, [0.0, 100.0])
    assert traj.readout("plasma.escitalopram")[1] > 0
