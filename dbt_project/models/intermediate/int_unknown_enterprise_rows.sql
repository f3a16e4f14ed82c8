-- Rows with a valid identifier of an enterprise that no wave's profile sheet of its country lists:
-- set aside (reason `unknown enterprise`), counted in data_quality.

with known as (
    select distinct country, ruc from {{ ref('stg_raw__company_profile') }}
),

rows_with_ruc as (
    select distinct country, wave, 'practicas_gestion' as instrument, ruc, source_row from {{ source('raw', 'management_practices') }}
    union all
    select country, wave, 'autoevaluacion', ruc, source_row from {{ source('raw', 'self_assessment') }}
    union all
    select country, wave, 'encuesta_trabajadores', ruc, source_row from {{ source('raw', 'worker_survey') }}
    union all
    select country, wave, 'registro_capacitacion', ruc, source_row from {{ source('raw', 'training_records') }}
    union all
    select country, wave, 'estudios_caso', ruc, null from {{ source('raw', 'case_studies') }}
    union all
    select country, wave, 'muestra', ruc, source_row from {{ source('raw', 'sample_frame') }}
),

final as (
    select country, wave, instrument, ruc, source_row as row_number, 'unknown enterprise: RUC in no profile sheet' as reason
    from rows_with_ruc
    where (country, ruc) not in (select country, ruc from known)
)

select * from final
