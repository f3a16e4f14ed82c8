-- The benchmark's baseline: every mart computed from the raw tables (and the codebook seed) by one
-- hand-written DuckDB script, with no orchestration, no checks, no per-wave builds. It is what the
-- pipeline's marts cost in DuckDB alone, so the pipeline's time over this one is its overhead.
-- Every figure is computed within each country (contract 7).
-- Left out: the p-values, the Wilcoxon test, Holm's adjustment and the t-based CI of score_change,
-- module_spillover, evaluator_effects, programme_summary and the design marts, Fisher's test and the Lee
-- bounds (DuckDB has no t distribution; scipy does them in the pipeline in under a second).
-- The benchmark checks that every column computed here equals the pipeline's.

create or replace schema baseline;

create table baseline.waves as
select country, wave, wave = min(wave) over (partition by country) as is_baseline,
       wave = max(wave) over (partition by country) as is_endline
from (select distinct country, wave from raw.ingest_log);

create table baseline.known as select distinct country, ruc from raw.company_profile;

-- The evaluation design (contract 8.1): the enterprises with an arm, contaminated comparison ones left out; the
-- participants of the marts that describe the programme (every enterprise without a frame, the treated with one).
create table baseline.frame as
select country, ruc, arm from raw.sample_frame where (country, ruc) in (select country, ruc from baseline.known);

create table baseline.design as
select country, ruc, arm from baseline.frame
where not (arm = 'comparacion' and (country, ruc) in (select country, ruc from raw.training_records));

create table baseline.participants as
select country, ruc from baseline.known
where country not in (select country from baseline.frame)
   or (country, ruc) in (select country, ruc from baseline.frame where arm = 'tratamiento');

-- Scores (contract 2.1)
create table baseline.category_scores as
with sizes as (
    select module, category, count(*) as n_practices from reference.codebook_practices group by all
),
scored as (
    select practices.country, practices.wave, practices.ruc, codebook.module, codebook.category,
           count(practices.score) as n_valid, avg(practices.score) as mean_valid
    from raw.management_practices as practices
    join reference.codebook_practices as codebook using (practice_id)
    where (practices.country, practices.ruc) in (select country, ruc from baseline.known)
    group by all
)
select scored.country, scored.ruc, scored.wave, scored.module, scored.category,
       case when scored.n_valid * 2 >= sizes.n_practices then scored.mean_valid end as score
from scored join sizes using (module, category);

create table baseline.enterprise_scores as
with modules as (
    select country, wave, ruc, module, avg(score) as score from baseline.category_scores group by all
),
practices as (
    select country, wave, ruc, count(score) as n_practices_scored
    from raw.management_practices where (country, ruc) in (select country, ruc from baseline.known) group by all
)
select modules.country, modules.ruc, modules.wave,
       case when count(modules.score) >= 4 then avg(modules.score) end as global_score,
       max(score) filter (where module = 'm1') as score_m1, max(score) filter (where module = 'm2') as score_m2,
       max(score) filter (where module = 'm3') as score_m3, max(score) filter (where module = 'm4') as score_m4,
       max(score) filter (where module = 'm5') as score_m5, any_value(practices.n_practices_scored) as n_practices_scored
from modules join practices using (country, wave, ruc)
group by modules.country, modules.ruc, modules.wave;

create table baseline.scores_long as
select country, 'global' as level, 'global' as code, ruc, wave, global_score as score from baseline.enterprise_scores
where (country, ruc) in (select country, ruc from baseline.participants)
union all
select country, 'module', code, ruc, wave, score from (
    unpivot (select country, ruc, wave, score_m1 as m1, score_m2 as m2, score_m3 as m3, score_m4 as m4, score_m5 as m5
             from baseline.enterprise_scores where (country, ruc) in (select country, ruc from baseline.participants))
    on m1, m2, m3, m4, m5 into name code value score)
union all
select country, 'category', module || '.' || category, ruc, wave, score from baseline.category_scores
where (country, ruc) in (select country, ruc from baseline.participants);

create table baseline.wave_summary as
select country, wave, level, code, count(score) as n_enterprises, avg(score) as mean, stddev_samp(score) as sd,
       median(score) as median
