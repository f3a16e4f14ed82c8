-- Contract 4 (score_change, headline pct_enterprises_gain_gt1) and contract 7 (programme_summary): the
-- enterprises with a global score at their country's baseline and endline, and whether it rose by more
-- than one point. Contract 8.1: the participants only (the treated enterprises of a country with a frame).

with scores as (
    select * from {{ ref('enterprise_scores') }}
    where (country, ruc) in {{ participants() }}
),

waves as (
    select * from {{ ref('int_waves_ordered') }}
),

baseline as (
    select scores.country, scores.ruc, scores.global_score
    from scores
    inner join waves on waves.country = scores.country and waves.wave = scores.wave and waves.is_baseline
    where scores.global_score is not null
),

endline as (
    select scores.country, scores.ruc, scores.global_score
    from scores
    inner join waves on waves.country = scores.country and waves.wave = scores.wave and waves.is_endline
    where scores.global_score is not null
),

final as (
    select
        baseline.country,
        baseline.ruc,
        baseline.global_score as baseline_score,
        endline.global_score as endline_score,
        endline.global_score - baseline.global_score as change,
        {{ comparable('endline.global_score - baseline.global_score') }} > 1 as gained_over_one
    from baseline
    inner join endline on endline.country = baseline.country and endline.ruc = baseline.ruc
)

select * from final
