-- One row per enterprise of each country; per wave (one column `wave_<key>` for every wave key found in the
-- warehouse when the model is built) the instruments that arrived for it. Contract 8.1: with its arm.

{%- set waves_query %}select distinct wave from {{ ref('stg_raw__ingest_log') }} order by wave{% endset %}
{%- set waves = run_query(waves_query).columns[0].values() if execute else [] %}
{#- The survey instruments; training records exist for a firm only once it finished a module. -#}
{%- set required = ['autoevaluacion', 'encuesta_trabajadores', 'perfil_empresa', 'practicas_gestion'] %}

with arms as (
    select country, ruc, arm from {{ ref('int_enterprise_arms') }}
),

enterprises as (
    select country, ruc, arg_max(business_name, wave) as business_name
    from {{ ref('stg_raw__company_profile') }}
    group by country, ruc
),

arrivals as (
    select distinct country, wave, ruc, 'practicas_gestion' as instrument from {{ ref('stg_raw__management_practices') }}
    union all
    select distinct country, wave, ruc, 'perfil_empresa' from {{ ref('stg_raw__company_profile') }}
    union all
    select distinct country, wave, ruc, 'autoevaluacion' from {{ ref('stg_raw__self_assessment') }}
    union all
    select distinct country, wave, ruc, 'encuesta_trabajadores' from {{ ref('stg_raw__worker_survey') }}
    union all
    select distinct country, wave, ruc, 'registro_capacitacion' from {{ ref('stg_raw__training_records') }}
    union all
    select distinct country, wave, ruc, 'estudios_caso' from {{ ref('stg_raw__case_studies') }}
),

per_wave as (
    select country, ruc, wave, list(instrument order by instrument) as instruments
    from arrivals
    group by country, ruc, wave
),

final as (
    select
        enterprises.country,
        enterprises.ruc,
        enterprises.business_name,
        {%- for wave in waves %}
        coalesce(max(per_wave.instruments) filter (where per_wave.wave = '{{ wave }}'), []::varchar[])
            as "wave_{{ wave | replace('-', '_') }}",
        {%- endfor %}
        count(*) filter (where list_has_all(per_wave.instruments, {{ required }})) as n_waves_complete,
        arms.arm
    from enterprises
    inner join arms on arms.country = enterprises.country and arms.ruc = enterprises.ruc
    left join per_wave on per_wave.country = enterprises.country and per_wave.ruc = enterprises.ruc
    group by enterprises.country, enterprises.ruc, enterprises.business_name, arms.arm
)

select * from final