from baseline.scores_long where score is not null
group by all;

create table baseline.score_pairs as
select first.country, first.level, first.code, first.ruc, first.score as baseline_score, last.score as endline_score,
       last.score - first.score as change
from baseline.scores_long as first
join baseline.waves as first_wave on first_wave.country = first.country and first_wave.wave = first.wave and first_wave.is_baseline
join baseline.scores_long as last
    on last.country = first.country and last.level = first.level and last.code = first.code and last.ruc = first.ruc
join baseline.waves as last_wave on last_wave.country = last.country and last_wave.wave = last.wave and last_wave.is_endline
where first.score is not null and last.score is not null;

create table baseline.score_change as
select country, level, code, count(*) as n_pairs, avg(baseline_score) as baseline_mean, avg(endline_score) as endline_mean,
       avg(change) as mean_change,  -- no spread (every change equal at 9 decimals, contract 4): no t, no dz
       case when count(distinct round(change, 9)) > 1 then avg(change) / (stddev_samp(change) / sqrt(count(*))) end as t_stat,
       case when count(distinct round(change, 9)) > 1 then avg(change) / stddev_samp(change) end as effect_size_dz
from baseline.score_pairs group by all;

create table baseline.module_spillover as
with changes as (
    select country, ruc, code, round(change, 9) as change from baseline.score_pairs where level = 'module'
),
paired as (
    select m1.country, other.code as module, m1.change as x, other.change as y
    from changes as m1
    join changes as other on other.country = m1.country and other.ruc = m1.ruc and m1.code = 'm1' and other.code <> 'm1'
),
ranked as (  -- average ranks for ties, as Spearman's rho wants them
    select country, module, x, y,
           rank() over (partition by country, module order by x)
               + (count(*) over (partition by country, module, x) - 1) / 2 as rank_x,
           rank() over (partition by country, module order by y)
               + (count(*) over (partition by country, module, y) - 1) / 2 as rank_y
    from paired
)
select country, module, count(*) as n, corr(x, y) as pearson_r, corr(rank_x, rank_y) as spearman_rho
from ranked group by country, module;

-- Evaluator effects (contract 6), the p-values left out
create table baseline.evaluator_effects as
with scored as (
    select scores.country, scores.wave, upper(trim(visits.evaluator)) as evaluator, scores.global_score
    from baseline.enterprise_scores as scores
    join (select distinct country, wave, ruc, evaluator from raw.management_practices) as visits
        on visits.country = scores.country and visits.wave = scores.wave and visits.ruc = scores.ruc
    where scores.global_score is not null and trim(visits.evaluator) <> ''
),
per_evaluator as (
    select country, wave, evaluator, count(*) as n, sum(global_score) as total from scored group by all
),
per_wave as (
    select country, wave, count(*) as n, sum(global_score) as total from scored group by all
)
select evaluators.country, evaluators.wave, evaluators.evaluator, evaluators.n as n_enterprises,
       evaluators.total / evaluators.n as mean_global_score,
       case when waves.n > evaluators.n
            then evaluators.total / evaluators.n - (waves.total - evaluators.total) / (waves.n - evaluators.n) end as diff_from_others
from per_evaluator as evaluators join per_wave as waves using (country, wave);

-- Firm indicators (contract 4)
create table baseline.kpi_pairs as
with kpis as (
    unpivot (select country, wave, ruc, work_accidents as accidents, absenteeism_pct as absenteeism,
                    staff_turnover_pct as turnover, defective_products_pct as defects,
                    raw_material_waste_pct as raw_material_waste, unit_cost
             from raw.company_profile)
    on accidents, absenteeism, turnover, defects, raw_material_waste, unit_cost into name kpi value kpi_value
),
first as (select kpis.* from kpis join baseline.waves using (country, wave) where is_baseline),
last as (select kpis.* from kpis join baseline.waves using (country, wave) where is_endline),
structure as (select country, ruc, cost_structure from raw.company_profile join baseline.waves using (country, wave)
              where is_baseline)
