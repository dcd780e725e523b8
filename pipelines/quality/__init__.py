"""Data-quality suites (Great Expectations 1.x) over the working warehouse: the rule
catalogue (../shared/spec/quality.md) is computed in dbt (marts.dq_findings); the suites
in expectations/suites/ assert on raw, intermediate and marts tables read into pandas
(pseudonymous columns only), and their results are published as offline Data Docs in
<warehouse>/quality/. Import great_expectations only inside the functions that run checks,
through gx_import.import_great_expectations.
"""
