-- All indicators' person-level rows stacked (one model per indicator in indicators/):
-- side 'official' = the definition (registry town), side 'reported' = the source-side
-- numerator (the source's town). A view: the monthly indicators are views too.
{{ config(materialized='view') }}

{{ indicator_member_rows() }}