select first.country, first.ruc, first.kpi, structure.cost_structure, first.kpi_value as baseline_value,
       last.kpi_value as endline_value, (last.kpi_value - first.kpi_value) / first.kpi_value * 100 as pct_change
from first join last using (country, ruc, kpi) left join structure using (country, ruc)
where first.kpi_value > 0 and (first.country, first.ruc) in (select country, ruc from baseline.participants);

create table baseline.kpi_change as
select country, kpi, cost_structure, count(*) as n_enterprises, avg(pct_change) as mean_pct_change,
       median(pct_change) as median_pct_change
from (select country, kpi, 'all' as cost_structure, pct_change from baseline.kpi_pairs
      union all select country, kpi, cost_structure, pct_change from baseline.kpi_pairs where cost_structure is not null)
group by all;

create table baseline.business_results as
select country, wave, count(*) as n_enterprises, avg(capacity_use_pct) as capacity_use_pct,
       avg(annual_sales) as annual_sales_mean, avg(workers) as workers_mean, avg(monthly_payroll) as monthly_payroll_mean,
       avg(annual_sales) / nullif(avg(workers), 0) as sales_per_worker,
       count(*) filter (where uses_productivity_indicators) * 100.0
           / nullif(count(uses_productivity_indicators), 0) as pct_using_productivity_indicators,
       avg(female_workers / workers * 100) filter (where workers > 0) as female_share_pct,
       count(*) filter (where gender_equality_policy) as n_gender_policy
from raw.company_profile where (country, ruc) in (select country, ruc from baseline.participants) group by country, wave;

-- Worker satisfaction (contract 2.4 and 4)
create table baseline.worker_figures as
with respondents as (
    select * from raw.worker_survey where (country, ruc) in (select country, ruc from baseline.known)
),
answers as (
    unpivot (select country, wave, ruc, w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14, w15
             from respondents)
    on w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14, w15 into name item value answer
),
scored as (
    select country, wave, ruc, list_filter([w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14],
                                           lambda x: x is not null) as valid
    from respondents
)
select country, wave, ruc, item, avg(answer) as mean, count(*) as n_respondents from answers group by all
union all
select country, wave, ruc, 'overall', avg(list_avg(valid)), count(*) from scored where len(valid) >= 10 group by all;

create table baseline.worker_satisfaction as
select country, wave, item, count(*) as n_enterprises, sum(n_respondents) as n_respondents, avg(mean) as mean
from baseline.worker_figures where (country, ruc) in (select country, ruc from baseline.participants) group by all;

-- Perceived effects (contract 2.3 and 4)
create table baseline.perceived_effects as
with effects as (
    unpivot (select country, wave, ruc, columns('^effect_') from raw.self_assessment)
    on columns('^effect_') into name effect_column value effect
),
influences as (
    unpivot (select country, wave, ruc, columns('^influence_') from raw.self_assessment)
    on columns('^influence_') into name influence_column value influence
),
perceptions as (
    select effects.country, effects.wave, replace(effect_column, 'effect_', '') as outcome, effect, influence
    from effects
    left join influences on influences.country = effects.country and influences.wave = effects.wave
        and influences.ruc = effects.ruc
        and replace(influence_column, 'influence_', '') = replace(effect_column, 'effect_', '')
    where (effects.country, effects.ruc) in (select country, ruc from baseline.participants)
)
select country, wave, outcome, count(effect) as n_responses,
       count(*) filter (where effect = 'positivo') * 100.0 / count(effect) as pct_positive,
       count(*) filter (where influence in ('mucho', 'algo')) * 100.0 / nullif(count(influence), 0) as pct_influenced
from perceptions group by all having count(effect) > 0;

