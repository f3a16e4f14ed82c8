-- Rows with a valid RUC of an enterprise that no wave's profile sheet lists:
-- set aside (reason `unknown enterprise`), counted in data_quality.

with known as (
    select distinct ruc from {{ ref('stg_raw__company_profile') }}
),

rows_with_ruc as (
    select distinct wave, 'practicas_gestion' as instrument, ruc, source_row from {{ source('raw', 'management_practices') }}
    union all
    select wave, 'autoevaluacion', ruc, source_row from {{ source('raw', 'self_assessment') }}
    union all
    select wave, 'encuesta_trabajadores', ruc, source_row from {{ source('raw', 'worker_survey') }}
    union all
    select wave, 'registro_capacitacion', ruc, source_row from {{ source('raw', 'training_records') }}
    union all
    select wave, 'estudios_caso', ruc, null from {{ source('raw', 'case_studies') }}
),

final as (
    select wave, instrument, ruc, source_row as row_number, 'unknown enterprise: RUC in no profile sheet' as reason
    from rows_with_ruc
    where ruc not in (select ruc from known)
)

select * from final
