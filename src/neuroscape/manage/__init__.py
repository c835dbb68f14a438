"""Management: target bands, hard safety rules, plan search under uncertainty, follow-up re-planning.

The hard safety rules are data (`data/safety_rules.yaml`, every rule with its reason and source) and
`neuroscape.manage.safety` evaluates them on a protocol before it is simulated (combinations, wash-outs,
label and genotype dose ceilings) and on a simulated trajectory (D2 occupancy, serotonin-toxicity
index). `neuroscape check PLAN.yaml` (`neuroscape/cli/check.py`) prints every violated rule.
Research and decision-support software: a plan that passes these checks is not thereby safe for a person.
"""