-- The headline (contract 4)
create table baseline.headline_indicators as
with series as (
    select country, 'global_score' as indicator, wave, mean as value from baseline.wave_summary where level = 'global'
    union all select country, 'capacity_use_pct', wave, capacity_use_pct from baseline.business_results
    union all select country, 'annual_sales', wave, annual_sales_mean from baseline.business_results
    union all select country, 'workers', wave, workers_mean from baseline.business_results
    union all select country, 'monthly_payroll', wave, monthly_payroll_mean from baseline.business_results
    union all select country, 'sales_per_worker', wave, sales_per_worker from baseline.business_results
    union all select country, 'pct_using_productivity_indicators', wave, pct_using_productivity_indicators
              from baseline.business_results
    union all select country, 'female_share_pct', wave, female_share_pct from baseline.business_results
    union all select country, 'n_gender_policy', wave, n_gender_policy from baseline.business_results
    union all select country, 'worker_satisfaction', wave, mean from baseline.worker_satisfaction where item = 'overall'
    union all select country, 'pct_positive_effects', wave, sum(pct_positive * n_responses) / sum(n_responses)
              from baseline.perceived_effects group by country, wave
),
ends as (
    select country, indicator, arg_min(value, wave) as baseline, arg_max(value, wave) as endline
    from series where value is not null group by country, indicator
),
gains as (
    select country, count(*) filter (where round(change, 9) > 1) * 100.0 / count(*) as share
    from baseline.score_pairs where level = 'global' group by country
)
select country, indicator, baseline, endline, endline - baseline as change, (endline - baseline) / nullif(baseline, 0) * 100 as change_pct
from ends
union all
select kpi_pairs.country, kpi_pairs.kpi, avg(baseline_value), avg(endline_value), avg(endline_value) - avg(baseline_value),
       any_value(kpi_change.mean_pct_change)
from baseline.kpi_pairs
join baseline.kpi_change
    on kpi_change.country = kpi_pairs.country and kpi_change.kpi = kpi_pairs.kpi and kpi_change.cost_structure = 'all'
group by kpi_pairs.country, kpi_pairs.kpi
union all
select country, 'pct_enterprises_gain_gt1', null, share, null, null from gains;

-- The programme (contract 7), the p-value left out: each country, then every enterprise pooled
create table baseline.programme_summary as
with pairs as (
    select country, baseline_score, endline_score, change from baseline.score_pairs where level = 'global'
),
kpis as (
    select country, kpi, pct_change from baseline.kpi_pairs
    where kpi in ('accidents', 'absenteeism', 'turnover', 'defects', 'raw_material_waste')
),
worker as (
    select figures.country, waves.is_endline, figures.mean
    from baseline.worker_figures as figures join baseline.waves using (country, wave)
    where figures.item = 'overall' and (waves.is_baseline or waves.is_endline)
      and (figures.country, figures.ruc) in (select country, ruc from baseline.participants)
),
effects as (
    select effects.country, effects.n_responses, effects.pct_positive
    from baseline.perceived_effects as effects join baseline.waves using (country, wave) where waves.is_endline
),
per_country as (
    select country,
        (select count(*) from baseline.participants where participants.country = countries.country) as n_enterprises,
        (select count(*) from pairs where pairs.country = countries.country) as n_pairs,
        (select avg(baseline_score) from pairs where pairs.country = countries.country) as global_baseline,
        (select avg(endline_score) from pairs where pairs.country = countries.country) as global_endline,
        (select avg(change) from pairs where pairs.country = countries.country) as global_change,
        (select count(*) filter (where round(change, 9) > 1) * 100.0 / count(*) from pairs
         where pairs.country = countries.country) as pct_gain_gt1,
        (select avg(pct_change) from kpis where kpis.country = countries.country and kpi = 'accidents') as accidents_pct_change,
        (select avg(pct_change) from kpis where kpis.country = countries.country and kpi = 'absenteeism') as absenteeism_pct_change,
        (select avg(pct_change) from kpis where kpis.country = countries.country and kpi = 'turnover') as turnover_pct_change,
        (select avg(pct_change) from kpis where kpis.country = countries.country and kpi = 'defects') as defects_pct_change,
        (select avg(pct_change) from kpis where kpis.country = countries.country and kpi = 'raw_material_waste') as waste_pct_change,
        (select avg(mean) filter (where is_endline) - avg(mean) filter (where not is_endline) from worker
         where worker.country = countries.country) as worker_satisfaction_change,
        (select sum(pct_positive * n_responses) / sum(n_responses) from effects
         where effects.country = countries.country) as pct_positive_effects
    from (select distinct country from baseline.waves) as countries
),
pooled as (
    select 'all' as country,
        (select count(*) from baseline.participants) as n_enterprises,
        (select count(*) from pairs) as n_pairs,
        (select avg(baseline_score) from pairs) as global_baseline,
        (select avg(endline_score) from pairs) as global_endline,
        (select avg(change) from pairs) as global_change,
        (select count(*) filter (where round(change, 9) > 1) * 100.0 / count(*) from pairs) as pct_gain_gt1,
        (select avg(pct_change) from kpis where kpi = 'accidents') as accidents_pct_change,
        (select avg(pct_change) from kpis where kpi = 'absenteeism') as absenteeism_pct_change,
        (select avg(pct_change) from kpis where kpi = 'turnover') as turnover_pct_change,
        (select avg(pct_change) from kpis where kpi = 'defects') as defects_pct_change,
        (select avg(pct_change) from kpis where kpi = 'raw_material_waste') as waste_pct_change,
        (select avg(mean) filter (where is_endline) - avg(mean) filter (where not is_endline) from worker)
            as worker_satisfaction_change,
        (select sum(pct_positive * n_responses) / sum(n_responses) from effects) as pct_positive_effects
)
select * from per_country union all select * from pooled;

