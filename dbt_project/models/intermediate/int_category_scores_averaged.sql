{{ wave_incremental_config() }}

-- Contract 2.1: category score = mean of its valid practice scores, null when
-- fewer than half of the category's practices have a valid score.

with practices as (
    select * from {{ ref('stg_raw__management_practices') }}
    where (country, ruc) in {{ known_enterprises() }} {{ wave_filter() }}
),

codebook as (
    select * from {{ ref('codebook_practices') }}
),

category_sizes as (
    select module, category, count(*) as n_practices
    from codebook
    group by module, category
),

enterprise_categories as (
    select scored.country, scored.wave, scored.ruc, category_sizes.module, category_sizes.category, category_sizes.n_practices
    from (select distinct country, wave, ruc from practices) as scored
    cross join category_sizes
),

practice_scores as (
    select practices.country, practices.wave, practices.ruc, codebook.module, codebook.category, practices.score
    from practices
    inner join codebook on codebook.practice_id = practices.practice_id
),

aggregated as (
    select
        enterprise_categories.country,
        enterprise_categories.wave,
        enterprise_categories.ruc,
        enterprise_categories.module,
        enterprise_categories.category,
        enterprise_categories.n_practices,
        count(practice_scores.score) as n_valid,
        avg(practice_scores.score) as mean_valid
    from enterprise_categories
    left join practice_scores
        on practice_scores.country = enterprise_categories.country
        and practice_scores.wave = enterprise_categories.wave
        and practice_scores.ruc = enterprise_categories.ruc
        and practice_scores.category = enterprise_categories.category
    group by all
),

final as (
    select
        country,
        wave,
        ruc,
        module,
        category,
        n_practices,
        n_valid,
        case when n_valid * 2 >= n_practices then mean_valid end as score
    from aggregated
)

select * from final
