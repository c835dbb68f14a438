"""Management: target bands, hard safety rules, plan search under uncertainty, follow-up re-planning.

The hard safety rules are data (`data/safety_rules.yaml`, every rule with its reason and source) and
`neuroscape.manage.safety` evaluates them on a `Plan` for a `Subject`: before it is simulated
(combinations, wash-outs, therapeutic duplication, label and genotype dose ceilings; supplements
included) and on its simulated trajectory, every dose's peak resolved (D2 occupancy, serotonin-toxicity
index). `neuroscape check PLAN.yaml` (`neuroscape/cli/check.py`) prints every violated rule.
Research and decision-support software: a plan that passes these checks is not thereby safe for a person.
"""