-- Data quality (contract 3 and 4)
create table baseline.data_quality as
with rows_with_ruc as (
    select distinct country, wave, 'practicas_gestion' as instrument, ruc, source_row as row_number
    from raw.management_practices
    union all select country, wave, 'autoevaluacion', ruc, source_row from raw.self_assessment
    union all select country, wave, 'encuesta_trabajadores', ruc, source_row from raw.worker_survey
    union all select country, wave, 'registro_capacitacion', ruc, source_row from raw.training_records
    union all select country, wave, 'estudios_caso', ruc, null from raw.case_studies
),
unknown as (
    select * from rows_with_ruc where (country, ruc) not in (select country, ruc from baseline.known)
),
invalid as (
    select country, wave, instrument, count(*) as values_invalid
    from raw.rejects as rejects
    where kind = 'value'
      and not exists (select 1 from raw.superseded as s where s.country = rejects.country and s.wave = rejects.wave
                      and s.instrument = rejects.instrument and s.row_number = rejects.row_number)
      and not exists (select 1 from unknown as u where u.country = rejects.country and u.wave = rejects.wave
                      and u.instrument = rejects.instrument and u.row_number = rejects.row_number)
    group by all
),
unknown_counts as (select country, wave, instrument, count(*) as rows_unknown from unknown group by all)
select log.country, log.wave, log.instrument, log.rows_received,
       log.rows_received - log.rows_rejected - coalesce(rows_unknown, 0) - log.duplicates_removed as rows_loaded,
       log.duplicates_removed, log.rows_rejected + coalesce(rows_unknown, 0) as rows_rejected,
       coalesce(invalid.values_invalid, 0) as values_invalid
from raw.ingest_log as log left join unknown_counts using (country, wave, instrument)
left join invalid using (country, wave, instrument);

-- Panel, participation, case studies (contract 4)
create table baseline.panel_long as
with arrivals as (
    select distinct country, wave, ruc, 'practicas_gestion' as instrument from raw.management_practices
    union all select distinct country, wave, ruc, 'perfil_empresa' from raw.company_profile
    union all select distinct country, wave, ruc, 'autoevaluacion' from raw.self_assessment
    union all select distinct country, wave, ruc, 'encuesta_trabajadores' from raw.worker_survey
    union all select distinct country, wave, ruc, 'registro_capacitacion' from raw.training_records
    union all select distinct country, wave, ruc, 'estudios_caso' from raw.case_studies
),
per_wave as (select country, ruc, wave, list(instrument order by instrument) as instruments from arrivals group by all)
select enterprises.country, enterprises.ruc, waves.wave, coalesce(per_wave.instruments, []::varchar[]) as instruments
from (select distinct country, ruc from raw.company_profile) as enterprises
join baseline.waves as waves using (country)
left join per_wave using (country, ruc, wave);

