-- Contract 8.1: every enterprise of the profile sheets with its arm (intention to treat: the frame's grupo),
-- whether it is a contaminated comparison enterprise (training records in any wave's file), whether it is in the
-- design marts (an arm and not contaminated) and whether it counts in the participant marts (every enterprise
-- of a country without a frame; the treated ones of a country with one).

with enterprises as (
    select distinct country, ruc from {{ ref('stg_raw__company_profile') }}
),

frame as (
    select country, ruc, arm, stratum from {{ ref('stg_raw__sample_frame') }}
),

countries_with_frame as (
    select distinct country from frame
),

trained as (
    select distinct country, ruc from {{ ref('stg_raw__training_records') }}
),

final as (
    select
        enterprises.country,
        enterprises.ruc,
        frame.arm,
        frame.stratum,
        countries_with_frame.country is not null as has_frame,
        coalesce(frame.arm = 'comparacion' and trained.ruc is not null, false) as is_contaminated,
        frame.arm is not null and not is_contaminated as in_design,
        countries_with_frame.country is null or coalesce(frame.arm = 'tratamiento', false) as is_participant
    from enterprises
    left join frame on frame.country = enterprises.country and frame.ruc = enterprises.ruc
    left join countries_with_frame on countries_with_frame.country = enterprises.country
    left join trained on trained.country = enterprises.country and trained.ruc = enterprises.ruc
)

select * from final
