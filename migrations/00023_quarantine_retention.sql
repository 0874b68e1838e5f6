-- +goose Up
-- Quarantined records can now be pruned: with SPSYNC_QUARANTINE_RETENTION
-- set, an hourly job deletes the rows no SP-API answer has held for that
-- long (last_seen_at). The index serves that range delete; the existing one
-- leads with account and operation and does not.
CREATE INDEX quarantined_records_prune_idx ON quarantined_records (last_seen_at);

COMMENT ON TABLE quarantined_records IS 'Records of SP-API answers that could not be stored in their table because a required key was missing (see reason), one row per account, operation and content. The rest of the answer was stored. Read them with SELECT account_id, operation, entity_id, reason, raw, first_seen_at, last_seen_at, times_seen FROM quarantined_records ORDER BY last_seen_at DESC. Kept until you delete them, unless SPSYNC_QUARANTINE_RETENTION is set: then an hourly job (quarantine_prune) deletes the rows whose last_seen_at is older than that, counted in spsync_quarantine_pruned_total.';

-- +goose Down
COMMENT ON TABLE quarantined_records IS 'Records of SP-API answers that could not be stored in their table because a required key was missing (see reason), one row per account, operation and content. The rest of the answer was stored. Read them with SELECT account_id, operation, entity_id, reason, raw, first_seen_at, last_seen_at, times_seen FROM quarantined_records ORDER BY last_seen_at DESC. spsync never deletes them; delete rows you have dealt with.';
DROP INDEX quarantined_records_prune_idx;