create table baseline.panel_coverage as
select country, ruc, count(*) filter (where list_has_all(instruments,
       ['autoevaluacion', 'encuesta_trabajadores', 'perfil_empresa', 'practicas_gestion'])) as n_waves_complete
from baseline.panel_long group by country, ruc;

create table baseline.participation as
with records as (
    select records.* from raw.training_records as records join baseline.waves using (country, wave) where is_endline
),
latest_profile as (select country, ruc, arg_max(size, wave) as size from raw.company_profile group by country, ruc)
select latest_profile.country, latest_profile.ruc, latest_profile.size,
       count(distinct records.module) filter (where records.finished_on is not null) as modules_completed,
       coalesce(sum(records.contribution_usd), 0) as contribution_usd
from latest_profile left join records using (country, ruc)
group by latest_profile.country, latest_profile.ruc, latest_profile.size;

create table baseline.case_studies as
select country, ruc, title, modules, themes, word_count, wave
from raw.case_studies where (country, ruc) in (select country, ruc from baseline.known);

-- The evaluation design (contract 8.3), the p-values, intervals, Fisher's test and the Lee bounds left out
create table baseline.design_values as
with ends as (
    select country, wave, false as is_last from baseline.waves where is_baseline
    union all select country, wave, true from baseline.waves where is_endline
),
profile as (
    select country, wave, ruc, workers, female_workers / nullif(workers, 0) * 100 as female_share_pct, annual_sales,
           monthly_payroll, capacity_use_pct, work_accidents as accidents, absenteeism_pct as absenteeism,
           staff_turnover_pct as turnover, defective_products_pct as defects, raw_material_waste_pct as raw_material_waste,
           unit_cost
    from raw.company_profile
),
worker as (
    select country, wave, ruc, avg(list_avg(valid)) as worker_satisfaction
    from (select country, wave, ruc, list_filter([w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14],
                                                 lambda x: x is not null) as valid from raw.worker_survey)
    where len(valid) >= 10 group by all
),
wide as (
    select design.country, design.ruc, design.arm, ends.is_last,
           scores.global_score::double as global_score, scores.score_m1::double as score_m1,
           scores.score_m2::double as score_m2, scores.score_m3::double as score_m3, scores.score_m4::double as score_m4,
           scores.score_m5::double as score_m5, profile.workers::double as workers,
           profile.female_share_pct::double as female_share_pct, profile.annual_sales::double as annual_sales,
           profile.monthly_payroll::double as monthly_payroll, profile.capacity_use_pct::double as capacity_use_pct,
           profile.accidents::double as accidents, profile.absenteeism::double as absenteeism,
           profile.turnover::double as turnover, profile.defects::double as defects,
           profile.raw_material_waste::double as raw_material_waste, profile.unit_cost::double as unit_cost,
           worker.worker_satisfaction::double as worker_satisfaction
    from baseline.design as design
    join ends on ends.country = design.country
    left join baseline.enterprise_scores as scores
        on scores.country = design.country and scores.ruc = design.ruc and scores.wave = ends.wave
    left join profile on profile.country = design.country and profile.ruc = design.ruc and profile.wave = ends.wave
    left join worker on worker.country = design.country and worker.ruc = design.ruc and worker.wave = ends.wave
)
select country, ruc, arm, variable, max(value) filter (where not is_last) as first_value,
       max(value) filter (where is_last) as last_value
from wide
unpivot include nulls (value for variable in (global_score, score_m1, score_m2, score_m3, score_m4, score_m5, workers,
    female_share_pct, annual_sales, monthly_payroll, capacity_use_pct, accidents, absenteeism, turnover, defects,
    raw_material_waste, unit_cost, worker_satisfaction))
group by all;

