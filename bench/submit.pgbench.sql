-- The baseline of the submit benchmark: the writes of POST /applications/:id/submit
-- (ApplicationsService.submit -> transition -> DossierRepository.assignCode), one statement per
-- round trip, as a plain client would send them, in the portal's order: the dossier, its history
-- entry, the outbox row and the idempotency key first; the per-agency code counter and the
-- dossier's code last, right before COMMIT (the counter row is locked from there to the commit).
-- Each transaction takes its own draft dossier (seeded by bench/sections/submit.ts with ids
-- derived from n; the dossier's agency, read with it, is the counter's agency).
--   -D clients=C -D per_client=P -D base=B -D i=0 -D day=YYYY-MM-DD -D yymmdd=YYMMDD
--   -D run=<run id> -D body=<a real submit answer, stored as the idempotent response>
\set i :i + 1
\set n :base + :client_id + :clients * (:i % :per_client)
BEGIN;
-- load(): the dossier, scoped and locked (DOSSIER_SELECT ... FOR UPDATE OF d)
SELECT d.*, g.code AS agency_code, g.calendar, p.code AS procedure_code, p.name AS procedure_name, v.version AS procedure_version
  FROM dossiers d
  JOIN agencies g ON g.id = d.agency_id
  JOIN procedures p ON p.id = d.procedure_id
  JOIN procedure_versions v ON v.id = d.procedure_version_id
 WHERE d.id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::int), 12, '0'))::uuid
 FOR UPDATE OF d
\gset
-- the state change, the clock and the queue's sort key (the code comes last)
UPDATE dossiers SET state = 'submitted', submitted_at = now(), received_at = NULL, due_at = NULL, paused_at = NULL, paused_ms = 0,
       finished_at = NULL, attention_at = now(), version = version + 1, updated_at = now()
 WHERE id = :id::uuid;
-- the hash-chained history entry and the chain head
WITH h AS (
  INSERT INTO dossier_history (dossier_id, seq, action, from_state, to_state, actor_id, actor_role, comment, data, at, prev_hash, hash)
  VALUES (:id::uuid, :history_seq::int + 1, 'submit', 'draft', 'submitted', :applicant_id::uuid, 'citizen', NULL, NULL, now(),
          :history_hash::text, encode(sha256(convert_to(:history_hash::text || :n::text, 'UTF8')), 'hex'))
  RETURNING id, hash
), d AS (UPDATE dossiers SET history_seq = :history_seq::int + 1, history_hash = (SELECT hash FROM h) WHERE id = :id::uuid)
SELECT id AS history_id FROM h
\gset
-- the outbox row (the citizen's notification)
INSERT INTO outbox (queue, job_name, payload)
VALUES ('notifications', 'dossier-event', jsonb_build_object('dossierId', :id::uuid, 'sourceId', :history_id::uuid, 'event', 'submit'));
-- the idempotency key with the stored answer
INSERT INTO idempotency_keys (account_id, key, request_hash, status, body)
VALUES (:applicant_id::uuid, 'pg-' || :run::text || '-' || :client_id::text || '-' || :i::text,
        encode(sha256(convert_to('submit:' || :id::text, 'UTF8')), 'hex'), 200, :body::jsonb);
-- last: the code of the agency's day, gap-free (the counter row stays locked until COMMIT)
INSERT INTO dossier_code_counters (agency_id, day, last_value) VALUES (:agency_id::uuid, :day::date, 1)
ON CONFLICT (agency_id, day) DO UPDATE SET last_value = dossier_code_counters.last_value + 1
RETURNING last_value
\gset
-- the code padded to 4 digits, never cut: as dossierCode()
UPDATE dossiers SET code = :agency_code::text || '-' || :yymmdd::text || '-' || CASE WHEN :last_value < 10000 THEN lpad(:last_value::text, 4, '0') ELSE :last_value::text END
 WHERE id = :id::uuid;
END;
