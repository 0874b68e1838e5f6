-- +goose Up
-- getServiceJobs takes one marketplace per call (services.json declares
-- marketplaceIds with maxItems 1), so service jobs are now polled per
-- marketplace, each with its own cursor and walk (scope: the marketplace id).
-- Earlier releases polled an account's marketplaces together under one scope
-- naming all of them ("A1AM78C64UM0Y8,A2EUQ1WTGCTBG2,ATVPDKIKX0DER"). On
-- Amazon that request was refused, so such a cursor never moved; kept, it
-- would show in `worker status` and /metrics as a scope nothing polls any
-- more. Its rows and its half-done poll walks go; each marketplace starts at
-- the poll's initial lookback, as a new one does. A one-marketplace scope is
-- the marketplace id itself, unchanged, so a one-marketplace account keeps
-- its cursor and its half-done walk. Backfill walks (backfill:<id>:<start>)
-- carry no scope and stay: a window saved by an earlier release resumes or
-- starts again (see servicejobs.resumeMarket).
DELETE FROM sync_cursors WHERE stream = 'service_jobs' AND scope LIKE '%,%';
DELETE FROM walk_progress WHERE stream = 'service_jobs' AND walk LIKE 'poll:%,%';

-- +goose Down
-- Nothing to restore: the removed cursors never moved on Amazon, and the
-- per-marketplace cursors stay valid for a release that polls them together
-- (it starts its combined scope at the initial lookback).
SELECT 1;
