-- name: plan_verification :one
-- Before audit verification, for the rest of its transaction: let the planner use parallel workers for the
-- row digests. Their cost is in an inlined expression the planner underestimates, so without this it plans
-- one process for a million digests; with it, verification uses every core it may. And memory enough to
-- compare a million rows with their seals in one hash table rather than in batches spilled to disk. And no
-- JIT: its compilation of a plan over every monthly partition cost about 0.6 s of a 7 s verification of a
-- million rows, and saved less than that.
-- returns: PlanSettingsRow
-- index: -
SELECT set_config('parallel_setup_cost', '0', true) AS parallel_setup_cost,
       set_config('parallel_tuple_cost', '0', true) AS parallel_tuple_cost,
       set_config('work_mem', '128MB', true) AS work_mem,
       set_config('jit', 'off', true) AS jit;