create table baseline.balance as
select country, variable,
       count(first_value) filter (where arm = 'tratamiento') as n_treatment,
       count(first_value) filter (where arm = 'comparacion') as n_comparison,
       avg(first_value) filter (where arm = 'tratamiento') as mean_treatment,
       avg(first_value) filter (where arm = 'comparacion') as mean_comparison,
       mean_treatment - mean_comparison as difference,
       case when n_treatment >= 2 and n_comparison >= 2
                 and (count(distinct round(first_value, 9)) filter (where arm = 'tratamiento') > 1
                      or count(distinct round(first_value, 9)) filter (where arm = 'comparacion') > 1)
            then difference / sqrt((var_samp(first_value) filter (where arm = 'tratamiento')
                                    + var_samp(first_value) filter (where arm = 'comparacion')) / 2) end
           as normalized_difference
from baseline.design_values group by country, variable;

create table baseline.did as
with changes as (select country, arm, variable as outcome, last_value - first_value as change from baseline.design_values),
arms as (
    select country, outcome,
           count(change) filter (where arm = 'tratamiento') as n_treatment,
           count(change) filter (where arm = 'comparacion') as n_comparison,
           avg(change) filter (where arm = 'tratamiento') as change_treatment,
           avg(change) filter (where arm = 'comparacion') as change_comparison,
           var_samp(change) filter (where arm = 'tratamiento') / n_treatment as share_treatment,
           var_samp(change) filter (where arm = 'comparacion') / n_comparison as share_comparison,
           n_treatment >= 2 and n_comparison >= 2
               and (count(distinct round(change, 9)) filter (where arm = 'tratamiento') > 1
                    or count(distinct round(change, 9)) filter (where arm = 'comparacion') > 1) as has_spread
    from changes group by country, outcome
)
select country, outcome, n_treatment, n_comparison, change_treatment, change_comparison,
       change_treatment - change_comparison as did,
       case when has_spread then sqrt(share_treatment + share_comparison) end as se,
       case when has_spread then (share_treatment + share_comparison) ^ 2
           / (share_treatment ^ 2 / (n_treatment - 1) + share_comparison ^ 2 / (n_comparison - 1)) end as df,
       did / se as t_stat
from arms;

create table baseline.attrition as
select country, arm, count(first_value) as n_baseline,
       count(*) filter (where first_value is not null and last_value is not null) as n_endline,
       (1 - n_endline / nullif(n_baseline, 0)) * 100 as attrition_pct
from baseline.design_values where variable = 'global_score' group by country, arm;

create table baseline.worker_panel as
with ends as (
    select country, wave, false as is_endline from baseline.waves where is_baseline
    union all select country, wave, true from baseline.waves where is_endline
),
enterprises as (
    select country, ruc from baseline.design
    union all select country, ruc from baseline.known where country not in (select country from baseline.frame)
),
scored as (
    select country, wave, ruc, worker_code, list_avg(valid) as score
    from (select country, wave, ruc, worker_code,
                 list_filter([w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14],
                             lambda x: x is not null) as valid from raw.worker_survey)
    where len(valid) >= 10
),
panel as (
    select scored.country, scored.ruc, ends.is_endline, scored.worker_code, scored.score
    from scored join ends on ends.country = scored.country and ends.wave = scored.wave
    where (scored.country, scored.ruc) in (select country, ruc from enterprises)
),
coded as (
    select *, count(*) over (partition by country, ruc, worker_code) = 2 as stays from panel where worker_code is not null
),
grouped as (
    select country, ruc, is_endline, score, 'all' as panel_group from panel
    union all
    select country, ruc, is_endline, score,
           case when stays then 'stayers' when is_endline then 'joiners' else 'leavers' end from coded
),
figures as (
    select country, panel_group, count(distinct ruc) as n_enterprises,
           count(*) filter (where not is_endline) as at_baseline, count(*) filter (where is_endline) as at_endline,
           case when at_baseline >= 5 then avg(score) filter (where not is_endline) end as baseline_mean,
           case when at_endline >= 5 then avg(score) filter (where is_endline) end as endline_mean
    from grouped
    where country in (select country from coded)
    group by country, panel_group
)
select country, panel_group as "group", n_enterprises,
       case when panel_group <> 'joiners' then at_baseline end as n_baseline,
       case when panel_group <> 'leavers' then at_endline end as n_endline,
       baseline_mean, endline_mean, endline_mean - baseline_mean as change
from figures;
