with case_studies as (
    select * from {{ ref('stg_raw__case_studies') }}
    where (country, ruc) in {{ known_enterprises() }}
),

final as (
    select
        country,
        ruc,
        title,
        modules,
        themes,
        word_count,
        wave
    from case_studies
)

select * from final
